using KvsInference.Avatar.Features;
using KvsInference.Avatar.Model;

namespace KvsInference.Avatar.Training;

/// <summary>
/// 16 kHz speech with a viseme class for every instant, made from espeak-ng's phoneme events.
/// </summary>
internal sealed class LabelledSpeech
{
    private readonly long[] _starts;
    private readonly VisemeClass[] _classes;

    private LabelledSpeech(short[] pcm, long[] starts, VisemeClass[] classes, int unknownPhonemes)
    {
        Pcm = pcm;
        _starts = starts;
        _classes = classes;
        UnknownPhonemes = unknownPhonemes;
    }

    /// <summary>The audio at 16 kHz.</summary>
    public short[] Pcm { get; }

    /// <summary>Where each segment starts (16 kHz samples, increasing); the last one is the end of the speech.</summary>
    public IReadOnlyList<long> Starts => _starts;

    /// <summary>The class of each segment.</summary>
    public IReadOnlyList<VisemeClass> Classes => _classes;

    /// <summary>Labels audio with given segments (from an alignment).</summary>
    public static LabelledSpeech FromTimings(short[] pcm, long[] starts, VisemeClass[] classes) => new(pcm, starts, classes, 0);

    /// <summary>Gets the segment index at a sample (-1 before the first).</summary>
    public int SegmentAt(long sample)
    {
        int i = Array.BinarySearch(_starts, sample);
        return i < 0 ? ~i - 1 : i;
    }

    /// <summary>Gets where segment <paramref name="index"/> ends (the next segment's start, or the end of the audio).</summary>
    public long SegmentEnd(int index) => index + 1 < _starts.Length ? _starts[index + 1] : Pcm.Length;

    /// <summary>
    /// Plays the audio as if it had been recorded at <paramref name="takenAsRate"/> instead of 16 kHz: formants and
    /// tempo scale by takenAsRate / 16000 (vocal-tract-length and tempo perturbation); the labels scale with the audio.
    /// </summary>
    public LabelledSpeech Warp(int takenAsRate)
    {
        var pcm = TrainingResampler.For(takenAsRate, FeatureConstants.SampleRate).Resample(Pcm);
        double scale = (double)FeatureConstants.SampleRate / takenAsRate;
        var starts = new long[_starts.Length];
        for (int i = 0; i < starts.Length; i++) starts[i] = (long)Math.Round(_starts[i] * scale);
        for (int i = 1; i < starts.Length; i++) starts[i] = Math.Max(starts[i], starts[i - 1] + 1);
        return new LabelledSpeech(pcm, starts, (VisemeClass[])_classes.Clone(), UnknownPhonemes);
    }

    /// <summary>How many phonemes had no entry in <see cref="PhonemeVisemeMap"/> (labelled like the previous one).</summary>
    public int UnknownPhonemes { get; }

    /// <summary>The class at a 16 kHz sample position (silence before the first phoneme and outside the audio).</summary>
    public VisemeClass LabelAt(long sample)
    {
        if (sample < 0 || sample >= Pcm.Length) return VisemeClass.Silence;
        int i = Array.BinarySearch(_starts, sample);
        if (i < 0) i = ~i - 1;
        return i < 0 ? VisemeClass.Silence : _classes[i];
    }

    /// <summary>
    /// Speaks <paramref name="text"/>, resamples to 16 kHz, adds <paramref name="leadSamples"/> and
    /// <paramref name="tailSamples"/> of silence, and converts the phoneme events to class segments.
    /// </summary>
    public static LabelledSpeech Synthesize(string text, SpeechVoice voice, int leadSamples = 0, int tailSamples = 0) =>
        FromSpeech(EspeakSynthesizer.Speak(text, voice), leadSamples, tailSamples);

    /// <summary>
    /// Labels synthesized speech as <see cref="Synthesize"/> does. With <paramref name="playbackRate"/> the samples
    /// are taken as recorded at that rate instead of the synthesizer's: a rate below it lowers every formant and
    /// slows the speech by the same factor (a longer vocal tract), above it the reverse. That is vocal-tract-length
    /// perturbation, with labels that stay exact because the phoneme times scale with the audio.
    /// </summary>
    public static LabelledSpeech FromSpeech(SynthesizedSpeech speech, int leadSamples = 0, int tailSamples = 0, int? playbackRate = null)
    {
        int sourceRate = playbackRate ?? speech.SampleRate;
        // Not Core's Resampler: the shipped weights were trained on this filter's features (see TrainingResampler).
        var resampled = TrainingResampler.For(sourceRate, FeatureConstants.SampleRate).Resample(speech.Samples);
        var pcm = new short[leadSamples + resampled.Length + tailSamples];
        resampled.CopyTo(pcm, leadSamples);
        var starts = new List<long>(speech.Phonemes.Count);
        var classes = new List<VisemeClass>(speech.Phonemes.Count);
        int unknown = 0;
        double scale = (double)FeatureConstants.SampleRate / sourceRate;
        foreach (var phoneme in speech.Phonemes)
        {
            if (!PhonemeVisemeMap.TryMap(phoneme.Name, out var viseme))
            {
                unknown++;
                viseme = classes.Count > 0 ? classes[^1] : VisemeClass.Silence;
            }
            long start = leadSamples + (long)Math.Round(phoneme.StartSample * scale);
            if (starts.Count > 0 && start <= starts[^1])
            {
                // Two events at one position: the later one wins (espeak reports zero-length pauses).
                classes[^1] = viseme;
                continue;
            }
            starts.Add(start);
            classes.Add(viseme);
        }
        // The synthesizer's trailing samples after the last event belong to that event (a pause); the added tail is silence.
        starts.Add(leadSamples + resampled.Length);
        classes.Add(VisemeClass.Silence);
        return new LabelledSpeech(pcm, [.. starts], [.. classes], unknown);
    }

    /// <summary>Reads a corpus embedded in this assembly: one sentence a line, '#' lines are comments.</summary>
    public static IReadOnlyList<string> LoadCorpus(string name)
    {
        using var stream = typeof(LabelledSpeech).Assembly.GetManifestResourceStream("KvsInference.Avatar.Training." + name)
            ?? throw new InvalidOperationException($"corpus {name} is not embedded");
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            line = line.Trim();
            if (line.Length > 0 && !line.StartsWith('#')) lines.Add(line);
        }
        return lines;
    }
}
