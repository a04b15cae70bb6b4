using System.Collections.Concurrent;

namespace KvsInference.Avatar.Features;

/// <summary>
/// Rational-ratio polyphase resampler (Blackman-windowed sinc, 16 zero crossings, cutoff at 95 % of
/// the lower Nyquist frequency) for whole buffers of 16-bit PCM. Used to bring 8..48 kHz audio to the
/// model's 16 kHz and espeak-ng's 22.05 kHz training speech down to 16 kHz.
/// </summary>
internal sealed class PcmResampler
{
    /// <summary>The lowest accepted input rate in Hz.</summary>
    public const int MinRate = 8000;

    /// <summary>The highest accepted input rate in Hz.</summary>
    public const int MaxRate = 48000;

    /// <summary>The most polyphase branches allowed (the reduced up-sampling factor): bounds the table size.</summary>
    public const int MaxPhases = 1000;

    private const int ZeroCrossings = 16;
    private static readonly ConcurrentDictionary<(int, int), PcmResampler> Cache = new();

    private readonly int _up;
    private readonly int _down;
    private readonly int _halfTaps;
    private readonly float[] _table; // [phase][2 * halfTaps]

    private PcmResampler(int up, int down)
    {
        _up = up;
        _down = down;
        double cutoff = Math.Min(1.0, (double)up / down) * 0.95;
        _halfTaps = (int)Math.Ceiling(ZeroCrossings / cutoff);
        int taps = 2 * _halfTaps;
        _table = new float[up * taps];
        for (int p = 0; p < up; p++)
        {
            double frac = (double)p / up;
            double sum = 0;
            for (int t = 0; t < taps; t++)
            {
                double d = t - (_halfTaps - 1) - frac; // distance from the output position, in input samples
                double x = cutoff * d;
                double sinc = Math.Abs(x) < 1e-12 ? 1 : Math.Sin(Math.PI * x) / (Math.PI * x);
                double r = d / _halfTaps;
                double window = Math.Abs(r) >= 1 ? 0 : 0.42 + 0.5 * Math.Cos(Math.PI * r) + 0.08 * Math.Cos(2 * Math.PI * r);
                double w = cutoff * sinc * window;
                _table[p * taps + t] = (float)w;
                sum += w;
            }
            // Unity gain at DC for every phase, so a constant signal stays constant.
            for (int t = 0; t < taps; t++) _table[p * taps + t] = (float)(_table[p * taps + t] / sum);
        }
    }

    /// <summary>Tells whether <paramref name="inputRate"/> can be converted to <paramref name="outputRate"/>.</summary>
    public static bool CanResample(int inputRate, int outputRate)
    {
        if (inputRate < MinRate || inputRate > MaxRate || outputRate < MinRate || outputRate > MaxRate) return false;
        int g = Gcd(inputRate, outputRate);
        return outputRate / g <= MaxPhases;
    }

    /// <summary>Gets the resampler for a pair of rates (cached).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The rates are outside 8..48 kHz or their ratio needs more than 1000 phases.</exception>
    public static PcmResampler For(int inputRate, int outputRate)
    {
        if (!CanResample(inputRate, outputRate))
        {
            throw new ArgumentOutOfRangeException(nameof(inputRate), inputRate,
                $"cannot resample {inputRate} Hz to {outputRate} Hz: rates must be {MinRate}..{MaxRate} Hz with a reduced ratio of at most {MaxPhases} phases");
        }
        int g = Gcd(inputRate, outputRate);
        return Cache.GetOrAdd((outputRate / g, inputRate / g), key => new PcmResampler(key.Item1, key.Item2));
    }

    /// <summary>Resamples a whole buffer (samples before the start and after the end are taken as zeros).</summary>
    public short[] Resample(ReadOnlySpan<short> input)
    {
        if (_up == _down) return input.ToArray();
        long outLength = ((long)input.Length * _up + _down - 1) / _down;
        var output = new short[outLength];
        int taps = 2 * _halfTaps;
        for (long n = 0; n < outLength; n++)
        {
            long position = n * _down;
            long i = position / _up;
            int phase = (int)(position % _up);
            var h = _table.AsSpan(phase * taps, taps);
            long first = i - (_halfTaps - 1);
            double acc = 0;
            int t0 = (int)Math.Max(0, -first);
            int t1 = (int)Math.Min(taps, input.Length - first);
            for (int t = t0; t < t1; t++) acc += h[t] * input[(int)(first + t)];
            output[n] = (short)Math.Clamp(Math.Round(acc), short.MinValue, short.MaxValue);
        }
        return output;
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }
}
