using KvsInference.Avatar.Features;

namespace KvsInference.Tests.Features;

public class RealFftTests
{
    [Fact]
    public void PowerSpectrum_RandomFrame_MatchesDirectDft()
    {
        var rng = new Random(1);
        var frame = Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var fft = new RealFft(64);
        var power = new float[33];
        fft.PowerSpectrum(frame, new float[32], new float[32], power);
        for (int k = 0; k <= 32; k++)
        {
            double re = 0, im = 0;
            for (int n = 0; n < 64; n++)
            {
                re += frame[n] * Math.Cos(2 * Math.PI * k * n / 64);
                im -= frame[n] * Math.Sin(2 * Math.PI * k * n / 64);
            }
            Assert.Equal(re * re + im * im, power[k], 1e-3 * Math.Max(1, re * re + im * im));
        }
    }

    [Fact]
    public void Constructor_NotPowerOfTwo_Throws() => Assert.Throws<ArgumentOutOfRangeException>(() => new RealFft(100));
}
