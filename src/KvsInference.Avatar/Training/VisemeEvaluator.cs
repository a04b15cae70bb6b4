using System.Globalization;
using System.Text;
using KvsInference.Avatar.Features;
using KvsInference.Avatar.Model;
using KvsInference.Inference;

namespace KvsInference.Avatar.Training;

/// <summary>The scores of one voice (or of all voices of one engine) in <see cref="VisemeEvaluator.Evaluate"/>.</summary>
/// <param name="Voice">The voice ("fr_CA_f_June", "en-us+m6@160wpm/p45") or "all".</param>
/// <param name="Engine">Where the speech comes from: "recorded" (human, timing by DTW from espeak-ng) or "espeak-ng".</param>
/// <param name="Utterances">Utterances scored.</param>
/// <param name="Frames">Frames scored for accuracy: the middle 60 % of each vowel or silence segment.</param>
/// <param name="Correct">Of those, frames whose largest key (all 15 class keys) is the label.</param>
/// <param name="VowelFrames">Frames of vowel segments among <paramref name="Frames"/>.</param>
/// <param name="VowelCorrect">Of those, the correct ones.</param>
/// <param name="VowelOpen">Of those vowel frames, frames with the mouth open (jawOpen 0.15 or more): the other side of
/// <paramref name="PpClosed"/>, so that a jaw that closes more often shows what it costs.</param>
/// <param name="PpFrames">Frames at the centres of /p b m/.</param>
/// <param name="PpClosed">Of those, frames with the mouth closed (pp the largest class key, or jawOpen under 0.15).</param>
/// <param name="LevelFrames">Frames compared between the quiet (-40 dBFS peak) and loud (-3 dBFS peak) copies.</param>
/// <param name="LevelAgree">Of those, frames with the same largest class key.</param>
/// <param name="Confusion">Counts [label x 15 + predicted] of the scored frames (labels: vowels and silence).</param>
public sealed record VoiceScore(string Voice, string Engine, int Utterances, long Frames, long Correct, long VowelFrames, long VowelCorrect, long VowelOpen,
    long PpFrames, long PpClosed, long LevelFrames, long LevelAgree, long[] Confusion)
{
    /// <summary>Frame accuracy on vowel and silence frames.</summary>
    public double Accuracy => Ratio(Correct, Frames);

    /// <summary>Frame accuracy on vowel frames alone.</summary>
    public double VowelAccuracy => Ratio(VowelCorrect, VowelFrames);

    /// <summary>Share of vowel frames with the mouth open.</summary>
    public double VowelOpenShare => Ratio(VowelOpen, VowelFrames);

    /// <summary>Share of /p b m/ centres with the mouth closed.</summary>
    public double PpClosure => Ratio(PpClosed, PpFrames);

    /// <summary>Share of frames with the same viseme at -40 and -3 dBFS.</summary>
    public double LevelAgreement => Ratio(LevelAgree, LevelFrames);

    internal VoiceScore Add(VoiceScore o) => this with
    {
        Utterances = Utterances + o.Utterances, Frames = Frames + o.Frames, Correct = Correct + o.Correct, VowelFrames = VowelFrames + o.VowelFrames,
        VowelCorrect = VowelCorrect + o.VowelCorrect, VowelOpen = VowelOpen + o.VowelOpen, PpFrames = PpFrames + o.PpFrames, PpClosed = PpClosed + o.PpClosed,
        LevelFrames = LevelFrames + o.LevelFrames, LevelAgree = LevelAgree + o.LevelAgree,
        Confusion = Confusion.Zip(o.Confusion, (a, b) => a + b).ToArray(),
    };

    /// <summary>Formats the confusion of the vowel and silence labels (rows) with all 15 predictions (columns).</summary>
    /// <returns>A printable table.</returns>
    public string FormatConfusion()
    {
        int n = VisemeNetwork.ClassCount;
        var names = Enum.GetNames<VisemeClass>();
        var sb = new StringBuilder();
        sb.Append("label\\model").Append(string.Concat(names.Select(x => $"{x,7}"))).AppendLine("  recall");
        for (int r = 0; r <= (int)VisemeClass.Silence; r++)
        {
            long total = 0;
            sb.Append($"{names[r],-12}");
            for (int c = 0; c < n; c++)
            {
                sb.Append($"{Confusion[r * n + c],7}");
                total += Confusion[r * n + c];
            }
            sb.AppendLine(total == 0 ? "       -" : FormattableString.Invariant($"{100.0 * Confusion[r * n + r] / total,7:F1}%"));
        }
        return sb.ToString();
    }

    private static double Ratio(long a, long b) => b == 0 ? double.NaN : (double)a / b;
}

/// <summary>
/// The accuracy harness. Held out of training altogether: the recorded speakers of <see cref="TrainingRecipe.EvalSpeakers"/>
/// (phone timing by PocketSphinx forced alignment, <see cref="PhoneAligner"/>, or by <see cref="DtwAligner"/>) and the espeak-ng voices and texts of
/// <see cref="TrainingRecipe.EvalVoices"/> / <see cref="TrainingRecipe.EvalCorpus"/>. Scored like the issue that set the bars:
/// the model streams each utterance at its frame rate (right after the same voice's previous one, unless fresh streams are asked for); a frame counts when its time lies in the middle 60 % of a vowel or
/// silence segment; the prediction is the largest of the 15 class keys.
/// </summary>
public static class VisemeEvaluator
{
    private static readonly int ClassCount = VisemeNetwork.ClassCount;

    /// <summary>The shortest pause between two utterances of one voice in a stream: a quarter second.</summary>
    private const int GapSamples = FeatureConstants.SampleRate / 4;

    /// <summary>Evaluates <paramref name="model"/> per voice; returns the rows per voice and an "all" row per engine.</summary>
    /// <param name="model">The model (its frame rate and smoothing are used as configured).</param>
    /// <param name="maxPrompts">Limits the prompts per recorded speaker (quick checks).</param>
    /// <param name="maxSentences">Limits the sentences per espeak-ng voice (quick checks).</param>
    /// <param name="log">Progress lines; null for none.</param>
    /// <param name="aligner">How the recorded speakers' prompts get their phone timing (neither aligner is trained by this project).</param>
    /// <param name="validation">
    /// Names of training speakers and synthesizer voices to score instead of the held-out test set (a validation split:
    /// the model must have been trained with them in <see cref="VisemeTrainerOptions.HoldOut"/>); null for the test set.
    /// </param>
    /// <param name="opusBitrate">When above 0, every utterance is heard through Opus at this many bits per second (as a
    /// meeting's voice reaches the worker), after its level is set; 0 scores the recordings as they are.</param>
    /// <param name="freshStreams">True scores every utterance as a new stream; false (the default) hears each one 0.25..1.25 s
    /// after the same voice's previous utterance in one stream, as a meeting's stream hears its speaker (the
    /// normaliser knows the voice and the room; the first utterance of each voice starts its stream).</param>
    /// <returns>The scores.</returns>
    /// <exception cref="InvalidOperationException">libespeak-ng, ffmpeg, PocketSphinx or an evaluation speaker's packages are missing.</exception>
    /// <exception cref="ArgumentException">A validation name is not a training speaker or voice.</exception>
    public static IReadOnlyList<VoiceScore> Evaluate(VisemeModel model, int maxPrompts = int.MaxValue, int maxSentences = int.MaxValue, TextWriter? log = null,
        RecordingAligner aligner = RecordingAligner.PocketSphinx, IReadOnlyCollection<string>? validation = null, int opusBitrate = 0, bool freshStreams = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        var rows = new List<VoiceScore>();
        using var phoneAligner = aligner == RecordingAligner.PocketSphinx ? new PhoneAligner() : null;
        if (validation is not null)
        {
            TrainingRecipe.CheckSourceNames(validation);
            EvaluateValidation(model, validation, maxPrompts, phoneAligner, rows, log, opusBitrate, freshStreams);
            return WithTotals(rows);
        }
        foreach (var speaker in TrainingRecipe.EvalSpeakers)
        {
            var stream = new VoiceStream(model, speaker.Name, "recorded", opusBitrate, freshStreams);
            int unknown = 0, fallbacks = 0;
            foreach (var prompt in RecordedPrompts.Load(speaker, maxPrompts))
            {
                stream.Add(VisemeTrainer.AlignRecording(prompt, speaker, phoneAligner, ref unknown, ref fallbacks));
            }
            log?.WriteLine($"  {speaker.Name}: {stream.Total.Utterances} prompts ({aligner}{(fallbacks > 0 ? $", {fallbacks} by DTW: no PocketSphinx path" : "")})");
            rows.Add(stream.Total);
        }
        var corpus = LabelledSpeech.LoadCorpus(TrainingRecipe.EvalCorpus).Take(maxSentences).ToList();
        foreach (var voice in TrainingRecipe.EvalVoices) rows.Add(ScoreSpoken(model, corpus, voice, opusBitrate, freshStreams));
        return WithTotals(rows);
    }

    /// <summary>Adds an "all" row per engine.</summary>
    private static List<VoiceScore> WithTotals(List<VoiceScore> rows)
    {
        foreach (var engine in rows.Select(r => r.Engine).Distinct().ToList())
        {
            rows.Add(rows.Where(r => r.Engine == engine).Aggregate(Empty("all", engine), (a, b) => a.Add(b)));
        }
        return rows;
    }

    /// <summary>Scores named training sources, labelled as training labels them (prompts without a checked path are skipped).</summary>
    private static void EvaluateValidation(VisemeModel model, IReadOnlyCollection<string> names, int maxPrompts, PhoneAligner? phoneAligner, List<VoiceScore> rows, TextWriter? log, int opusBitrate, bool freshStreams)
    {
        int unknown = 0, fallbacks = 0;
        foreach (var speaker in TrainingRecipe.TrainSpeakers.Where(s => names.Contains(s.Name)))
        {
            var stream = new VoiceStream(model, speaker.Name, "recorded", opusBitrate, freshStreams);
            foreach (var prompt in RecordedPrompts.Load(speaker, maxPrompts))
            {
                var speech = speaker.BorrowedTranscript
                    ? VisemeTrainer.AlignCheckedText(prompt, speaker.EspeakVoice, phoneAligner, ref unknown)
                    : VisemeTrainer.AlignRecording(prompt, speaker, phoneAligner, ref unknown, ref fallbacks);
                if (speech is not null) stream.Add(speech);
            }
            log?.WriteLine($"  validation {speaker.Name}: {stream.Total.Utterances} prompts");
            rows.Add(stream.Total);
        }
        foreach (var voice in TrainingRecipe.EngineVoices.Where(v => names.Contains(v.Name)))
        {
            var engine = voice.Engine.ToString().ToLowerInvariant();
            var stream = new VoiceStream(model, voice.Name, engine, opusBitrate, freshStreams);
            foreach (var prompt in EngineSynthesizer.Speak(voice, Math.Min(maxPrompts, new VisemeTrainerOptions().EngineSentences)))
            {
                if (VisemeTrainer.AlignCheckedText(prompt, voice.EspeakVoice, phoneAligner, ref unknown) is { } speech) stream.Add(speech);
            }
            log?.WriteLine($"  validation {voice.Name}: {stream.Total.Utterances} prompts");
            rows.Add(stream.Total);
        }
        // Held-out espeak-ng training voices speak the end of the training corpus, which the recipe does not reach.
        var corpus = LabelledSpeech.LoadCorpus(TrainingRecipe.TrainCorpus).TakeLast(VisemeTrainerOptions.ValidationSentences).Take(maxPrompts).ToList();
        foreach (var voice in TrainingRecipe.TrainVoices.Where(v => names.Contains(v.Voice)))
        {
            rows.Add(ScoreSpoken(model, corpus, voice, opusBitrate, freshStreams));
        }
    }

    // An espeak-ng voice speaking the texts, each with a quarter second of silence on both sides, as between utterances in a meeting.
    private static VoiceScore ScoreSpoken(VisemeModel model, IReadOnlyList<string> texts, SpeechVoice voice, int opusBitrate, bool freshStreams)
    {
        var stream = new VoiceStream(model, voice.ToString(), "espeak-ng", opusBitrate, freshStreams);
        foreach (var text in texts)
        {
            stream.Add(LabelledSpeech.Synthesize(text, voice, FeatureConstants.SampleRate / 4, FeatureConstants.SampleRate / 4));
        }
        return stream.Total;
    }

    /// <summary>
    /// One voice's utterances, scored in order: each is heard right after the voice's previous one in one stream
    /// (<see cref="Score"/>'s previous utterance), or as a new stream when fresh streams are asked for.
    /// </summary>
    private sealed class VoiceStream(VisemeModel model, string voice, string engine, int opusBitrate, bool freshStreams)
    {
        private short[]? _previous;

        /// <summary>Gets the scores of the utterances added so far.</summary>
        public VoiceScore Total { get; private set; } = Empty(voice, engine);

        /// <summary>Scores the voice's next utterance.</summary>
        public void Add(LabelledSpeech speech)
        {
            Total = Total.Add(Score(model, speech, voice, engine, opusBitrate, _previous));
            if (!freshStreams) _previous = speech.Pcm;
        }
    }

    /// <summary>Formats the rows as a markdown table.</summary>
    /// <param name="rows">The rows of <see cref="Evaluate"/>.</param>
    /// <returns>The table.</returns>
    public static string FormatTable(IReadOnlyList<VoiceScore> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var sb = new StringBuilder();
        sb.AppendLine("| engine | voice | utterances | vowel+silence frames | accuracy | vowel accuracy | p/b/m closed | vowels open | quiet = loud |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            sb.AppendLine(FormattableString.Invariant(
                $"| {r.Engine} | {r.Voice} | {r.Utterances} | {r.Frames} | {r.Accuracy:F3} | {r.VowelAccuracy:F3} | {(r.PpFrames == 0 ? "-" : r.PpClosure.ToString("P0", CultureInfo.InvariantCulture))} ({r.PpFrames}) | {r.VowelOpenShare:P0} | {r.LevelAgreement:P1} |"));
        }
        return sb.ToString();
    }

    private static VoiceScore Empty(string voice, string engine) => new(voice, engine, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, new long[ClassCount * ClassCount]);

    /// <summary>Scores one labelled utterance.</summary>
    /// <param name="previous">The same voice's previous utterance, heard first in the same stream (its frames are not
    /// scored); null to score the utterance as a new stream.</param>
    internal static VoiceScore Score(VisemeModel model, LabelledSpeech speech, string voice, string engine, int opusBitrate = 0, short[]? previous = null)
    {
        double samplesPerFrame = FeatureConstants.SampleRate / model.FrameRate;
        // The previous utterance and at least a quarter second of pause, to a whole second, so that the scored frames fall
        // at the times they have in a new stream (at an integer frame rate).
        int lead = previous is null ? 0 : (previous.Length + GapSamples + FeatureConstants.SampleRate - 1) / FeatureConstants.SampleRate * FeatureConstants.SampleRate;
        short[] Heard(double peakDb)
        {
            var pcm = new short[lead + speech.Pcm.Length];
            if (previous is not null) Scale(previous, peakDb).CopyTo(pcm, 0);
            Scale(speech.Pcm, peakDb).CopyTo(pcm, lead);
            return opusBitrate > 0 ? OpusChannel.Apply(pcm, opusBitrate) : pcm;
        }
        var output = model.ProcessClip(Heard(-3));
        var quiet = model.ProcessClip(Heard(-40));
        Span<float> weights = stackalloc float[ClassCount];
        var confusion = new long[ClassCount * ClassCount];
        long frames = 0, correct = 0, vowelFrames = 0, vowelCorrect = 0, vowelOpen = 0, ppFrames = 0, ppClosed = 0, agree = 0;
        // The first frame at or after the utterance's start; with a lead of whole frames, frame k is the new stream's k - firstFrame.
        int firstFrame = (int)Math.Ceiling(lead / samplesPerFrame - 1e-9);
        double offset = firstFrame * samplesPerFrame - lead;
        if (Math.Abs(offset) < 1e-6) offset = 0;
        for (int k = firstFrame; k < output.Length; k++)
        {
            int predicted = ArgMax(output[k], weights);
            if (ArgMax(quiet[k], weights) == predicted) agree++;
            double t = (k - firstFrame) * samplesPerFrame + offset;
            int segment = speech.SegmentAt((long)Math.Floor(t));
            long start = segment < 0 ? 0 : speech.Starts[segment];
            long end = segment < 0 ? speech.Starts[0] : speech.SegmentEnd(segment);
            var label = segment < 0 || t >= speech.Pcm.Length ? VisemeClass.Silence : speech.Classes[segment];
            double length = end - start;
            if (label == VisemeClass.Pp)
            {
                // The frame nearest the segment's centre.
                double centre = (start + end) / 2.0;
                if (Math.Abs(t - centre) <= samplesPerFrame / 2 && !(t - centre == samplesPerFrame / 2))
                {
                    ppFrames++;
                    if (predicted == (int)VisemeClass.Pp || output[k].JawOpen < 0.15f) ppClosed++;
                }
                continue;
            }
            if (label > VisemeClass.Silence) continue; // consonants, and frames the aligner left unlabelled
            if (t < start + 0.2 * length || t > end - 0.2 * length) continue;
            frames++;
            confusion[(int)label * ClassCount + predicted]++;
            bool ok = predicted == (int)label;
            if (ok) correct++;
            if (label != VisemeClass.Silence)
            {
                vowelFrames++;
                if (ok) vowelCorrect++;
                if (output[k].JawOpen >= 0.15f) vowelOpen++;
            }
        }
        return new VoiceScore(voice, engine, 1, frames, correct, vowelFrames, vowelCorrect, vowelOpen, ppFrames, ppClosed, output.Length - firstFrame, agree, confusion);
    }

    /// <summary>A copy scaled so that its peak is at <paramref name="peakDb"/> dBFS.</summary>
    internal static short[] Scale(short[] pcm, double peakDb)
    {
        int peak = 1;
        foreach (var s in pcm) peak = Math.Max(peak, Math.Abs((int)s));
        double gain = 32767 * Math.Pow(10, peakDb / 20) / peak;
        var result = new short[pcm.Length];
        for (int i = 0; i < pcm.Length; i++) result[i] = (short)Math.Clamp(Math.Round(pcm[i] * gain), short.MinValue, short.MaxValue);
        return result;
    }

    /// <summary>Gets the class with the largest weight among the 15 class keys.</summary>
    internal static int ArgMax(in VisemeFrame frame, Span<float> scratch)
    {
        VisemeModel.ClassWeights(frame, scratch);
        return VisemeTrainer.ArgMax(scratch[..ClassCount]);
    }
}
