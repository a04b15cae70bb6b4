using KvsInference.Avatar.Features;

namespace KvsInference.Avatar.Training;

/// <summary>
/// Transfers phoneme timing from espeak-ng speech of a transcript onto a human recording of the same transcript by
/// dynamic time warping of per-utterance normalised cepstra (12 coefficients of the log-mel bands plus log energy,
/// each with its utterance mean and deviation removed). An aligner nobody trained: the timing of held-out speakers
/// does not come from the model or its data.
/// </summary>
internal static class DtwAligner
{
    private const int Coefficients = 13;

    /// <summary>Labels <paramref name="recording"/> with the classes of <paramref name="synthetic"/>, each phoneme moved along the warping path.</summary>
    public static LabelledSpeech Align(short[] recording, LabelledSpeech synthetic)
    {
        var a = Cepstra(synthetic.Pcm);
        var b = Cepstra(recording);
        int n = a.Length / Coefficients, m = b.Length / Coefficients;
        if (n == 0 || m == 0) return LabelledSpeech.FromTimings(recording, [0], [Model.VisemeClass.Silence]);
        // Accumulated cost with the symmetric steps (diagonal weighted twice), then the path back from the end.
        var cost = new float[n * m];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < m; j++)
            {
                float d = Distance(a, i, b, j);
                float best;
                if (i == 0 && j == 0) best = 0;
                else
                {
                    best = float.PositiveInfinity;
                    if (i > 0 && j > 0) best = cost[(i - 1) * m + j - 1] + d;
                    if (i > 0) best = MathF.Min(best, cost[(i - 1) * m + j]);
                    if (j > 0) best = MathF.Min(best, cost[i * m + j - 1]);
                }
                cost[i * m + j] = best + d;
            }
        }
        // firstMatch[i]: the first recording frame matched to synthetic frame i.
        var firstMatch = new int[n];
        int pi = n - 1, pj = m - 1;
        firstMatch[pi] = pj;
        while (pi > 0 || pj > 0)
        {
            if (pi == 0) pj--;
            else if (pj == 0) pi--;
            else
            {
                float diag = cost[(pi - 1) * m + pj - 1], up = cost[(pi - 1) * m + pj], left = cost[pi * m + pj - 1];
                if (diag <= up && diag <= left) { pi--; pj--; }
                else if (up <= left) pi--;
                else pj--;
            }
            firstMatch[pi] = pj;
        }
        var starts = new List<long>();
        var classes = new List<Model.VisemeClass>();
        int hop = FeatureConstants.HopSamples;
        for (int k = 0; k < synthetic.Starts.Count; k++)
        {
            int frame = (int)Math.Clamp(synthetic.Starts[k] / hop, 0, n - 1);
            long start = k == synthetic.Starts.Count - 1 && synthetic.Starts[k] >= synthetic.Pcm.Length
                ? recording.Length
                : (long)firstMatch[frame] * hop;
            if (starts.Count > 0 && start <= starts[^1])
            {
                classes[^1] = synthetic.Classes[k];
                continue;
            }
            starts.Add(start);
            classes.Add(synthetic.Classes[k]);
        }
        return CheckPauses(recording, [.. starts], [.. classes]);
    }

    /// <summary>The label of frames whose class the alignment cannot vouch for: left out of training and scoring.</summary>
    public const Model.VisemeClass Unlabelled = (Model.VisemeClass)255;

    /// <summary>
    /// Checks the pauses against the recording's own level: espeak-ng pauses at commas where a speaker may not, and a
    /// speaker pauses where espeak-ng does not. Frames of a pause louder than 25 dB under the utterance's peak become
    /// <see cref="Unlabelled"/>; runs of 80 ms or more quieter than 40 dB under it become silence. Segment boundaries stay.
    /// </summary>
    private static LabelledSpeech CheckPauses(short[] recording, long[] starts, Model.VisemeClass[] classes)
    {
        int hop = FeatureConstants.HopSamples;
        var (_, meanSquare) = LogMelFrames.Compute(recording);
        int frames = meanSquare.Length;
        if (frames == 0) return LabelledSpeech.FromTimings(recording, starts, classes);
        float peak = Math.Max(1e-12f, meanSquare.Max());
        var relativeDb = meanSquare.Select(m => 10 * MathF.Log10(m / peak + 1e-12f)).ToArray();
        // Frame f's window ends at (f + 1) x hop: it stands for the hop before its end, centred near f x hop + hop / 2 - 40.
        var original = LabelledSpeech.FromTimings(recording, starts, classes);
        var segment = new int[frames];
        var label = new Model.VisemeClass[frames];
        for (int f = 0; f < frames; f++)
        {
            long t = (long)f * hop;
            segment[f] = original.SegmentAt(t);
            label[f] = original.LabelAt(t);
            if (label[f] == Model.VisemeClass.Silence && relativeDb[Math.Min(frames - 1, f + 1)] > -25) label[f] = Unlabelled;
        }
        for (int f = 0; f < frames;)
        {
            int end = f;
            while (end < frames && relativeDb[Math.Min(frames - 1, end + 1)] < -40) end++;
            if (end - f >= 8)
            {
                for (int k = f; k < end; k++) label[k] = Model.VisemeClass.Silence;
            }
            f = Math.Max(end, f + 1);
        }
        var newStarts = new List<long>();
        var newClasses = new List<Model.VisemeClass>();
        for (int f = 0; f < frames; f++)
        {
            if (f > 0 && segment[f] == segment[f - 1] && label[f] == label[f - 1]) continue;
            newStarts.Add((long)f * hop);
            newClasses.Add(label[f]);
        }
        if (newStarts[0] > 0)
        {
            newStarts.Insert(0, 0);
            newClasses.Insert(0, Model.VisemeClass.Silence);
        }
        return LabelledSpeech.FromTimings(recording, [.. newStarts], [.. newClasses]);
    }

    private static float Distance(float[] a, int i, float[] b, int j)
    {
        float sum = 0;
        for (int k = 0; k < Coefficients; k++)
        {
            float d = a[i * Coefficients + k] - b[j * Coefficients + k];
            sum += d * d;
        }
        return MathF.Sqrt(sum);
    }

    /// <summary>Per-frame log energy and cepstra 1..12 of the log-mel bands, each normalised over the utterance.</summary>
    private static float[] Cepstra(short[] pcm)
    {
        int bands = FeatureConstants.MelBands;
        var (logMel, _) = LogMelFrames.Compute(pcm);
        int frames = logMel.Length / bands;
        var result = new float[frames * Coefficients];
        for (int f = 0; f < frames; f++)
        {
            for (int k = 0; k < Coefficients; k++)
            {
                double sum = 0;
                for (int band = 0; band < bands; band++) sum += logMel[f * bands + band] * Math.Cos(Math.PI * k * (band + 0.5) / bands);
                result[f * Coefficients + k] = (float)sum;
            }
        }
        for (int k = 0; k < Coefficients; k++)
        {
            double mean = 0, sq = 0;
            for (int f = 0; f < frames; f++) mean += result[f * Coefficients + k];
            mean /= Math.Max(1, frames);
            for (int f = 0; f < frames; f++) sq += Math.Pow(result[f * Coefficients + k] - mean, 2);
            double inv = 1 / Math.Sqrt(sq / Math.Max(1, frames) + 1e-6);
            for (int f = 0; f < frames; f++) result[f * Coefficients + k] = (float)((result[f * Coefficients + k] - mean) * inv);
        }
        return result;
    }
}
