namespace KvsInference.Meeting.Streaming;

/// <summary>A piece of mono 16-bit speech placed on the producer clock.</summary>
/// <param name="StartMs">The time of the first sample (Unix ms on the producer clock).</param>
/// <param name="Samples">The samples, at the rate of the timeline they go into.</param>
public readonly record struct TimedPcm(double StartMs, short[] Samples);

/// <summary>
/// The speech of one stream on the producer clock, read back for any span: samples nobody delivered (a gap in the
/// stream, audio not yet arrived) read as silence, so the output keeps its pace. Where pieces overlap (a repeat after a
/// reconnection) the one that starts earlier wins. Not thread-safe: the owner serializes access.
/// </summary>
public sealed class PcmTimeline
{
    private readonly List<TimedPcm> _pieces = new();

    /// <summary>Creates an empty timeline.</summary>
    /// <param name="sampleRate">The rate of every piece and of what is read, in Hz.</param>
    /// <exception cref="ArgumentOutOfRangeException">The rate is outside 8..96 kHz.</exception>
    public PcmTimeline(int sampleRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, 8000);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sampleRate, 96000);
        SampleRate = sampleRate;
    }

    /// <summary>Gets the rate in Hz.</summary>
    public int SampleRate { get; }

    /// <summary>Gets the time just after the last sample kept, or null when empty.</summary>
    public double? EndMs { get; private set; }

    /// <summary>Gets how many pieces are kept.</summary>
    public int Count => _pieces.Count;

    /// <summary>Adds a piece.</summary>
    /// <param name="piece">The samples and the time of the first.</param>
    public void Add(TimedPcm piece)
    {
        ArgumentNullException.ThrowIfNull(piece.Samples);
        if (piece.Samples.Length == 0) return;
        int index = _pieces.Count;
        while (index > 0 && _pieces[index - 1].StartMs > piece.StartMs) index--;
        _pieces.Insert(index, piece);
        double end = piece.StartMs + piece.Samples.Length * 1000.0 / SampleRate;
        if (EndMs is not { } e || end > e) EndMs = end;
    }

    /// <summary>Fills <paramref name="destination"/> with the samples from <paramref name="startMs"/> on; silence where none were delivered.</summary>
    /// <param name="startMs">The time of the first sample wanted (Unix ms).</param>
    /// <param name="destination">Receives the samples.</param>
    public void Read(double startMs, Span<short> destination)
    {
        destination.Clear();
        // Pieces are in start order, so an overlap is always at the start of the later piece: skip what is written.
        long written = 0;
        double endMs = startMs + destination.Length * 1000.0 / SampleRate;
        foreach (var piece in _pieces)
        {
            if (piece.StartMs >= endMs) break;
            // Where the piece's first sample lands in the destination (rounded to the nearest sample).
            long at = (long)Math.Round((piece.StartMs - startMs) * SampleRate / 1000.0);
            long from = Math.Max(Math.Max(0, -at), written - at);
            long to = Math.Min(piece.Samples.Length, destination.Length - at);
            if (to <= from) continue;
            piece.Samples.AsSpan((int)from, (int)(to - from)).CopyTo(destination[(int)(at + from)..]);
            written = at + to;
        }
    }

    /// <summary>Forgets pieces that end before a moment.</summary>
    /// <param name="timeMs">The moment (Unix ms).</param>
    public void DropBefore(double timeMs)
    {
        _pieces.RemoveAll(p => p.StartMs + p.Samples.Length * 1000.0 / SampleRate <= timeMs);
        if (_pieces.Count == 0) EndMs = null;
    }
}
