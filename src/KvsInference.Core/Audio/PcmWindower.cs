namespace KvsInference.Audio;

/// <summary>
/// Cuts a timed PCM stream into fixed-length windows (200 ms by default), each stamped with the container time of
/// its first sample, and hands each to a callback the moment it is full; it never waits for a fragment to end.
/// </summary>
/// <remarks>
/// One buffer of one window is allocated up front and reused: no allocation per window. A discontinuity delivers the
/// partial window (if any) and starts the next window at the new time, so a window never spans a gap.
/// </remarks>
public sealed class PcmWindower : IPcmSink
{
    private readonly PcmWindowHandler _handler;
    private readonly short[] _buffer;
    private readonly bool _deliverPartial;
    private int _filled;          // samples (all channels) in the current window
    private long _windowStartNs;
    private long _sequence;

    /// <summary>Creates a windower.</summary>
    /// <param name="sampleRate">The rate of the PCM in Hz.</param>
    /// <param name="channels">The number of interleaved channels.</param>
    /// <param name="options">Window length and partial-window policy.</param>
    /// <param name="handler">Receives each window.</param>
    /// <exception cref="ArgumentOutOfRangeException">The rate or channel count is not positive.</exception>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are not valid.</exception>
    public PcmWindower(int sampleRate, int channels, PcmWindowerOptions options, PcmWindowHandler handler)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        options.Validate();
        SampleRate = sampleRate;
        Channels = channels;
        WindowFrames = Math.Max(1, (int)Math.Round(options.WindowDuration.TotalSeconds * sampleRate));
        _buffer = new short[WindowFrames * channels];
        _deliverPartial = options.DeliverPartialWindows;
        _handler = handler;
    }

    /// <summary>Gets the rate in Hz.</summary>
    public int SampleRate { get; }

    /// <summary>Gets the number of interleaved channels.</summary>
    public int Channels { get; }

    /// <summary>Gets the length of a full window in samples per channel.</summary>
    public int WindowFrames { get; }

    /// <summary>Gets the number of windows delivered.</summary>
    public long WindowsDelivered => _sequence;

    /// <inheritdoc />
    public void OnPcm(ReadOnlySpan<short> samples, long timestampNs)
    {
        if (samples.Length % Channels != 0)
        {
            throw new ArgumentException($"{samples.Length} samples are not a whole number of {Channels}-channel frames.", nameof(samples));
        }
        int offsetFrames = 0;
        while (!samples.IsEmpty)
        {
            if (_filled == 0)
            {
                _windowStartNs = timestampNs + offsetFrames * AudioConstants.NanosPerSecond / SampleRate;
            }
            int n = Math.Min(samples.Length, _buffer.Length - _filled);
            samples[..n].CopyTo(_buffer.AsSpan(_filled));
            _filled += n;
            samples = samples[n..];
            offsetFrames += n / Channels;
            if (_filled == _buffer.Length) Deliver(isPartial: false);
        }
    }

    /// <inheritdoc />
    public void OnDiscontinuity(long endNs, long nextStartNs) => Flush();

    /// <inheritdoc />
    public void OnEndOfStream() => Flush();

    /// <summary>Delivers the partly filled window, if any (or drops it when partial windows are not wanted).</summary>
    public void Flush()
    {
        if (_filled == 0) return;
        if (_deliverPartial) Deliver(isPartial: true);
        else _filled = 0;
    }

    private void Deliver(bool isPartial)
    {
        var window = new PcmWindow(_buffer.AsSpan(0, _filled), _windowStartNs, SampleRate, Channels, _sequence, isPartial);
        _filled = 0;
        _sequence++;
        _handler(window);
    }
}
