using KvsInference.Avatar.Training;

namespace KvsInference.Tests.Training;

public class TrainingResamplerTests
{
    [Theory]
    [InlineData(24000)]
    [InlineData(22050)]
    [InlineData(20000)]
    public void Resample_SineAtEspeakRate_KeepsFrequencyAmplitudeAndLength(int rate)
    {
        const double hz = 440;
        var input = Enumerable.Range(0, rate).Select(i => (short)(10000 * Math.Sin(2 * Math.PI * hz * i / rate))).ToArray();
        var output = TrainingResampler.For(rate, 16000).Resample(input);
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
        var input = Enumerable.Range(0, 22050).Select(i => (short)(10000 * Math.Sin(2 * Math.PI * 9000 * i / 22050.0))).ToArray();
        var output = TrainingResampler.For(22050, 16000).Resample(input);
        double rms = Math.Sqrt(output.Skip(1000).Take(14000).Average(s => (double)s * s));
        Assert.True(rms < 100, $"rms {rms}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(44099)]
    public void For_NonPositiveOrOddRate_ThrowsNamingTheRate(int rate)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TrainingResampler.For(rate, 16000));
        Assert.Equal(rate, e.ActualValue);
    }
}
