namespace KvsInference.Avatar.Features;

/// <summary>The analysis grid of the viseme model's front end (fixed: the shipped weights were trained on it).</summary>
public static class FeatureConstants
{
    /// <summary>The sample rate the model works at, in Hz.</summary>
    public const int SampleRate = 16000;

    /// <summary>The analysis hop: 10 ms. The classifier runs on this grid whatever the output frame rate.</summary>
    public const int HopSamples = 160;

    /// <summary>The analysis window: 25 ms (Hann).</summary>
    public const int WindowSamples = 400;

    /// <summary>The FFT size (the window is zero-padded to it).</summary>
    public const int FftSize = 512;

    /// <summary>The number of mel bands.</summary>
    public const int MelBands = 26;

    /// <summary>The lowest mel band edge, in Hz.</summary>
    public const double MelLowHz = 50;

    /// <summary>The highest mel band edge, in Hz.</summary>
    public const double MelHighHz = 7800;

    /// <summary>Floor added to band energies before the logarithm (about -100 dB below full scale).</summary>
    public const float EnergyFloor = 1e-10f;
}
