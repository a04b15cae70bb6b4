namespace KvsInference.Audio;

/// <summary>One fixed-length window of PCM for the model, borrowed from the <see cref="PcmWindower"/>'s buffer.</summary>
/// <remarks>The samples are only valid during the <see cref="PcmWindowHandler"/> call: copy what must outlive it.</remarks>
public readonly ref struct PcmWindow
{
    /// <summary>Creates a window.</summary>
    /// <param name="samples">Interleaved samples.</param>
    /// <param name="timestampNs">The container time of the first sample, in ns.</param>
    /// <param name="sampleRate">The rate in Hz.</param>
    /// <param name="channels">The number of interleaved channels.</param>
    /// <param name="sequence">The window's index in the stream, from 0.</param>
    /// <param name="isPartial">Whether the window is shorter than the configured length (end of stream or discontinuity).</param>
    public PcmWindow(ReadOnlySpan<short> samples, long timestampNs, int sampleRate, int channels, long sequence, bool isPartial)
    {
        Samples = samples;
        TimestampNs = timestampNs;
        SampleRate = sampleRate;
        Channels = channels;
        Sequence = sequence;
        IsPartial = isPartial;
    }

    /// <summary>Gets the interleaved 16-bit samples.</summary>
    public ReadOnlySpan<short> Samples { get; }

    /// <summary>Gets the container time of the first sample, in ns.</summary>
    public long TimestampNs { get; }

    /// <summary>Gets the sample rate in Hz.</summary>
    public int SampleRate { get; }

    /// <summary>Gets the number of interleaved channels.</summary>
    public int Channels { get; }

    /// <summary>Gets the window's index in the stream, counted from 0.</summary>
    public long Sequence { get; }

    /// <summary>Gets whether the window is shorter than the configured length: the last one before the end of the
    /// stream or before a discontinuity.</summary>
    public bool IsPartial { get; }

    /// <summary>Gets the number of samples per channel.</summary>
    public int Frames => Samples.Length / Channels;

    /// <summary>Gets the duration of the window.</summary>
    public TimeSpan Duration => TimeSpan.FromTicks(Frames * TimeSpan.TicksPerSecond / SampleRate);
}

/// <summary>Receives each window as soon as it is full.</summary>
/// <param name="window">The window; its samples are only valid during the call.</param>
public delegate void PcmWindowHandler(PcmWindow window);
