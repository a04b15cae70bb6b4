namespace KvsInference.Avatar.Features;

/// <summary>
/// Makes the log-mel features and the loudness independent of the microphone's gain and, slowly, of its
/// frequency response and of the speaker's own spread. Per stream it tracks the speech level (the peak window level,
/// decaying 5 dB/s), and the mean and variance of each log-mel band over the windows that hold speech (within 30 dB of
/// that level). Each band becomes its deviation from that running mean, scaled by the training speech's deviation over
/// the stream's own (variance normalisation), plus the training speech's mean: a streaming form of per-utterance
/// mean/variance normalisation. A gain change shifts every log-mel band and the level by the same amount, so it
/// cancels exactly (once the level has seen the louder speech); a fixed filter (telephone band, a cheap microphone) and
/// a voice whose bands swing wider or narrower than the training speech's are taken out within about a second of speech.
/// Optionally (the weights say how far: <see cref="Model.VisemeNetwork.NoiseFloorDb"/>) white noise a fixed distance under
/// the speech level is added to every window's bands first: what is quieter than that is not heard, so the 16-bit
/// quantisation noise of a quiet microphone (about 55 dB under speech peaking at -40 dBFS) and the faint room tone of a
/// loud one, which a gain change does not cancel, look alike.
/// </summary>
internal static class LevelNormaliser
{
    /// <summary>The lowest speech level, in dBFS: stream starts and digital silence are taken relative to it.</summary>
    public const float FloorDb = -75;

    /// <summary>How fast the speech level falls when the input gets quieter: 5 dB per second, per 10 ms hop.</summary>
    public const float DecayDbPerHop = 0.05f;

    /// <summary>Windows more than this far under the speech level are not speech and do not move the spectrum mean.</summary>
    public const float SpeechGateDb = 30;

    /// <summary>Windows quieter than this (dBFS) are never speech (digital silence, dither).</summary>
    public const float AbsoluteGateDb = -85;

    /// <summary>The weight of a new speech window in the running spectrum mean and variance (time constant: 1 s of speech).</summary>
    public const float SpectrumAlpha = 0.01f;

    /// <summary>The smallest running band variance (natural-log units squared): a band that stays constant is not blown up.</summary>
    public const float MinVariance = 1e-3f;

    // dB -> natural-log units of power: ln(10) / 10.
    private const float NepersPerDb = 0.23025851f;

    /// <summary>The per-stream memory.</summary>
    internal sealed class State
    {
        public readonly float[] SpectrumMean = new float[FeatureConstants.MelBands];
        public readonly float[] SpectrumVariance = new float[FeatureConstants.MelBands];
        public float LevelDb;
    }

    /// <summary>Forgets a stream: level at the floor, spectrum mean and variance at the training speech's.</summary>
    public static void Reset(State state, ReadOnlySpan<float> speechMean, ReadOnlySpan<float> speechVariance)
    {
        state.LevelDb = FloorDb;
        speechMean.CopyTo(state.SpectrumMean);
        speechVariance.CopyTo(state.SpectrumVariance);
    }

    /// <summary>
    /// Normalises one window's log-mel bands in place and updates the stream's state.
    /// </summary>
    /// <param name="state">The stream's state.</param>
    /// <param name="logMel">The window's natural-log mel band energies; receives the normalised values.</param>
    /// <param name="meanSquare">The window's mean-square level (full scale = 1).</param>
    /// <param name="speechMean">The mean of the level-normalised speech spectrum of the training data.</param>
    /// <param name="speechVariance">The variance of each band of that spectrum around <paramref name="speechMean"/>.</param>
    /// <param name="noiseFloorDb">How far under the speech level the added white noise is, in dB; 0 adds none.</param>
    /// <returns>The window's level in dB relative to the stream's speech level (0 at the loudest speech, negative below).</returns>
    public static float Apply(State state, Span<float> logMel, float meanSquare, ReadOnlySpan<float> speechMean, ReadOnlySpan<float> speechVariance, int noiseFloorDb)
    {
        float db = 10 * MathF.Log10(meanSquare + 1e-12f);
        state.LevelDb = MathF.Max(MathF.Max(db, state.LevelDb - DecayDbPerHop), FloorDb);
        float level = state.LevelDb * NepersPerDb;
        AddNoiseFloor(logMel, level, noiseFloorDb);
        bool speech = db > AbsoluteGateDb && db > state.LevelDb - SpeechGateDb;
        var mean = state.SpectrumMean;
        var variance = state.SpectrumVariance;
        for (int b = 0; b < logMel.Length; b++)
        {
            float v = logMel[b] - level;
            if (speech) mean[b] += SpectrumAlpha * (v - mean[b]);
            float deviation = v - mean[b];
            if (speech) variance[b] += SpectrumAlpha * (deviation * deviation - variance[b]);
            logMel[b] = deviation * MathF.Sqrt(speechVariance[b] / MathF.Max(variance[b], MinVariance)) + speechMean[b];
        }
        return db - state.LevelDb;
    }

    /// <summary>Level-normalises bands without a channel correction (the statistics pass of training).</summary>
    /// <returns>Whether the window counts as speech.</returns>
    public static bool ApplyLevelOnly(ref float levelDb, Span<float> logMel, float meanSquare, int noiseFloorDb)
    {
        float db = 10 * MathF.Log10(meanSquare + 1e-12f);
        levelDb = MathF.Max(MathF.Max(db, levelDb - DecayDbPerHop), FloorDb);
        float level = levelDb * NepersPerDb;
        AddNoiseFloor(logMel, level, noiseFloorDb);
        for (int b = 0; b < logMel.Length; b++) logMel[b] -= level;
        return db > AbsoluteGateDb && db > levelDb - SpeechGateDb;
    }

    /// <summary>Writes the normalised bands of a window of zeros in a fresh stream (the frames before a stream starts; a fresh stream's mean and variance are the training speech's, so they pass unchanged).</summary>
    public static void SilentFrame(Span<float> logMel, int noiseFloorDb)
    {
        const float level = FloorDb * NepersPerDb;
        logMel.Fill(MathF.Log(FeatureConstants.EnergyFloor));
        AddNoiseFloor(logMel, level, noiseFloorDb);
        for (int b = 0; b < logMel.Length; b++) logMel[b] -= level;
    }

    // Adds to each band the energy of white noise `noiseFloorDb` under the speech level (`level`: natural log of its mean square).
    private static void AddNoiseFloor(Span<float> logMel, float level, int noiseFloorDb)
    {
        if (noiseFloorDb == 0) return;
        var white = LogMelSpectrogram.Shared.WhiteNoiseBandEnergy;
        float noise = MathF.Exp(level - noiseFloorDb * NepersPerDb);
        // An exp and a log per band: about 0.3 us per decision, 8 % of features + normalisation + model (bench model-speed).
        for (int b = 0; b < logMel.Length; b++) logMel[b] = MathF.Log(MathF.Exp(logMel[b]) + white[b] * noise);
    }
}
