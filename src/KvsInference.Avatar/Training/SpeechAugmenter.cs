using KvsInference.Avatar.Features;

namespace KvsInference.Avatar.Training;

/// <summary>
/// Puts clean training speech in a random room and microphone (seeded): reverberation, band limits (8 kHz telephone,
/// a low or high cut), pink or babble noise at 5..30 dB SNR, a gain that puts the peak anywhere from -40 to 0 dBFS,
/// and silence (with the noise) before and after; optionally the Opus codec last. Tempo and vocal-tract length are changed before, by <see cref="LabelledSpeech.Warp"/>.
/// </summary>
internal static class SpeechAugmenter
{
    /// <summary>Augments <paramref name="speech"/>; returns the audio and how many samples of lead were added.</summary>
    /// <param name="speech">Clean 16 kHz speech.</param>
    /// <param name="babblePool">Other utterances to mix as babble.</param>
    /// <param name="rng">The seeded generator.</param>
    /// <param name="codecShare">The share of utterances then heard through Opus at 12..32 kbit/s (<see cref="OpusChannel"/>), as
    /// a meeting's voice reaches the worker; 0 draws nothing for it, so the other draws stay as they were.</param>
    public static (short[] Pcm, int Lead) Augment(short[] speech, IReadOnlyList<short[]> babblePool, Random rng, double codecShare = 0)
    {
        int rate = FeatureConstants.SampleRate;
        int lead = rng.Next(rate / 20, rate * 2 / 5);
        int tail = rng.Next(rate / 20, rate * 3 / 10);
        var x = new float[lead + speech.Length + tail];
        for (int i = 0; i < speech.Length; i++) x[lead + i] = speech[i];

        if (rng.NextDouble() < 0.4) x = Reverberate(x, rng);
        double band = rng.NextDouble();
        if (band < 0.2) x = Telephone(x);
        else if (band < 0.35) OnePole(x, lowPass: true, cutoffHz: 2500 + rng.NextDouble() * 4000);
        else if (band < 0.5) OnePole(x, lowPass: false, cutoffHz: 100 + rng.NextDouble() * 300);

        double speechRms = ActiveRms(x);
        double noise = rng.NextDouble();
        if (noise < 0.7 && speechRms > 0)
        {
            double snrDb = 5 + rng.NextDouble() * 25;
            var n = noise < 0.4 ? PinkNoise(x.Length, rng) : Babble(x.Length, babblePool, rng);
            double noiseRms = Math.Sqrt(n.Sum(v => (double)v * v) / n.Length);
            if (noiseRms > 0)
            {
                float scale = (float)(speechRms / noiseRms * Math.Pow(10, -snrDb / 20));
                for (int i = 0; i < x.Length; i++) x[i] += scale * n[i];
            }
        }

        float peak = 1e-9f;
        foreach (var v in x) peak = Math.Max(peak, Math.Abs(v));
        double peakDb = -40 + rng.NextDouble() * 40;
        float gain = (float)(32767 * Math.Pow(10, peakDb / 20) / peak);
        var pcm = new short[x.Length];
        for (int i = 0; i < x.Length; i++) pcm[i] = (short)Math.Clamp(MathF.Round(x[i] * gain), short.MinValue, short.MaxValue);
        // The codec comes last: it hears the microphone's level, and its coding noise follows that level.
        if (codecShare > 0 && rng.NextDouble() < codecShare) pcm = OpusChannel.Apply(pcm, 12000 + 1000 * rng.Next(21));
        return (pcm, lead);
    }

    /// <summary>A sparse room response: the direct sound, then 400 reflections at random delays decaying to -60 dB at RT60 (0.15..0.8 s).</summary>
    private static float[] Reverberate(float[] x, Random rng)
    {
        int rate = FeatureConstants.SampleRate;
        double rt60 = 0.15 + rng.NextDouble() * 0.65;
        int length = (int)(rt60 * rate);
        const int reflections = 400;
        var delays = new int[reflections];
        var gains = new float[reflections];
        double wet = 0.3 + rng.NextDouble() * 0.7;
        for (int r = 0; r < reflections; r++)
        {
            int delay = (int)(rate * 0.002) + rng.Next(length);
            delays[r] = delay;
            gains[r] = (float)(wet * 0.15 * Math.Pow(10, -3.0 * delay / length) * (rng.NextDouble() < 0.5 ? -1 : 1));
        }
        var y = new float[x.Length];
        Array.Copy(x, y, x.Length);
        for (int r = 0; r < reflections; r++)
        {
            int delay = delays[r];
            float g = gains[r];
            for (int i = delay; i < y.Length; i++) y[i] += g * x[i - delay];
        }
        return y;
    }

    /// <summary>8 kHz telephone band: down to 8 kHz and back (the 4 kHz anti-alias cut), and a 300 Hz high cut.</summary>
    private static float[] Telephone(float[] x)
    {
        var pcm = new short[x.Length];
        float peak = 1e-9f;
        foreach (var v in x) peak = Math.Max(peak, Math.Abs(v));
        float scale = 16000 / peak;
        for (int i = 0; i < x.Length; i++) pcm[i] = (short)Math.Clamp(MathF.Round(x[i] * scale), short.MinValue, short.MaxValue);
        var narrow = TrainingResampler.For(FeatureConstants.SampleRate, 8000).Resample(pcm);
        var back = TrainingResampler.For(8000, FeatureConstants.SampleRate).Resample(narrow);
        var y = new float[x.Length];
        for (int i = 0; i < y.Length && i < back.Length; i++) y[i] = back[i] / scale;
        OnePole(y, lowPass: false, cutoffHz: 300);
        return y;
    }

    private static void OnePole(float[] x, bool lowPass, double cutoffHz)
    {
        float a = (float)Math.Exp(-2 * Math.PI * cutoffHz / FeatureConstants.SampleRate);
        float state = 0;
        for (int i = 0; i < x.Length; i++)
        {
            state = (1 - a) * x[i] + a * state;
            x[i] = lowPass ? state : x[i] - state;
        }
    }

    /// <summary>RMS over the samples within 30 dB of the peak's neighbourhood (the speech, not the padding).</summary>
    private static double ActiveRms(float[] x)
    {
        double sum = 0;
        long count = 0;
        float peak = 0;
        foreach (var v in x) peak = Math.Max(peak, Math.Abs(v));
        float threshold = peak * 0.03f;
        foreach (var v in x)
        {
            if (Math.Abs(v) < threshold) continue;
            sum += (double)v * v;
            count++;
        }
        return count == 0 ? 0 : Math.Sqrt(sum / count);
    }

    /// <summary>Pink (1/f) noise by Paul Kellet's filter of white noise.</summary>
    private static float[] PinkNoise(int length, Random rng)
    {
        var y = new float[length];
        double b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
        for (int i = 0; i < length; i++)
        {
            double white = rng.NextDouble() * 2 - 1;
            b0 = 0.99886 * b0 + white * 0.0555179;
            b1 = 0.99332 * b1 + white * 0.0750759;
            b2 = 0.96900 * b2 + white * 0.1538520;
            b3 = 0.86650 * b3 + white * 0.3104856;
            b4 = 0.55000 * b4 + white * 0.5329522;
            b5 = -0.7616 * b5 - white * 0.0168980;
            y[i] = (float)(b0 + b1 + b2 + b3 + b4 + b5 + b6 + white * 0.5362);
            b6 = white * 0.115926;
        }
        return y;
    }

    /// <summary>Three to six other utterances, each from a random offset, looped to the length.</summary>
    private static float[] Babble(int length, IReadOnlyList<short[]> pool, Random rng)
    {
        var y = new float[length];
        int talkers = 3 + rng.Next(4);
        for (int t = 0; t < talkers && pool.Count > 0; t++)
        {
            var other = pool[rng.Next(pool.Count)];
            if (other.Length == 0) continue;
            int offset = rng.Next(other.Length);
            for (int i = 0; i < length; i++) y[i] += other[(offset + i) % other.Length];
        }
        return y;
    }
}
