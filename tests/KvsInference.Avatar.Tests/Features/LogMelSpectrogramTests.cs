using KvsInference.Avatar.Features;

namespace KvsInference.Tests.Features;

public class LogMelSpectrogramTests
{
    private static float[] Bands(Func<int, float> sample, out float level)
    {
        var window = Enumerable.Range(0, FeatureConstants.WindowSamples).Select(sample).ToArray();
        var bands = new float[FeatureConstants.MelBands];
        level = LogMelSpectrogram.Shared.Compute(window, new LogMelSpectrogram.Scratch(), bands);
        return bands;
    }

    [Fact]
    public void Compute_Silence_GivesTheFloorInEveryBand()
    {
        var bands = Bands(_ => 0, out var level);
        Assert.Equal(0, level);
        Assert.All(bands, b => Assert.Equal(MathF.Log(FeatureConstants.EnergyFloor), b, 3));
    }

    [Theory]
    [InlineData(300)]
    [InlineData(1000)]
    [InlineData(4000)]
    public void Compute_Sine_PeaksInTheBandHoldingItsFrequency(double hz)
    {
        var bands = Bands(i => (float)(0.5 * Math.Sin(2 * Math.PI * hz * i / FeatureConstants.SampleRate)), out var level);
        Assert.Equal(0.125, level, 0.01); // mean square of a 0.5 sine
        int peak = Array.IndexOf(bands, bands.Max());
        // Band centres on the mel scale between 50 and 7800 Hz.
        double Mel(double f) => 2595 * Math.Log10(1 + f / 700);
        double position = (Mel(hz) - Mel(FeatureConstants.MelLowHz)) / (Mel(FeatureConstants.MelHighHz) - Mel(FeatureConstants.MelLowHz)) * (FeatureConstants.MelBands + 1) - 1;
        Assert.InRange(peak, Math.Floor(position) - 1, Math.Ceiling(position) + 1);
    }
}
