using KvsInference.Avatar.Features;

namespace KvsInference.Tests.Features;

public class RealFftTests
{
    [Theory]
    [InlineData(4)]
    [InlineData(16)]
    [InlineData(64)]
    [InlineData(512)] // the model's size: scalar and vector stages
    public void PowerSpectrum_RandomFrame_MatchesDirectDft(int n)
    {
        var rng = new Random(n);
        var frame = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var fft = new RealFft(n);
        var power = new float[n / 2 + 1];
        fft.PowerSpectrum(frame, new float[n / 2], new float[n / 2], power);
        for (int k = 0; k <= n / 2; k++)
        {
            double re = 0, im = 0;
            for (int t = 0; t < n; t++)
            {
                re += frame[t] * Math.Cos(2 * Math.PI * k * t / n);
                im -= frame[t] * Math.Sin(2 * Math.PI * k * t / n);
            }
            Assert.Equal(re * re + im * im, power[k], 1e-3 * Math.Max(1, re * re + im * im));
        }
    }

    [Fact]
    public void Constructor_NotPowerOfTwo_Throws() => Assert.Throws<ArgumentOutOfRangeException>(() => new RealFft(100));
}
