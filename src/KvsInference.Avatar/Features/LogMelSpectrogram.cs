using System.Runtime.CompilerServices;

namespace KvsInference.Avatar.Features;

/// <summary>
/// Log-mel band energies of one 25 ms window: Hann window, 512-point power spectrum, 26 triangular
/// mel filters (HTK mel scale), natural logarithm. Immutable tables; callers bring their own scratch
/// (<see cref="Scratch"/>) so that the computation allocates nothing and threads do not share buffers.
/// </summary>
internal sealed class LogMelSpectrogram
{
    private readonly float[] _window;
    private readonly RealFft _fft;
    private readonly int[] _filterStart;
    private readonly float[][] _filterWeights;
    private readonly float[] _whiteNoiseBandEnergy;

    /// <summary>Per-caller buffers for <see cref="Compute"/>.</summary>
    internal sealed class Scratch
    {
        public readonly float[] Frame = new float[FeatureConstants.FftSize];
        public readonly float[] Re = new float[FeatureConstants.FftSize / 2];
        public readonly float[] Im = new float[FeatureConstants.FftSize / 2];
        public readonly float[] Power = new float[FeatureConstants.FftSize / 2 + 1];
    }

    /// <summary>Gets each band's expected energy (before the logarithm) for white noise of mean square 1.</summary>
    public ReadOnlySpan<float> WhiteNoiseBandEnergy => _whiteNoiseBandEnergy;

    /// <summary>The shared instance (the tables depend on constants only).</summary>
    public static LogMelSpectrogram Shared { get; } = new();

    private LogMelSpectrogram()
    {
        _window = new float[FeatureConstants.WindowSamples];
        for (int i = 0; i < _window.Length; i++)
        {
            _window[i] = (float)(0.5 - 0.5 * Math.Cos(2 * Math.PI * i / (_window.Length - 1)));
        }
        _fft = new RealFft(FeatureConstants.FftSize);
        int bands = FeatureConstants.MelBands;
        double lowMel = HzToMel(FeatureConstants.MelLowHz), highMel = HzToMel(FeatureConstants.MelHighHz);
        var edges = new double[bands + 2];
        for (int i = 0; i < edges.Length; i++)
        {
            edges[i] = MelToHz(lowMel + (highMel - lowMel) * i / (bands + 1)) * FeatureConstants.FftSize / FeatureConstants.SampleRate;
        }
        _filterStart = new int[bands];
        _filterWeights = new float[bands][];
        for (int b = 0; b < bands; b++)
        {
            double left = edges[b], centre = edges[b + 1], right = edges[b + 2];
            int first = (int)Math.Ceiling(left), last = (int)Math.Floor(right);
            var weights = new float[Math.Max(1, last - first + 1)];
            for (int k = first; k <= last; k++)
            {
                double w = k <= centre ? (k - left) / (centre - left) : (right - k) / (right - centre);
                weights[k - first] = (float)Math.Max(0, w);
            }
            _filterStart[b] = first;
            _filterWeights[b] = weights;
        }
        // E|X_k|^2 of unit-variance white noise is the window's energy in every bin; a band weighs its bins.
        double windowEnergy = 0;
        foreach (var w in _window) windowEnergy += (double)w * w;
        _whiteNoiseBandEnergy = new float[bands];
        for (int b = 0; b < bands; b++) _whiteNoiseBandEnergy[b] = (float)(_filterWeights[b].Sum(w => (double)w) * windowEnergy);
    }

    /// <summary>Computes the log-mel bands of one window.</summary>
    /// <param name="samples">The <see cref="FeatureConstants.WindowSamples"/> samples, scaled to [-1, 1).</param>
    /// <param name="scratch">The caller's scratch buffers.</param>
    /// <param name="logMel">Receives <see cref="FeatureConstants.MelBands"/> values.</param>
    /// <returns>The window's mean-square level (not windowed), for loudness.</returns>
    public float Compute(ReadOnlySpan<float> samples, Scratch scratch, Span<float> logMel)
    {
        var frame = scratch.Frame;
        float energy = 0;
        var window = _window;
        for (int i = 0; i < window.Length; i++)
        {
            float s = samples[i];
            energy += s * s;
            frame[i] = s * window[i];
        }
        Array.Clear(frame, window.Length, frame.Length - window.Length);
        _fft.PowerSpectrum(frame, scratch.Re, scratch.Im, scratch.Power);
        var power = scratch.Power;
        for (int b = 0; b < _filterWeights.Length; b++)
        {
            var w = _filterWeights[b];
            int start = _filterStart[b];
            float sum = 0;
            for (int k = 0; k < w.Length; k++) sum += w[k] * power[start + k];
            logMel[b] = MathF.Log(sum + FeatureConstants.EnergyFloor);
        }
        return energy / window.Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double HzToMel(double hz) => 2595 * Math.Log10(1 + hz / 700);

    private static double MelToHz(double mel) => 700 * (Math.Pow(10, mel / 2595) - 1);
}
