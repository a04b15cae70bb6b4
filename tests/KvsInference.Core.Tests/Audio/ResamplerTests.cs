using KvsInference.TestSupport;
using KvsInference.Audio;
using Xunit.Abstractions;

namespace KvsInference.Tests.Audio;

public class ResamplerTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(48000, 8500)]
    [InlineData(48000, 11000)]
    [InlineData(48000, 15000)]
    [InlineData(48000, 20000)]
    [InlineData(44100, 12000)]
    [InlineData(24000, 11000)] // the rates of espeak-ng's speech (22.05 kHz) and its perturbed copies
    [InlineData(22050, 9000)]
    public void Process_ToneAboveNyquistOf16k_IsRejectedByMoreThan60Db(int rate, double frequency)
    {
        var input = Tone(rate, frequency, rate, 16000);
        var result = Convert(input, rate, 16000);
        // Whatever comes out is alias; measure all of it, away from the edges.
        double level = Rms(result.AsSpan(1000, result.Length - 2000)) / Rms(input);
        double db = 20 * Math.Log10(Math.Max(level, 1e-9));
        output.WriteLine($"{rate} Hz, {frequency} Hz tone: output {db:F1} dB relative to input");
        Assert.True(db < -60, $"{frequency} Hz aliases at {db:F1} dB");
    }

    [Theory]
    [InlineData(48000, 16000, 1000)]
    [InlineData(48000, 16000, 6000)]
    [InlineData(44100, 16000, 3000)]
    [InlineData(16000, 48000, 5000)]
    [InlineData(8000, 44100, 2000)]
    public void Process_TwoTonesInPassband_ArePreservedExactlyInLevelAndTime(int inRate, int outRate, double frequency)
    {
        // Two tones: the passband one and a low one; compare with the ideal tones at the output rate.
        var input = new short[inRate];
        for (int i = 0; i < input.Length; i++)
        {
            double t = (double)i / inRate;
            input[i] = (short)Math.Round(8000 * Math.Sin(2 * Math.PI * frequency * t) + 6000 * Math.Sin(2 * Math.PI * 440 * t));
        }
        var result = Convert(input, inRate, outRate);
        Assert.Equal((int)Math.Ceiling((double)input.Length * outRate / inRate), result.Length);
        double snr = SnrVsIdeal(result, outRate, outRate / 10, t => 8000 * Math.Sin(2 * Math.PI * frequency * t) + 6000 * Math.Sin(2 * Math.PI * 440 * t));
        output.WriteLine($"{inRate}->{outRate}, {frequency} Hz + 440 Hz: SNR vs ideal {snr:F1} dB");
        Assert.True(snr > 60, $"SNR {snr:F1} dB");
    }

    [Fact]
    public void Process_AnyChunking_GivesTheSameOutput()
    {
        var rng = new Random(7);
        var input = new short[30000];
        for (int i = 0; i < input.Length; i++) input[i] = (short)rng.Next(-20000, 20000);
        var whole = Convert(input, 44100, 16000, channels: 2);

        var resampler = new Resampler(44100, 16000, 2);
        var pieces = new List<short>();
        var buffer = new short[resampler.GetMaxOutputFrames(input.Length) * 2];
        int pos = 0;
        while (pos < input.Length)
        {
            int frames = Math.Min(rng.Next(0, 700), (input.Length - pos) / 2);
            int n = resampler.Process(input.AsSpan(pos, frames * 2), buffer);
            pieces.AddRange(buffer.AsSpan(0, n * 2).ToArray());
            pos += frames * 2;
        }
        int m = resampler.Flush(buffer);
        pieces.AddRange(buffer.AsSpan(0, m * 2).ToArray());
        Assert.Equal(whole, pieces.ToArray());
    }

    [Fact]
    public void Process_ConstantInput_StaysConstant()
    {
        var input = Enumerable.Repeat((short)12345, 9600).ToArray();
        var result = Convert(input, 48000, 16000);
        // Away from the start and end (silence is assumed outside the stream), a constant stays exactly constant.
        Assert.All(result.AsSpan(200, result.Length - 400).ToArray(), v => Assert.Equal(12345, v));
    }

    [Fact]
    public void Process_SteadyState_AllocatesNothing()
    {
        var resampler = new Resampler(48000, 16000, 1);
        var input = Tone(960, 1000, 48000, 10000);
        var buffer = new short[resampler.GetMaxOutputFrames(input.Length)];
        resampler.Process(input, buffer);
        Assert.Equal(0, SteadyState.MinAllocatedBytes(() => () =>
        {
            for (int i = 0; i < 200; i++) resampler.Process(input, buffer);
        }));
    }

    [Fact]
    public void Process_OddInterleavedLength_Throws()
    {
        var resampler = new Resampler(48000, 16000, 2);
        Assert.Throws<ArgumentException>(() => resampler.Process(new short[3], new short[1000]));
    }

    [Theory]
    [InlineData(48000)]
    [InlineData(44100)]
    [InlineData(24000)]
    [InlineData(22050)]
    [InlineData(20000)]
    [InlineData(8000)]
    public void ResampleAll_SineToModelRate_KeepsFrequencyAmplitudeAndLength(int rate)
    {
        // One second of 440 Hz at each rate the model's training and serving convert from (22.05 kHz is espeak-ng's,
        // 20/24 kHz its vocal-tract-length perturbed copies).
        var input = Tone(rate, 440, rate, 10000);
        var result = Resampler.ResampleAll(input, rate, 16000);
        Assert.Equal(16000, result.Length);
        double snr = SnrVsIdeal(result, 16000, 1000, t => 10000 * Math.Sin(2 * Math.PI * 440 * t));
        output.WriteLine($"{rate} -> 16000: SNR vs ideal {snr:F1} dB");
        Assert.True(snr > 60, $"SNR {snr:F1} dB");
    }

    [Theory]
    [InlineData(44100, 16000, 2)]
    [InlineData(16000, 48000, 1)]
    [InlineData(22050, 16000, 1)]
    public void ResampleAll_AnyBuffer_EqualsProcessThenFlush(int inRate, int outRate, int channels)
    {
        // Longer than the helper's internal chunk, so its chunking is exercised.
        var rng = new Random(11);
        var input = new short[30000 * channels];
        for (int i = 0; i < input.Length; i++) input[i] = (short)rng.Next(-20000, 20000);
        Assert.Equal(Convert(input, inRate, outRate, channels), Resampler.ResampleAll(input, inRate, outRate, channels));
    }

    [Fact]
    public void ResampleAll_SameRate_ReturnsAnUnfilteredCopy()
    {
        var input = new short[] { 1, -2, 30000, -32768, 5 };
        var result = Resampler.ResampleAll(input, 16000, 16000);
        Assert.Equal(input, result);
        Assert.NotSame(input, result);
    }

    [Fact]
    public void ResampleAll_EmptyInput_ReturnsEmpty()
    {
        Assert.Empty(Resampler.ResampleAll([], 48000, 16000));
    }

    [Fact]
    public void ResampleAll_OddInterleavedLength_ThrowsNamingTheCounts()
    {
        var e = Assert.Throws<ArgumentException>(() => Resampler.ResampleAll(new short[3], 48000, 16000, channels: 2));
        Assert.Contains("3 samples", e.Message);
    }

    [Theory]
    [InlineData(0, 16000, 1)]
    [InlineData(48000, -1, 1)]
    [InlineData(48000, 16000, 0)]
    public void ResampleAll_NonPositiveRateOrChannels_Throws(int inRate, int outRate, int channels)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.ResampleAll(new short[6], inRate, outRate, channels));
    }

    internal static short[] Convert(short[] input, int inRate, int outRate, int channels = 1)
    {
        var resampler = new Resampler(inRate, outRate, channels);
        var result = new short[(resampler.GetMaxOutputFrames(input.Length / channels) + resampler.GetMaxOutputFrames(0)) * channels];
        int n = resampler.Process(input, result);
        n += resampler.Flush(result.AsSpan(n * channels));
        return result[..(n * channels)];
    }

    /// <summary>The SNR in dB of <paramref name="result"/> against the ideal signal (a function of time in seconds),
    /// leaving out <paramref name="edgeSamples"/> at each end where the silence outside the stream shows.</summary>
    private static double SnrVsIdeal(short[] result, int rate, int edgeSamples, Func<double, double> ideal)
    {
        double noise = 0, signal = 0;
        for (int i = edgeSamples; i < result.Length - edgeSamples; i++)
        {
            double x = ideal((double)i / rate);
            signal += x * x;
            noise += (result[i] - x) * (result[i] - x);
        }
        return 10 * Math.Log10(signal / noise);
    }

    private static short[] Tone(int length, double frequency, int rate, double amplitude)
    {
        var x = new short[length];
        for (int i = 0; i < length; i++) x[i] = (short)Math.Round(amplitude * Math.Sin(2 * Math.PI * frequency * i / rate));
        return x;
    }

    private static double Rms(ReadOnlySpan<short> x)
    {
        double sum = 0;
        foreach (var v in x) sum += (double)v * v;
        return Math.Sqrt(sum / x.Length);
    }
}
