using System.Text;
using KvsInference.Avatar.Features;
using KvsInference.Avatar.Model;
using KvsInference.Inference;

namespace KvsInference.Avatar.Training;

/// <summary>Frame-level results of <see cref="VisemeEvaluator.Evaluate"/>.</summary>
/// <param name="Accuracy">Share of output frames whose argmax (5 visemes + silence) matches the espeak-ng label, as shipped (smoothed).</param>
/// <param name="UnsmoothedAccuracy">The same with smoothing disabled (the classifier alone).</param>
/// <param name="Confusion">Counts [label, predicted] of the smoothed output.</param>
/// <param name="Frames">The number of frames scored.</param>
/// <param name="AudioSeconds">The seconds of audio evaluated.</param>
public sealed record VisemeEvaluation(double Accuracy, double UnsmoothedAccuracy, long[,] Confusion, long Frames, double AudioSeconds)
{
    /// <summary>Formats the confusion matrix (rows: espeak-ng label, columns: model) with per-class recall.</summary>
    /// <returns>A printable table.</returns>
    public string FormatConfusion()
    {
        var names = Enum.GetNames<VisemeClass>();
        var sb = new StringBuilder();
        sb.Append("label\\model").Append(string.Concat(names.Select(n => $"{n,9}"))).AppendLine("   recall");
        for (int r = 0; r < names.Length; r++)
        {
            long rowTotal = 0;
            sb.Append($"{names[r],-11}");
            for (int c = 0; c < names.Length; c++)
            {
                sb.Append($"{Confusion[r, c],9}");
                rowTotal += Confusion[r, c];
            }
            sb.AppendLine(rowTotal == 0 ? "        -" : $"{100.0 * Confusion[r, r] / rowTotal,8:F1}%");
        }
        return sb.ToString();
    }
}

/// <summary>
/// The accuracy harness: speaks held-out texts with held-out voices, runs the model like a stream, and
/// scores each output frame's argmax against the phoneme-derived label at the frame's time.
/// </summary>
public static class VisemeEvaluator
{
    /// <summary>Gets the held-out voices (espeak-ng voice, rate, pitch) as text.</summary>
    public static IReadOnlyList<string> HeldOutVoices { get; } = TrainingRecipe.EvalVoices.Select(v => v.ToString()).ToArray();

    /// <summary>Evaluates <paramref name="model"/> on the held-out recipe.</summary>
    /// <param name="model">The model (its frame rate and smoothing are used as configured).</param>
    /// <param name="maxSentences">Limits the sentences per voice (for quick checks).</param>
    /// <param name="maxVoices">Limits the voices (for quick checks).</param>
    /// <returns>The scores.</returns>
    /// <exception cref="InvalidOperationException">libespeak-ng is missing.</exception>
    public static VisemeEvaluation Evaluate(VisemeModel model, int maxSentences = int.MaxValue, int maxVoices = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(model);
        var raw = new VisemeModel(model.Network, new VisemeModelOptions { FrameRate = model.FrameRate, SmoothingTime = TimeSpan.Zero });
        var corpus = LabelledSpeech.LoadCorpus(TrainingRecipe.EvalCorpus).Take(maxSentences).ToList();
        var confusion = new long[VisemeNetwork.ClassCount, VisemeNetwork.ClassCount];
        long frames = 0, correct = 0, rawCorrect = 0;
        double seconds = 0;
        double samplesPerFrame = FeatureConstants.SampleRate / model.FrameRate;
        Span<float> scores = stackalloc float[VisemeNetwork.ClassCount];
        foreach (var voice in TrainingRecipe.EvalVoices.Take(maxVoices))
        {
            foreach (var text in corpus)
            {
                // A quarter second of silence on both sides, as between utterances in a meeting.
                var speech = LabelledSpeech.Synthesize(text, voice, FeatureConstants.SampleRate / 4, FeatureConstants.SampleRate / 4);
                seconds += (double)speech.Pcm.Length / FeatureConstants.SampleRate;
                var output = model.ProcessClip(speech.Pcm);
                var rawOutput = raw.ProcessClip(speech.Pcm);
                for (int k = 0; k < output.Length; k++)
                {
                    int label = (int)speech.LabelAt((long)Math.Floor(k * samplesPerFrame));
                    int predicted = ArgMax(output[k], scores);
                    confusion[label, predicted]++;
                    if (predicted == label) correct++;
                    if (ArgMax(rawOutput[k], scores) == label) rawCorrect++;
                    frames++;
                }
            }
        }
        return new VisemeEvaluation((double)correct / frames, (double)rawCorrect / frames, confusion, frames, seconds);
    }

    /// <summary>Gets the class with the largest weight among the five visemes and silence.</summary>
    internal static int ArgMax(in VisemeFrame frame, Span<float> scratch)
    {
        scratch[0] = frame.Aa;
        scratch[1] = frame.Ih;
        scratch[2] = frame.Ou;
        scratch[3] = frame.Ee;
        scratch[4] = frame.Oh;
        scratch[5] = frame.Silence;
        return VisemeTrainer.ArgMax(scratch);
    }
}
