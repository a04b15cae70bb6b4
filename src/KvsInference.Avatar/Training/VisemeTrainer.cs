using System.Diagnostics;
using KvsInference.Avatar.Features;
using KvsInference.Avatar.Model;

namespace KvsInference.Avatar.Training;

/// <summary>
/// Trains the viseme classifier on recorded human speakers (<see cref="TrainingRecipe.TrainSpeakers"/>, phoneme timing
/// by PocketSphinx forced alignment of the transcript, <see cref="PhoneAligner"/>) and espeak-ng voices (<see cref="TrainingRecipe.TrainVoices"/>,
/// exact timing), each utterance tempo/vocal-tract perturbed and put in a random room and microphone
/// (<see cref="SpeechAugmenter"/>), then fits the MLP with Adam and softmax cross-entropy on level-normalised features.
/// Single-threaded and seeded: the same options and installed data give the same weights, byte for byte.
/// </summary>
public static class VisemeTrainer
{
    /// <summary>Trains a network.</summary>
    /// <param name="options">Settings; null for the defaults that made the shipped weights.</param>
    /// <returns>The trained network.</returns>
    /// <exception cref="InvalidOperationException">libespeak-ng, ffmpeg or a recorded speaker's packages are missing, or a voice is unknown.</exception>
    public static VisemeNetwork Train(VisemeTrainerOptions? options = null)
    {
        options ??= new VisemeTrainerOptions();
        var log = options.Log ?? TextWriter.Null;
        var clock = Stopwatch.StartNew();
        TrainingRecipe.CheckSourceNames(options.HoldOut);
        if (!VisemeTrainerOptions.IsValidMaxSentences(options.MaxSentences))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxSentences, $"MaxSentences must be in 1..{VisemeTrainerOptions.MaxTrainSentences}: the training corpus's last {VisemeTrainerOptions.ValidationSentences} sentences are kept for validation.");
        }
        if (!VisemeTrainerOptions.IsValidInputDropout(options.InputDropout))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.InputDropout, "InputDropout must be at least 0 and below 1.");
        }
        if (!VisemeTrainerOptions.IsValidWarmShare(options.WarmShare))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.WarmShare, "WarmShare must be in 0..1.");
        }
        if (!VisemeTrainerOptions.IsValidEnsemble(options.EnsembleSize, options.HiddenUnits, options.SecondHiddenUnits))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.EnsembleSize, $"EnsembleSize must be in 1..{VisemeTrainerOptions.MaxEnsembleSize}, HiddenUnits and SecondHiddenUnits x EnsembleSize at most {VisemeNetwork.MaxHiddenUnits}, and a second hidden layer needs a first (got {options.EnsembleSize} x {options.HiddenUnits} and {options.SecondHiddenUnits}).");
        }
        List<(float[] LogMel, float[] MeanSquare, byte[] Labels)> raw;
        var rng = new Random(options.Seed);
        if (options.FeatureCache is { } cache && File.Exists(cache))
        {
            raw = FeatureCache.Read(cache, DataKey(options));
            log.WriteLine($"  read {raw.Count} augmented utterances from {cache} ({clock.Elapsed.TotalSeconds:F1} s)");
        }
        else
        {
            raw = PrepareData(options, rng, log, clock);
            if (options.FeatureCache is { } path) FeatureCache.Write(path, DataKey(options), raw);
        }
        // With a feature cache the fit starts a new random sequence, so the run that writes the cache and the runs that
        // read it agree; without one it continues the data's sequence, as the run that made the shipped weights did. A fit
        // seed starts it anew in either case (several fits of one data preparation).
        if (options.FitSeed is { } fitSeed) rng = new Random(fitSeed);
        else if (options.FeatureCache is not null) rng = new Random(options.Seed);

        // 3. Level, mean and variance normalisation as the model streams it, per-band statistics, then fit.
        // Without a second hidden layer the members merge into one first layer exactly; with one they stay side by side.
        int members = options.SecondHiddenUnits > 0 ? options.EnsembleSize : 1;
        var network = new VisemeNetwork(options.ContextFrames, options.HiddenUnits * options.EnsembleSize, options.NoiseFloorDb, options.SecondHiddenUnits * options.EnsembleSize, members);
        var data = Normalise(raw, network, options.WarmShare);
        raw.Clear();
        log.WriteLine($"  {data.Labels.Length} decisions ({data.Labels.Count(l => l >= VisemeNetwork.ClassCount)} unlabelled) x {network.InputSize} inputs; class counts {string.Join(", ", Enumerable.Range(0, VisemeNetwork.ClassCount).Select(c => $"{(VisemeClass)c} {data.Labels.Count(t => t == c)}"))}");
        // The members are fitted one after another from the fit's random sequence, each to the same data; a single member
        // is the network itself (its output layer divided by 1).
        for (int k = 0; k < options.EnsembleSize; k++)
        {
            log.WriteLine($"  network {k + 1} of {options.EnsembleSize}");
            var member = new VisemeNetwork(options.ContextFrames, options.HiddenUnits, options.NoiseFloorDb, options.SecondHiddenUnits);
            network.CopyFrontEndTo(member);
            Fit(member, data, options, rng, log);
            AddMember(network, member, k, options.EnsembleSize);
        }
        log.WriteLine($"  trained in {clock.Elapsed.TotalSeconds:F1} s");
        return network;
    }

    /// <summary>
    /// The options that decide the training data (everything but the classifier's), for <see cref="FeatureCache"/>. The Fish
    /// Fillets voices are named only when used, so that caches written before they existed stay readable.
    /// </summary>
    private static string DataKey(VisemeTrainerOptions o) =>
        FormattableString.Invariant($"seed {o.Seed}, copies {o.CopiesPerRecording}, speakers {o.MaxSpeakers}, prompts {o.MaxPrompts}, voices {o.MaxVoices}, language voices {o.MaxLanguageVoices}, sentences {o.MaxSentences}, ") +
        FormattableString.Invariant($"engine voices {o.MaxEngineVoices}, engine sentences {o.EngineSentences}, klettres {o.MaxKLettresSpeakers} x {o.KLettresPrompts}, {(o.MaxFilletsSpeakers > 0 ? $"fillets {o.MaxFilletsSpeakers}, " : "")}codec share {o.CodecShare}, aligner {o.Aligner}, hold-out {string.Join(" ", o.HoldOut.Order(StringComparer.Ordinal))}");

    /// <summary>Steps 1 and 2: labelled speech of every source, augmented, as raw log-mel frames with per-decision labels.</summary>
    private static List<(float[] LogMel, float[] MeanSquare, byte[] Labels)> PrepareData(VisemeTrainerOptions options, Random rng, TextWriter log, Stopwatch clock)
    {

        // 1. Clean labelled speech: espeak-ng voices (exact timing) and recorded humans (timing by DTW from espeak-ng).
        var clean = new List<LabelledSpeech>();
        var corpus = LabelledSpeech.LoadCorpus(TrainingRecipe.TrainCorpus).Take(options.MaxSentences).ToList();
        int unknown = 0;
        void AddSpoken(string text, SpeechVoice voice)
        {
            // Half the utterances vocal-tract-length perturbed (formants and tempo x 0.91..1.09).
            int? playbackRate = rng.NextDouble() < 0.5 ? TrainingRecipe.WarpPlaybackRates[rng.Next(TrainingRecipe.WarpPlaybackRates.Count)] : null;
            var speech = LabelledSpeech.FromSpeech(EspeakSynthesizer.Speak(text, voice), playbackRate: playbackRate);
            unknown += speech.UnknownPhonemes;
            clean.Add(speech);
        }
        foreach (var voice in TrainingRecipe.TrainVoices.Take(options.MaxVoices).Where(v => !options.HoldOut.Contains(v.Voice)))
        {
            foreach (var text in corpus) AddSpoken(text, voice);
        }
        foreach (var (voice, corpusName) in TrainingRecipe.LanguageVoices.Take(options.MaxLanguageVoices))
        {
            foreach (var text in LabelledSpeech.LoadCorpus(corpusName).Take(options.MaxSentences)) AddSpoken(text, voice);
        }
        log.WriteLine($"  espeak-ng: {clean.Count} utterances ({clock.Elapsed.TotalSeconds:F1} s)");
        using var phoneAligner = options.Aligner == RecordingAligner.PocketSphinx ? new PhoneAligner() : null;
        int dtwFallbacks = 0, borrowedSkipped = 0;
        void AddCopies(LabelledSpeech aligned)
        {
            clean.Add(aligned);
            for (int copy = 1; copy < options.CopiesPerRecording; copy++)
            {
                // Odd copies vary the speaker's own voice; even ones lower it toward a man's (the recorded speakers are all women).
                var rates = copy % 2 == 1 ? TrainingRecipe.RecordingWarpRates : TrainingRecipe.LowVoiceWarpRates;
                clean.Add(aligned.Warp(rates[rng.Next(rates.Count)]));
            }
        }
        foreach (var speaker in TrainingRecipe.TrainSpeakers.Take(options.MaxSpeakers).Where(s => !options.HoldOut.Contains(s.Name)))
        {
            int before = clean.Count;
            foreach (var prompt in RecordedPrompts.Load(speaker, options.MaxPrompts))
            {
                var aligned = speaker.BorrowedTranscript
                    ? AlignCheckedText(prompt, speaker.EspeakVoice, phoneAligner, ref unknown)
                    : AlignRecording(prompt, speaker, phoneAligner, ref unknown, ref dtwFallbacks);
                if (aligned is null) borrowedSkipped++;
                else AddCopies(aligned);
            }
            log.WriteLine($"  recorded {speaker.Name}: {clean.Count - before} utterances ({clock.Elapsed.TotalSeconds:F1} s)");
        }
        if (borrowedSkipped > 0) log.WriteLine($"  {borrowedSkipped} prompts of borrowed transcripts were skipped (no PocketSphinx path, or a length unlike the text's)");
        // Speech whose words may not be espeak-ng's reading of its text (an engine's text normalisation; a letter read by
        // its name): only what has a PocketSphinx path through the text and a length like its reading is kept.
        void AddChecked(string source, IEnumerable<RecordedPrompt> prompts, string espeakVoice)
        {
            int before = clean.Count, skipped = 0;
            foreach (var prompt in prompts)
            {
                if (AlignCheckedText(prompt, espeakVoice, phoneAligner, ref unknown) is { } aligned) AddCopies(aligned);
                else skipped++;
            }
            log.WriteLine($"  {source}: {clean.Count - before} utterances, {skipped} without a PocketSphinx path or of another length skipped ({clock.Elapsed.TotalSeconds:F1} s)");
        }
        foreach (var voice in TrainingRecipe.EngineVoices.Take(options.MaxEngineVoices).Where(v => !options.HoldOut.Contains(v.Name)))
        {
            AddChecked($"{voice.Engine} {voice.Name}", EngineSynthesizer.Speak(voice, options.EngineSentences), voice.EspeakVoice);
        }
        foreach (var speaker in TrainingRecipe.KLettresSpeakers.Take(options.MaxKLettresSpeakers).Where(k => !options.HoldOut.Contains(k.Name)))
        {
            AddChecked($"KLettres {speaker.Name}", KLettresPrompts.Load(speaker, options.KLettresPrompts), speaker.EspeakVoice);
        }
        foreach (var speaker in TrainingRecipe.FilletsSpeakers.Take(options.MaxFilletsSpeakers).Where(f => !options.HoldOut.Contains(f.Name)))
        {
            AddChecked($"Fish Fillets {speaker.Name}", FilletsPrompts.Load(speaker), speaker.EspeakVoice);
        }
        if (dtwFallbacks > 0) log.WriteLine($"  {dtwFallbacks} prompts had no PocketSphinx path and were aligned by DTW");
        if (unknown > 0) log.WriteLine($"  {unknown} phonemes had no viseme mapping and took the previous phoneme's class");

        // 2. Augment, then raw log-mel frames and per-decision labels.
        var pool = clean.Select(c => c.Pcm).ToList();
        var raw = new List<(float[] LogMel, float[] MeanSquare, byte[] Labels)>(clean.Count);
        double audioSeconds = 0;
        foreach (var speech in clean)
        {
            var (pcm, lead) = SpeechAugmenter.Augment(speech.Pcm, pool, rng, options.CodecShare);
            audioSeconds += (double)pcm.Length / FeatureConstants.SampleRate;
            var (logMel, meanSquare) = LogMelFrames.Compute(pcm);
            var labels = new byte[meanSquare.Length];
            for (int d = 0; d < labels.Length; d++) labels[d] = (byte)speech.LabelAt(VisemeModel.LabelSampleOfDecision(d) - lead);
            raw.Add((logMel, meanSquare, labels));
        }
        clean.Clear();
        pool.Clear();
        log.WriteLine($"  augmented {raw.Count} utterances, {audioSeconds:F0} s of audio ({clock.Elapsed.TotalSeconds:F1} s)");
        return raw;
    }

    /// <summary>
    /// Labels a recorded prompt: espeak-ng speaks its transcript in the speaker's language; PocketSphinx places its
    /// classes in the recording (<paramref name="phoneAligner"/>), or DTW moves espeak-ng's timing onto it (without
    /// one, or when no grammar path fits the recording: <paramref name="dtwFallbacks"/> counts those).
    /// </summary>
    internal static LabelledSpeech AlignRecording(RecordedPrompt prompt, RecordedSpeaker speaker, PhoneAligner? phoneAligner, ref int unknown, ref int dtwFallbacks)
    {
        var quarter = FeatureConstants.SampleRate / 4;
        var synthetic = LabelledSpeech.FromSpeech(EspeakSynthesizer.Speak(prompt.Text, new SpeechVoice(speaker.EspeakVoice, 160, 50)), quarter, quarter);
        unknown += synthetic.UnknownPhonemes;
        if (phoneAligner?.Align(prompt.Pcm, synthetic) is { } aligned) return aligned;
        if (phoneAligner is not null) dtwFallbacks++;
        return DtwAligner.Align(prompt.Pcm, synthetic);
    }

    /// <summary>
    /// Labels a prompt whose words may not be exactly its text: a set read from another recording's transcript
    /// (<see cref="RecordedSpeaker.BorrowedTranscript"/>) or a synthesizer's reading (<see cref="EngineVoice"/>). Returns
    /// null when the text may not be what was said: its length is outside 0.6..1.7 times espeak-ng's reading
    /// of the text (<paramref name="espeakVoice"/>), or PocketSphinx finds no path through the text (no DTW fallback, which would warp any text onto it).
    /// </summary>
    internal static LabelledSpeech? AlignCheckedText(RecordedPrompt prompt, string espeakVoice, PhoneAligner? phoneAligner, ref int unknown)
    {
        if (phoneAligner is null) return null;
        var quarter = FeatureConstants.SampleRate / 4;
        var synthetic = LabelledSpeech.FromSpeech(EspeakSynthesizer.Speak(prompt.Text, new SpeechVoice(espeakVoice, 160, 50)), quarter, quarter);
        double ratio = (double)prompt.Pcm.Length / synthetic.Pcm.Length;
        if (ratio < 0.6 || ratio > 1.7) return null;
        unknown += synthetic.UnknownPhonemes;
        return phoneAligner.Align(prompt.Pcm, synthetic);
    }

    /// <summary>The normalised frames of all utterances, concatenated, with each frame's utterance start and label.</summary>
    private sealed record Dataset(float[] Frames, int[] UtteranceStart, byte[] Labels);

    private static Dataset Normalise(List<(float[] LogMel, float[] MeanSquare, byte[] Labels)> raw, VisemeNetwork network, double warmShare)
    {
        int bands = FeatureConstants.MelBands;
        // Pass 1: the mean and band variances of the level-normalised spectrum of speech windows (the normaliser's reference).
        var speechSum = new double[bands];
        var speechSquares = new double[bands];
        long speechCount = 0;
        var scratch = new float[bands];
        foreach (var (logMel, meanSquare, _) in raw)
        {
            float levelDb = LevelNormaliser.FloorDb;
            for (int f = 0; f < meanSquare.Length; f++)
            {
                logMel.AsSpan(f * bands, bands).CopyTo(scratch);
                if (!LevelNormaliser.ApplyLevelOnly(ref levelDb, scratch, meanSquare[f], network.NoiseFloorDb)) continue;
                for (int b = 0; b < bands; b++)
                {
                    speechSum[b] += scratch[b];
                    speechSquares[b] += (double)scratch[b] * scratch[b];
                }
                speechCount++;
            }
        }
        for (int b = 0; b < bands; b++)
        {
            double mean = speechSum[b] / Math.Max(1, speechCount);
            network.SpeechMean[b] = (float)mean;
            network.SpeechVariance[b] = (float)Math.Max(LevelNormaliser.MinVariance, speechSquares[b] / Math.Max(1, speechCount) - mean * mean);
        }

        // Pass 2: stream each utterance through the normaliser, as VisemeModel does.
        long total = raw.Sum(r => (long)r.Labels.Length);
        var frames = new float[total * bands];
        var starts = new int[total];
        var labels = new byte[total];
        var state = new LevelNormaliser.State();
        int row = 0;
        for (int u = 0; u < raw.Count; u++)
        {
            var (logMel, meanSquare, utteranceLabels) = raw[u];
            LevelNormaliser.Reset(state, network.SpeechMean, network.SpeechVariance);
            // A warm utterance is heard once first, so the normaliser holds its speaker's and room's level and spectrum.
            // Which ones are warm is spread evenly over the list (golden-ratio steps), without drawing from the random sequence.
            if (u * 0.6180339887498949 % 1 < warmShare)
            {
                for (int f = 0; f < meanSquare.Length; f++)
                {
                    logMel.AsSpan(f * bands, bands).CopyTo(scratch);
                    LevelNormaliser.Apply(state, scratch, meanSquare[f], network.SpeechMean, network.SpeechVariance, network.NoiseFloorDb);
                }
            }
            int first = row;
            for (int f = 0; f < meanSquare.Length; f++, row++)
            {
                var dest = frames.AsSpan(row * bands, bands);
                logMel.AsSpan(f * bands, bands).CopyTo(dest);
                LevelNormaliser.Apply(state, dest, meanSquare[f], network.SpeechMean, network.SpeechVariance, network.NoiseFloorDb);
                starts[row] = first;
                labels[row] = utteranceLabels[f];
            }
        }
        var sum = new double[bands];
        var sumSq = new double[bands];
        for (int i = 0; i < frames.Length; i++)
        {
            sum[i % bands] += frames[i];
            sumSq[i % bands] += (double)frames[i] * frames[i];
        }
        for (int b = 0; b < bands; b++)
        {
            double mean = sum[b] / total;
            double variance = Math.Max(1e-6, sumSq[b] / total - mean * mean);
            network.Mean[b] = (float)mean;
            network.InvStd[b] = (float)(1 / Math.Sqrt(variance));
        }
        for (int f = 0; f < frames.Length; f += bands) network.Normalise(frames.AsSpan(f, bands));
        return new Dataset(frames, starts, labels);
    }

    /// <summary>Copies the classifier input of decision <paramref name="row"/>: its context frames, silent frames before the utterance.</summary>
    private static void StackInput(Dataset data, int row, int context, ReadOnlySpan<float> silent, Span<float> x)
    {
        int bands = FeatureConstants.MelBands;
        int first = data.UtteranceStart[row];
        for (int c = 0; c < context; c++)
        {
            int frame = row - context + 1 + c;
            ReadOnlySpan<float> src = frame < first ? silent : data.Frames.AsSpan(frame * bands, bands);
            src.CopyTo(x.Slice(c * bands, bands));
        }
    }

    private static void Fit(VisemeNetwork net, Dataset data, VisemeTrainerOptions options, Random rng, TextWriter log)
    {
        int d = net.InputSize, h = net.HiddenUnits, h2 = net.SecondHiddenUnits, c = VisemeNetwork.ClassCount, n = data.Labels.Length;
        var targets = data.Labels;
        var silent = new float[FeatureConstants.MelBands];
        LevelNormaliser.SilentFrame(silent, net.NoiseFloorDb);
        net.Normalise(silent);
        var x = new float[d];
        // He initialisation for the ReLU layers, Glorot-like for the output layer.
        for (int i = 0; i < net.W1.Length; i++) net.W1[i] = (float)(Gaussian(rng) * Math.Sqrt(2.0 / d));
        for (int i = 0; i < net.W2.Length; i++) net.W2[i] = (float)(Gaussian(rng) * Math.Sqrt(1.0 / net.OutputInputs));
        for (int i = 0; i < net.Wm.Length; i++) net.Wm[i] = (float)(Gaussian(rng) * Math.Sqrt(2.0 / h));
        var parameters = new[] { net.W1, net.B1, net.W2, net.B2, net.Wm, net.Bm };
        var grads = parameters.Select(p => new float[p.Length]).ToArray();
        var m = parameters.Select(p => new float[p.Length]).ToArray();
        var v = parameters.Select(p => new float[p.Length]).ToArray();
        // Frames the aligner could not vouch for (DtwAligner.Unlabelled) are context only, never targets.
        var order = Enumerable.Range(0, n).Where(i => targets[i] < c).ToArray();
        n = order.Length;
        // Class weights (count / mean count) ^ -power, scaled to a mean of 1 over the frames: 0 weighs every frame alike.
        var counts = new double[c];
        foreach (int i in order) counts[targets[i]]++;
        var classWeights = counts.Select(k => (float)Math.Pow(Math.Max(1, k) * c / n, -options.ClassWeightPower)).ToArray();
        double meanWeight = Enumerable.Range(0, c).Sum(j => counts[j] * classWeights[j]) / n;
        for (int j = 0; j < c; j++) classWeights[j] = (float)(classWeights[j] / meanWeight);
        float smoothingShare = (float)(options.LabelSmoothing / c);
        double dropout = options.InputDropout;
        float keepScale = (float)(1 / (1 - dropout));
        var hidden = new float[net.HiddenBufferSize];
        var probs = new float[c];
        var dHidden = new float[h];
        var dSecond = new float[h2];
        const double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
        long step = 0;
        long totalSteps = (long)options.Epochs * ((n + options.BatchSize - 1) / options.BatchSize);
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            rng.Shuffle(order);
            double loss = 0;
            long correct = 0;
            var epochClock = Stopwatch.StartNew();
            for (int start = 0; start < n; start += options.BatchSize)
            {
                int end = Math.Min(n, start + options.BatchSize);
                foreach (var g in grads) Array.Clear(g);
                for (int k = start; k < end; k++)
                {
                    int row = order[k];
                    StackInput(data, row, net.ContextFrames, silent, x);
                    if (dropout > 0)
                    {
                        for (int i = 0; i < d; i++) x[i] = rng.NextDouble() < dropout ? 0 : x[i] * keepScale;
                    }
                    int y = targets[row];
                    net.Forward(x, hidden, probs);
                    loss -= Math.Log(Math.Max(1e-12, probs[y]));
                    if (ArgMax(probs) == y) correct++;
                    // dLoss/dLogits: probabilities minus the (smoothed) target, times the class's weight.
                    for (int j = 0; j < c; j++) probs[j] = (probs[j] - smoothingShare) * classWeights[y];
                    probs[y] -= (float)(1 - options.LabelSmoothing) * classWeights[y];
                    Array.Clear(dHidden);
                    Array.Clear(dSecond);
                    // The output layer reads the last hidden layer, or the input without one (a linear softmax model).
                    ReadOnlySpan<float> first = hidden.AsSpan(0, h);
                    ReadOnlySpan<float> below = h2 > 0 ? hidden.AsSpan(h, h2) : h == 0 ? x : first;
                    Span<float> dBelow = h2 > 0 ? dSecond : dHidden;
                    int width = below.Length;
                    for (int j = 0; j < c; j++)
                    {
                        float g = probs[j];
                        grads[3][j] += g;
                        DenseMath.AddScaled(grads[2].AsSpan(j * width, width), below, g);
                        if (h > 0) DenseMath.AddScaled(dBelow, net.W2.AsSpan(j * width, width), g);
                    }
                    for (int u = 0; u < h2; u++)
                    {
                        if (hidden[h + u] <= 0) continue; // ReLU gate of the second layer
                        float g = dSecond[u];
                        grads[5][u] += g;
                        DenseMath.AddScaled(grads[4].AsSpan(u * h, h), first, g);
                        DenseMath.AddScaled(dHidden, net.Wm.AsSpan(u * h, h), g);
                    }
                    for (int u = 0; u < h; u++)
                    {
                        if (hidden[u] <= 0) continue; // ReLU gate
                        float g = dHidden[u];
                        grads[1][u] += g;
                        DenseMath.AddScaled(grads[0].AsSpan(u * d, d), x, g);
                    }
                }
                step++;
                double lr = options.LearningRate * (1 - 0.9 * step / totalSteps);
                double scale = 1.0 / (end - start);
                double correction1 = 1 - Math.Pow(beta1, step), correction2 = 1 - Math.Pow(beta2, step);
                for (int p = 0; p < parameters.Length; p++)
                {
                    var w = parameters[p];
                    var g = grads[p];
                    var mp = m[p];
                    var vp = v[p];
                    for (int i = 0; i < w.Length; i++)
                    {
                        double gi = g[i] * scale;
                        mp[i] = (float)(beta1 * mp[i] + (1 - beta1) * gi);
                        vp[i] = (float)(beta2 * vp[i] + (1 - beta2) * gi * gi);
                        w[i] -= (float)(lr * (mp[i] / correction1) / (Math.Sqrt(vp[i] / correction2) + epsilon));
                    }
                }
            }
            log.WriteLine($"  epoch {epoch + 1}/{options.Epochs}: loss {loss / n:F4}, training accuracy {100.0 * correct / n:F1} % ({epochClock.Elapsed.TotalSeconds:F1} s)");
        }
    }

    /// <summary>
    /// Puts member <paramref name="index"/> of <paramref name="count"/> into <paramref name="ensemble"/>: averaging the
    /// members' logits is one network with their hidden layers side by side and each output row the mean of theirs.
    /// </summary>
    internal static void AddMember(VisemeNetwork ensemble, VisemeNetwork member, int index, int count)
    {
        int h = member.HiddenUnits, width = member.OutputInputs, total = ensemble.OutputInputs;
        member.W1.CopyTo(ensemble.W1, index * h * member.InputSize);
        member.B1.CopyTo(ensemble.B1, index * h);
        // A second hidden layer is stored member by member (VisemeNetwork.Members), so a member's block is one run.
        member.Wm.CopyTo(ensemble.Wm, index * member.Wm.Length);
        member.Bm.CopyTo(ensemble.Bm, index * member.Bm.Length);
        // Linear members (no hidden layer) all read the input: their output rows are averaged in place.
        int offset = h == 0 ? 0 : index * width;
        for (int j = 0; j < VisemeNetwork.ClassCount; j++)
        {
            for (int i = 0; i < width; i++) ensemble.W2[j * total + offset + i] += member.W2[j * width + i] / count;
            ensemble.B2[j] += member.B2[j] / count;
        }
    }

    private static double Gaussian(Random rng)
    {
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    internal static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
