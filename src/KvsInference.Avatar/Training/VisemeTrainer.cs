using System.Diagnostics;
using KvsInference.Avatar.Features;
using KvsInference.Avatar.Model;

namespace KvsInference.Avatar.Training;

/// <summary>
/// Trains the viseme classifier from espeak-ng speech: synthesizes the training corpus with the
/// <see cref="TrainingRecipe.TrainVoices"/>, labels every 10 ms decision from the phoneme events, augments
/// (silence padding, gain, background noise), then fits the MLP with Adam and softmax cross-entropy.
/// Single-threaded and seeded: the same options give the same weights, byte for byte.
/// </summary>
public static class VisemeTrainer
{
    /// <summary>Trains a network.</summary>
    /// <param name="options">Settings; null for the defaults that made the shipped weights.</param>
    /// <returns>The trained network.</returns>
    /// <exception cref="InvalidOperationException">libespeak-ng is missing or a voice is unknown.</exception>
    public static VisemeNetwork Train(VisemeTrainerOptions? options = null)
    {
        options ??= new VisemeTrainerOptions();
        var log = options.Log ?? TextWriter.Null;
        var rng = new Random(options.Seed);
        var clock = Stopwatch.StartNew();
        var corpus = LabelledSpeech.LoadCorpus(TrainingRecipe.TrainCorpus).Take(options.MaxSentences).ToList();

        // 1. Speech -> augmented copies -> log-mel frames and per-decision labels.
        var utterances = new List<(float[] Frames, byte[] Labels)>();
        double audioSeconds = 0;
        int unknown = 0;
        foreach (var voice in TrainingRecipe.TrainVoices.Take(options.MaxVoices))
        {
            foreach (var text in corpus)
            {
                var synthesized = EspeakSynthesizer.Speak(text, voice);
                for (int copy = 0; copy < options.CopiesPerUtterance; copy++)
                {
                    // The first copy is the voice as espeak-ng made it; the others are vocal-tract-length
                    // perturbed (formants and tempo scaled by 0.91..1.09) to stand for speakers not in the recipe.
                    int? playbackRate = copy == 0 ? null : TrainingRecipe.WarpPlaybackRates[rng.Next(TrainingRecipe.WarpPlaybackRates.Count)];
                    var speech = LabelledSpeech.FromSpeech(synthesized, playbackRate: playbackRate);
                    if (copy == 0) unknown += speech.UnknownPhonemes;
                    var (pcm, lead) = Augment(speech.Pcm, rng);
                    audioSeconds += (double)pcm.Length / FeatureConstants.SampleRate;
                    var frames = LogMelFrames.Compute(pcm);
                    var labels = new byte[frames.Length / FeatureConstants.MelBands];
                    for (int d = 0; d < labels.Length; d++)
                    {
                        labels[d] = (byte)speech.LabelAt(VisemeModel.LabelSampleOfDecision(d) - lead);
                    }
                    utterances.Add((frames, labels));
                }
            }
            log.WriteLine($"  synthesized {voice}: {utterances.Count} utterances, {audioSeconds:F0} s of audio so far ({clock.Elapsed.TotalSeconds:F1} s)");
        }
        if (unknown > 0) log.WriteLine($"  {unknown} phonemes had no viseme mapping and took the previous phoneme's class");

        // 2. Per-band normalisation, then stacked context inputs.
        var network = new VisemeNetwork(options.ContextFrames, options.HiddenUnits);
        ComputeNormalisation(utterances, network);
        var (inputs, targets) = Stack(utterances, network);
        utterances.Clear();
        log.WriteLine($"  {targets.Length} decisions x {network.InputSize} inputs; class counts {string.Join(", ", Enumerable.Range(0, VisemeNetwork.ClassCount).Select(c => $"{(VisemeClass)c} {targets.Count(t => t == c)}"))}");

        // 3. Fit.
        Fit(network, inputs, targets, options, rng, log);
        log.WriteLine($"  trained in {clock.Elapsed.TotalSeconds:F1} s");
        return network;
    }

    private static (short[] Pcm, int Lead) Augment(short[] speech, Random rng)
    {
        int lead = rng.Next(FeatureConstants.SampleRate / 20, FeatureConstants.SampleRate * 2 / 5);
        int tail = rng.Next(FeatureConstants.SampleRate / 20, FeatureConstants.SampleRate * 3 / 10);
        double gain = Math.Pow(10, (rng.NextDouble() * 24 - 20) / 20);           // -20..+4 dB
        double noiseDb = rng.NextDouble() < 0.2 ? double.NegativeInfinity : -80 + rng.NextDouble() * 40; // none, or -80..-40 dBFS
        double noise = double.IsNegativeInfinity(noiseDb) ? 0 : 32768 * Math.Pow(10, noiseDb / 20);
        var pcm = new short[lead + speech.Length + tail];
        for (int i = 0; i < pcm.Length; i++)
        {
            int s = i - lead;
            double v = s >= 0 && s < speech.Length ? speech[s] * gain : 0;
            if (noise > 0) v += noise * Gaussian(rng);
            pcm[i] = (short)Math.Clamp(Math.Round(v), short.MinValue, short.MaxValue);
        }
        return (pcm, lead);
    }

    private static double Gaussian(Random rng)
    {
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static void ComputeNormalisation(List<(float[] Frames, byte[] Labels)> utterances, VisemeNetwork network)
    {
        int bands = FeatureConstants.MelBands;
        var sum = new double[bands];
        var sumSq = new double[bands];
        long count = 0;
        foreach (var (frames, _) in utterances)
        {
            for (int i = 0; i < frames.Length; i++)
            {
                sum[i % bands] += frames[i];
                sumSq[i % bands] += (double)frames[i] * frames[i];
            }
            count += frames.Length / bands;
        }
        for (int b = 0; b < bands; b++)
        {
            double mean = sum[b] / count;
            double variance = Math.Max(1e-6, sumSq[b] / count - mean * mean);
            network.Mean[b] = (float)mean;
            network.InvStd[b] = (float)(1 / Math.Sqrt(variance));
        }
    }

    private static (float[] Inputs, byte[] Targets) Stack(List<(float[] Frames, byte[] Labels)> utterances, VisemeNetwork network)
    {
        int bands = FeatureConstants.MelBands, context = network.ContextFrames, width = network.InputSize;
        long total = utterances.Sum(u => (long)u.Labels.Length);
        var inputs = new float[total * width];
        var targets = new byte[total];
        var silent = new float[bands];
        Array.Fill(silent, MathF.Log(FeatureConstants.EnergyFloor));
        network.Normalise(silent);
        long row = 0;
        foreach (var (frames, labels) in utterances)
        {
            for (int f = 0; f < frames.Length; f += bands) network.Normalise(frames.AsSpan(f, bands));
            for (int d = 0; d < labels.Length; d++, row++)
            {
                var dest = inputs.AsSpan((int)(row * width), width);
                for (int c = 0; c < context; c++)
                {
                    int frame = d - context + 1 + c;
                    ReadOnlySpan<float> src = frame < 0 ? silent : frames.AsSpan(frame * bands, bands);
                    src.CopyTo(dest.Slice(c * bands, bands));
                }
                targets[row] = labels[d];
            }
        }
        return (inputs, targets);
    }

    private static void Fit(VisemeNetwork net, float[] inputs, byte[] targets, VisemeTrainerOptions options, Random rng, TextWriter log)
    {
        int d = net.InputSize, h = net.HiddenUnits, c = VisemeNetwork.ClassCount, n = targets.Length;
        // He initialisation for the ReLU layer, Glorot-like for the output layer.
        for (int i = 0; i < net.W1.Length; i++) net.W1[i] = (float)(Gaussian(rng) * Math.Sqrt(2.0 / d));
        for (int i = 0; i < net.W2.Length; i++) net.W2[i] = (float)(Gaussian(rng) * Math.Sqrt(1.0 / h));
        var parameters = new[] { net.W1, net.B1, net.W2, net.B2 };
        var grads = parameters.Select(p => new float[p.Length]).ToArray();
        var m = parameters.Select(p => new float[p.Length]).ToArray();
        var v = parameters.Select(p => new float[p.Length]).ToArray();
        var order = Enumerable.Range(0, n).ToArray();
        var hidden = new float[h];
        var probs = new float[c];
        var dHidden = new float[h];
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
                    var x = inputs.AsSpan(row * d, d);
                    int y = targets[row];
                    net.Forward(x, hidden, probs);
                    loss -= Math.Log(Math.Max(1e-12, probs[y]));
                    if (ArgMax(probs) == y) correct++;
                    probs[y] -= 1; // dLoss/dLogits
                    Array.Clear(dHidden);
                    for (int j = 0; j < c; j++)
                    {
                        float g = probs[j];
                        grads[3][j] += g;
                        DenseMath.AddScaled(grads[2].AsSpan(j * h, h), hidden, g);
                        DenseMath.AddScaled(dHidden, net.W2.AsSpan(j * h, h), g);
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

    internal static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
