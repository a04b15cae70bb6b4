using System.Numerics;

namespace KvsInference.Avatar.Features;

/// <summary>
/// Power spectrum of a real frame through one complex radix-2 FFT of half the size (the classic
/// even/odd packing), so a 512-point frame costs a 256-point complex transform. Tables are built once;
/// <see cref="PowerSpectrum"/> allocates nothing and is safe to call from several threads when each
/// passes its own scratch buffers.
/// </summary>
internal sealed class RealFft
{
    private readonly int _size;
    private readonly int _half;
    private readonly int[] _bitReverse;
    private readonly float[] _twiddleRe;  // for the half-size complex FFT, stage by stage: stage len at [len/2 - 1, len - 1)
    private readonly float[] _twiddleIm;
    private readonly float[] _splitRe;    // e^{-2*pi*i*k/N} for the real split, k = 0..N/2
    private readonly float[] _splitIm;

    public RealFft(int size)
    {
        if (size < 4 || (size & (size - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(size), size, "the FFT size must be a power of two >= 4");
        _size = size;
        _half = size / 2;
        _bitReverse = new int[_half];
        int bits = System.Numerics.BitOperations.Log2((uint)_half);
        for (int i = 0; i < _half; i++)
        {
            int r = 0;
            for (int b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
            _bitReverse[i] = r;
        }
        // Each stage's twiddles e^{-2*pi*i*j/len}, j < len/2, are stored contiguously so that the butterflies of
        // a stage read them in order and, from len = 2 x vector width on, a whole vector at a time.
        _twiddleRe = new float[Math.Max(1, _half - 1)];
        _twiddleIm = new float[Math.Max(1, _half - 1)];
        for (int len = 2; len <= _half; len <<= 1)
        {
            int offset = len / 2 - 1;
            for (int j = 0; j < len / 2; j++)
            {
                double a = -2 * Math.PI * j / len;
                _twiddleRe[offset + j] = (float)Math.Cos(a);
                _twiddleIm[offset + j] = (float)Math.Sin(a);
            }
        }
        _splitRe = new float[_half + 1];
        _splitIm = new float[_half + 1];
        for (int k = 0; k <= _half; k++)
        {
            double a = -2 * Math.PI * k / size;
            _splitRe[k] = (float)Math.Cos(a);
            _splitIm[k] = (float)Math.Sin(a);
        }
    }

    /// <summary>Gets the transform size in samples.</summary>
    public int Size => _size;

    /// <summary>Gets the number of power bins (size / 2 + 1).</summary>
    public int BinCount => _half + 1;

    /// <summary>Computes |X[k]|^2 for k = 0..N/2 of the real frame <paramref name="frame"/> (length N).</summary>
    /// <param name="frame">N real samples (already windowed).</param>
    /// <param name="re">Scratch of N/2 floats.</param>
    /// <param name="im">Scratch of N/2 floats.</param>
    /// <param name="power">Receives N/2 + 1 power values.</param>
    public void PowerSpectrum(ReadOnlySpan<float> frame, Span<float> re, Span<float> im, Span<float> power)
    {
        int m = _half;
        // Pack even samples as real parts, odd ones as imaginary parts, in bit-reversed order.
        for (int i = 0; i < m; i++)
        {
            int r = _bitReverse[i];
            re[r] = frame[2 * i];
            im[r] = frame[2 * i + 1];
        }
        int width = Vector<float>.Count;
        for (int len = 2; len <= m; len <<= 1)
        {
            int halfLen = len >> 1;
            var wRe = _twiddleRe.AsSpan(halfLen - 1, halfLen);
            var wIm = _twiddleIm.AsSpan(halfLen - 1, halfLen);
            if (Vector.IsHardwareAccelerated && halfLen >= width)
            {
                // halfLen is a power of two >= the vector width, so every stage splits into whole vectors.
                for (int start = 0; start < m; start += len)
                {
                    for (int j = 0; j < halfLen; j += width)
                    {
                        int p = start + j, q = p + halfLen;
                        var wr = new Vector<float>(wRe[j..]);
                        var wi = new Vector<float>(wIm[j..]);
                        var qr = new Vector<float>(re[q..]);
                        var qi = new Vector<float>(im[q..]);
                        var pr = new Vector<float>(re[p..]);
                        var pi = new Vector<float>(im[p..]);
                        var tr = qr * wr - qi * wi;
                        var ti = qr * wi + qi * wr;
                        (pr - tr).CopyTo(re[q..]);
                        (pi - ti).CopyTo(im[q..]);
                        (pr + tr).CopyTo(re[p..]);
                        (pi + ti).CopyTo(im[p..]);
                    }
                }
                continue;
            }
            for (int start = 0; start < m; start += len)
            {
                for (int j = 0; j < halfLen; j++)
                {
                    float wr = wRe[j], wi = wIm[j];
                    int p = start + j, q = p + halfLen;
                    float tr = re[q] * wr - im[q] * wi;
                    float ti = re[q] * wi + im[q] * wr;
                    re[q] = re[p] - tr;
                    im[q] = im[p] - ti;
                    re[p] += tr;
                    im[p] += ti;
                }
            }
        }
        // Split: X[k] = Fe[k] + W^k Fo[k] with Fe = (Z[k] + conj Z[M-k]) / 2, Fo = (Z[k] - conj Z[M-k]) / 2i.
        for (int k = 0; k <= m; k++)
        {
            int a = k == m ? 0 : k;
            int b = k == 0 ? 0 : m - k;
            float zr = re[a], zi = im[a], cr = re[b], ci = im[b];
            float feR = 0.5f * (zr + cr), feI = 0.5f * (zi - ci);
            float foR = 0.5f * (zi + ci), foI = -0.5f * (zr - cr);
            float wr = _splitRe[k], wi = _splitIm[k];
            float xr = feR + wr * foR - wi * foI;
            float xi = feI + wr * foI + wi * foR;
            power[k] = xr * xr + xi * xi;
        }
    }
}
