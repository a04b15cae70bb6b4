using System.Collections.Concurrent;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;

namespace KvsInference.Audio;

/// <summary>
/// A streaming sample-rate converter for interleaved 16-bit PCM: a polyphase windowed-sinc (Kaiser) FIR for any
/// rational ratio (48 kHz → 16 kHz is one phase, every third sample; 44.1 kHz → 16 kHz is 160 phases).
/// </summary>
/// <remarks>
/// <para>Quality: stopband from the lower Nyquist frequency up, attenuated by about 80 dB (Kaiser β 7.86); the
/// passband is flat to 85 % of the lower Nyquist frequency (6.8 kHz when going to 16 kHz).</para>
/// <para>Timing: output sample <c>n</c> is the signal at input time <c>n × inRate / outRate</c>, with no delay. The
/// filter looks ahead half its length, so that many input samples stay buffered until more input or
/// <see cref="Flush"/> arrives. Before the first sample and after the last the signal is taken as silence.
/// A stream of N input samples thus gives exactly ceil(N × outRate / inRate) output samples.</para>
/// <para>No allocation after construction: history is kept in fixed buffers between calls.</para>
/// </remarks>
public sealed class Resampler
{
    private const double StopbandAttenuationDb = 80;
    private const double TransitionFraction = 0.15;
    private const int ChunkFrames = 1024;
    private const long MaxTableSize = 1 << 22;

    private readonly int _up;      // L: output phases per input sample
    private readonly int _down;    // M: input advance per output sample, in 1/L steps
    private readonly int _taps;    // taps per phase = 2 × half length
    private readonly int _half;
    private readonly float[] _coefficients; // [phase × taps + j] weighs input sample i - (half - 1) + j

    // The table depends only on the reduced ratio and is never written after it is built, so converters of the same
    // ratio share it: a worker makes one converter per stream and the model server one per request. Bounded, because
    // a caller may send many odd rates.
    private const int MaxCachedTables = 32;
    private static readonly ConcurrentDictionary<(int Up, int Down), float[]> Tables = new();
    private readonly float[][] _history;    // per channel
    private int _count;     // samples held per channel
    private int _position;  // buffer index of the first tap of the next output
    private int _phase;     // next output's fractional time, in 1/L input samples
    private long _inputTotal;   // real input samples since the stream start
    private long _outputTime;   // integer input time of the next output

    /// <summary>Creates a converter.</summary>
    /// <param name="inputRate">Input rate in Hz.</param>
    /// <param name="outputRate">Output rate in Hz.</param>
    /// <param name="channels">Number of interleaved channels.</param>
    /// <exception cref="ArgumentOutOfRangeException">A rate or the channel count is not positive, or the reduced ratio
    /// needs a filter table larger than 4 M coefficients.</exception>
    public Resampler(int inputRate, int outputRate, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        InputRate = inputRate;
        OutputRate = outputRate;
        Channels = channels;
        double cutoff;
        (_up, _down, _half, cutoff) = Design(inputRate, outputRate);
        _taps = 2 * _half;
        if (!CanConvert(inputRate, outputRate, out string? error)) throw new ArgumentOutOfRangeException(nameof(outputRate), error);
        if (!Tables.TryGetValue((_up, _down), out var table))
        {
            table = BuildTable(_up, _half, cutoff);
            if (Tables.Count < MaxCachedTables) Tables.TryAdd((_up, _down), table);
        }
        _coefficients = table;
        _history = new float[channels][];
        for (int c = 0; c < channels; c++) _history[c] = new float[_taps + ChunkFrames];
        Reset();
    }

    /// <summary>Tells whether a converter between two rates can be made (its filter table stays within 4 M coefficients).</summary>
    /// <param name="inputRate">Input rate in Hz.</param>
    /// <param name="outputRate">Output rate in Hz.</param>
    /// <param name="error">Why not, naming both rates, when the result is false.</param>
    /// <returns>Whether <see cref="Resampler(int, int, int)"/> accepts the rates.</returns>
    public static bool CanConvert(int inputRate, int outputRate, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        if (inputRate <= 0 || outputRate <= 0)
        {
            error = $"cannot convert {inputRate} Hz to {outputRate} Hz: both rates must be positive";
            return false;
        }
        (int up, _, int half, _) = Design(inputRate, outputRate);
        long coefficients = 2L * half * up;
        error = coefficients > MaxTableSize
            ? $"converting {inputRate} Hz to {outputRate} Hz needs {up} filter phases of {2 * half} taps, more than the limit of {MaxTableSize} coefficients"
            : null;
        return error is null;
    }

    /// <summary>The reduced ratio (L up, M down), the half filter length and the cutoff (cycles per input sample).</summary>
    private static (int Up, int Down, int Half, double Cutoff) Design(int inputRate, int outputRate)
    {
        int gcd = (int)BigInteger.GreatestCommonDivisor(inputRate, outputRate);
        // All frequencies in cycles per input sample.
        double lowNyquist = 0.5 * Math.Min(inputRate, outputRate) / inputRate;
        double transition = TransitionFraction * lowNyquist;
        // Kaiser's estimate of the length for the attenuation and transition width.
        int length = (int)Math.Ceiling((StopbandAttenuationDb - 7.95) / (14.36 * transition));
        return (outputRate / gcd, inputRate / gcd, Math.Max(2, (length + 1) / 2), lowNyquist - transition / 2);
    }

    /// <summary>Converts a whole buffer at once: <see cref="Process"/> over all of it, then <see cref="Flush"/>.</summary>
    /// <param name="input">Interleaved input samples (a whole number of frames).</param>
    /// <param name="inputRate">Input rate in Hz.</param>
    /// <param name="outputRate">Output rate in Hz.</param>
    /// <param name="channels">Number of interleaved channels.</param>
    /// <returns>Exactly ceil(N × <paramref name="outputRate"/> / <paramref name="inputRate"/>) interleaved frames for N
    /// input frames, timed as the class remarks describe; a copy of <paramref name="input"/> when the rates are equal.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A rate or the channel count is not positive, or the reduced ratio
    /// needs a filter table larger than 4 M coefficients.</exception>
    /// <exception cref="ArgumentException">The input is not a whole number of frames, or the output would not fit in
    /// an array.</exception>
    /// <remarks>The filter table of a ratio is built once per process (for 44.1 kHz → 16 kHz, 160 phases of 186 taps)
    /// and shared; a caller converting a stream piece by piece should still keep one <see cref="Resampler"/>, which
    /// carries the filter's history across pieces.</remarks>
    public static short[] ResampleAll(ReadOnlySpan<short> input, int inputRate, int outputRate, int channels = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        if (input.Length % channels != 0)
        {
            throw new ArgumentException($"The input holds {input.Length} samples, not a multiple of {channels} channels.", nameof(input));
        }
        // The filter would low-pass a same-rate stream at 85 % of its Nyquist frequency: there is nothing to convert.
        if (inputRate == outputRate || input.IsEmpty) return input.ToArray();
        long inputFrames = input.Length / channels;
        long outputFrames = (inputFrames * outputRate + inputRate - 1) / inputRate;
        if (outputFrames * channels > Array.MaxLength)
        {
            throw new ArgumentException($"{inputFrames} frames at {inputRate} Hz make {outputFrames} frames at {outputRate} Hz, more than an array holds.", nameof(input));
        }
        var resampler = new Resampler(inputRate, outputRate, channels);
        var output = new short[outputFrames * channels];
        // Converted a chunk at a time through a small buffer, so the result is allocated once at its exact size.
        var buffer = new short[resampler.GetMaxOutputFrames(ChunkFrames) * channels];
        int written = 0;
        for (int offset = 0; offset < input.Length; offset += ChunkFrames * channels)
        {
            var chunk = input.Slice(offset, Math.Min(ChunkFrames * channels, input.Length - offset));
            int frames = resampler.Process(chunk, buffer);
            buffer.AsSpan(0, frames * channels).CopyTo(output.AsSpan(written));
            written += frames * channels;
        }
        int flushed = resampler.Flush(buffer);
        buffer.AsSpan(0, flushed * channels).CopyTo(output.AsSpan(written));
        written += flushed * channels;
        Debug.Assert(written == output.Length, "a stream of N frames gives exactly ceil(N × outRate / inRate) frames");
        return output;
    }

    /// <summary>Gets the input rate in Hz.</summary>
    public int InputRate { get; }

    /// <summary>Gets the output rate in Hz.</summary>
    public int OutputRate { get; }

    /// <summary>Gets the number of interleaved channels.</summary>
    public int Channels { get; }

    /// <summary>Gets the number of filter taps per output sample (for figures and tests).</summary>
    public int TapsPerPhase => _taps;

    /// <summary>Gets the largest number of frames (samples per channel) that <see cref="Process"/> or <see cref="Flush"/>
    /// can write after <paramref name="inputFrames"/> more input frames.</summary>
    /// <param name="inputFrames">Frames about to be passed in.</param>
    /// <returns>An upper bound of output frames.</returns>
    public int GetMaxOutputFrames(int inputFrames) =>
        (int)(((long)inputFrames + _taps + 1) * _up / _down) + 2;

    /// <summary>Converts the next part of the stream.</summary>
    /// <param name="input">Interleaved input samples (a whole number of frames); all are consumed.</param>
    /// <param name="output">Receives interleaved output; must hold <see cref="GetMaxOutputFrames"/> frames.</param>
    /// <returns>The number of frames written.</returns>
    /// <exception cref="ArgumentException">The input is not a whole number of frames or the output is too small.</exception>
    public int Process(ReadOnlySpan<short> input, Span<short> output)
    {
        if (input.Length % Channels != 0)
        {
            throw new ArgumentException($"The input holds {input.Length} samples, not a multiple of {Channels} channels.", nameof(input));
        }
        int frames = input.Length / Channels;
        if (output.Length < GetMaxOutputFrames(frames) * Channels)
        {
            throw new ArgumentException($"The output must hold {GetMaxOutputFrames(frames)} frames for {frames} input frames.", nameof(output));
        }
        int written = 0;
        while (frames > 0)
        {
            int n = Math.Min(frames, _history[0].Length - _count);
            Append(input[..(n * Channels)]);
            input = input[(n * Channels)..];
            frames -= n;
            _inputTotal += n;
            written += Emit(output[(written * Channels)..], long.MaxValue);
        }
        return written;
    }

    /// <summary>Ends the stream: writes the outputs still held back (the input is taken as silence after its end),
    /// then starts over as for a new stream.</summary>
    /// <param name="output">Receives interleaved output; must hold <c>GetMaxOutputFrames(0)</c> frames.</param>
    /// <returns>The number of frames written.</returns>
    /// <exception cref="ArgumentException">The output is too small.</exception>
    public int Flush(Span<short> output)
    {
        if (output.Length < GetMaxOutputFrames(0) * Channels)
        {
            throw new ArgumentException($"The output must hold {GetMaxOutputFrames(0)} frames.", nameof(output));
        }
        int written = 0;
        // Outputs whose time lies before the end of the real input still need the look-ahead: feed silence.
        while (_outputTime < _inputTotal)
        {
            int n = Math.Min(_half + 1, _history[0].Length - _count);
            for (int c = 0; c < Channels; c++) _history[c].AsSpan(_count, n).Clear();
            _count += n;
            written += Emit(output[(written * Channels)..], _inputTotal);
        }
        Reset();
        return written;
    }

    /// <summary>Drops all held input and starts over as for a new stream.</summary>
    public void Reset()
    {
        // History before the first sample is silence: half - 1 zeros make the first output's window complete.
        for (int c = 0; c < Channels; c++) Array.Clear(_history[c]);
        _count = _half - 1;
        _position = 0;
        _phase = 0;
        _inputTotal = 0;
        _outputTime = 0;
    }

    private void Append(ReadOnlySpan<short> interleaved)
    {
        int frames = interleaved.Length / Channels;
        if (Channels == 1)
        {
            var dst = _history[0].AsSpan(_count, frames);
            for (int i = 0; i < frames; i++) dst[i] = interleaved[i];
        }
        else
        {
            for (int c = 0; c < Channels; c++)
            {
                var dst = _history[c].AsSpan(_count, frames);
                for (int i = 0, s = c; i < frames; i++, s += Channels) dst[i] = interleaved[s];
            }
        }
        _count += frames;
    }

    private int Emit(Span<short> output, long timeLimit)
    {
        int written = 0;
        while (_position + _taps <= _count && _outputTime < timeLimit)
        {
            var coefficients = new ReadOnlySpan<float>(_coefficients, _phase * _taps, _taps);
            for (int c = 0; c < Channels; c++)
            {
                float y = Dot(new ReadOnlySpan<float>(_history[c], _position, _taps), coefficients);
                output[written * Channels + c] = ToInt16(y);
            }
            written++;
            _phase += _down;
            int advance = _phase / _up;
            _phase -= advance * _up;
            _position += advance;
            _outputTime += advance;
        }
        // Keep only what later outputs can still reach. The filter is longer than one output's advance, so the
        // next output's first tap never lies beyond the samples held.
        Debug.Assert(_position <= _count);
        if (_position > 0)
        {
            int keep = _count - _position;
            for (int c = 0; c < Channels; c++) Array.Copy(_history[c], _position, _history[c], 0, keep);
            _count = keep;
            _position = 0;
        }
        return written;
    }

    private static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> h)
    {
        Debug.Assert(x.Length == h.Length);
        int i = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var acc = Vector<float>.Zero;
            var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            var hv = MemoryMarshal.Cast<float, Vector<float>>(h);
            for (int v = 0; v < xv.Length; v++) acc += xv[v] * hv[v];
            sum = Vector.Sum(acc);
            i = xv.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++) sum += x[i] * h[i];
        return sum;
    }

    private static short ToInt16(float value)
    {
        float rounded = MathF.Round(value);
        return rounded >= short.MaxValue ? short.MaxValue : rounded <= short.MinValue ? short.MinValue : (short)rounded;
    }

    private static float[] BuildTable(int phases, int half, double cutoff)
    {
        int taps = 2 * half;
        var table = new float[phases * taps];
        double beta = 0.1102 * (StopbandAttenuationDb - 8.7);
        double i0Beta = BesselI0(beta);
        for (int p = 0; p < phases; p++)
        {
            double fraction = (double)p / phases;
            double sum = 0;
            for (int j = 0; j < taps; j++)
            {
                // Distance from the output time to input sample i - (half - 1) + j.
                double t = j - (half - 1) - fraction;
                double r = t / half;
                double window = Math.Abs(r) >= 1 ? 0 : BesselI0(beta * Math.Sqrt(1 - r * r)) / i0Beta;
                double x = 2 * cutoff * t;
                double sinc = Math.Abs(x) < 1e-12 ? 1 : Math.Sin(Math.PI * x) / (Math.PI * x);
                double h = 2 * cutoff * sinc * window;
                table[p * taps + j] = (float)h;
                sum += h;
            }
            // Unity gain at DC for every phase, so a constant stays a constant.
            for (int j = 0; j < taps; j++) table[p * taps + j] = (float)(table[p * taps + j] / sum);
        }
        return table;
    }

    private static double BesselI0(double x)
    {
        double sum = 1, term = 1, q = x * x / 4;
        for (int k = 1; k < 64 && term > sum * 1e-17; k++)
        {
            term *= q / ((double)k * k);
            sum += term;
        }
        return sum;
    }
}
