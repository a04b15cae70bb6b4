using KvsInference.Avatar.Features;

namespace KvsInference.Tests.Features;

public class PcmResamplerTests
{
    [Theory]
    [InlineData(48000)]
    [InlineData(44100)]
    [InlineData(22050)]
    [InlineData(8000)]
    public void Resample_Sine_KeepsFrequencyAndAmplitude(int rate)
    {
        const double hz = 440;
        var input = Enumerable.Range(0, rate).Select(i => (short)(10000 * Math.Sin(2 * Math.PI * hz * i / rate))).ToArray();
        var output = PcmResampler.For(rate, 16000).Resample(input);
        Assert.Equal(16000, output.Length);
        // Compare with the ideal 16 kHz sine away from the edges.
        double error = 0, power = 0;
        for (int n = 1000; n < 15000; n++)
        {
            double ideal = 10000 * Math.Sin(2 * Math.PI * hz * n / 16000);
            error += (output[n] - ideal) * (output[n] - ideal);
            power += ideal * ideal;
        }
        Assert.True(10 * Math.Log10(power / error) > 40, $"SNR {10 * Math.Log10(power / error):F1} dB");
    }

    [Fact]
    public void Resample_ToneAboveNewNyquist_IsRemoved()
    {
        var input = Enumerable.Range(0, 48000).Select(i => (short)(10000 * Math.Sin(2 * Math.PI * 12000 * i / 48000.0))).ToArray();
        var output = PcmResampler.For(48000, 16000).Resample(input);
        double rms = Math.Sqrt(output.Skip(1000).Take(14000).Average(s => (double)s * s));
        Assert.True(rms < 100, $"rms {rms}");
    }

    [Theory]
    [InlineData(7999)]
    [InlineData(96000)]
    [InlineData(44099)]
    public void CanResample_OddOrOutOfRangeRate_IsFalse(int rate)
    {
        Assert.False(PcmResampler.CanResample(rate, 16000));
        Assert.Throws<ArgumentOutOfRangeException>(() => PcmResampler.For(rate, 16000));
    }
}
