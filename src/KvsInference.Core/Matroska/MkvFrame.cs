using System.Buffers;

namespace KvsInference.Matroska;

/// <summary>
/// One frame of a SimpleBlock or Block (one lace of a laced block), with its payload borrowed from the input buffer.
/// </summary>
/// <remarks>
/// The payload is valid only during <see cref="IMkvHandler.OnFrame"/>: copy or decode it there.
/// Most payloads are contiguous (<see cref="IsPayloadContiguous"/>); one that crosses two segments of a
/// PipeReader buffer is in <see cref="PayloadSequence"/>, and <see cref="GetPayload"/> gives a span either way.
/// </remarks>
public readonly ref struct MkvFrame
{
    private readonly ReadOnlySpan<byte> _span;
    private readonly ReadOnlySequence<byte> _sequence;
    private readonly bool _isSequence;

    internal MkvFrame(MkvTrackInfo? track, ulong trackNumber, long timestampNs, long durationNs, bool isKey,
        bool isInvisible, long discardPaddingNs, long blockOffset, ReadOnlySpan<byte> span, ReadOnlySequence<byte> sequence, bool isSequence)
    {
        Track = track;
        TrackNumber = trackNumber;
        TimestampNs = timestampNs;
        DurationNs = durationNs;
        IsKey = isKey;
        IsInvisible = isInvisible;
        DiscardPaddingNs = discardPaddingNs;
        BlockOffset = blockOffset;
        _span = span;
        _sequence = sequence;
        _isSequence = isSequence;
    }

    /// <summary>Gets the track the frame belongs to, or null when the Segment declared no such track.</summary>
    /// <value>The TrackEntry read from the current Segment's Tracks.</value>
    public MkvTrackInfo? Track { get; }

    /// <summary>Gets the track number written in the block.</summary>
    /// <value>A track number (1 or more).</value>
    public ulong TrackNumber { get; }

    /// <summary>Gets the absolute presentation timestamp: (Cluster Timestamp + block offset) × TimestampScale.</summary>
    /// <value>Nanoseconds. A laced frame after the first starts where the lace before it ends: lace lengths come from the codec
    /// (Opus TOC, AAC frame length, PCM size), else from DefaultDuration, else from a share of BlockDuration.</value>
    public long TimestampNs { get; }

    /// <summary>Gets the duration from BlockDuration or the track's DefaultDuration (for a laced frame, from its codec first), or -1 when none is known.</summary>
    /// <value>Nanoseconds, or -1.</value>
    public long DurationNs { get; }

    /// <summary>Gets whether the frame is a key frame (SimpleBlock key flag; a Block without ReferenceBlock).</summary>
    /// <value>True for a key frame (every Opus packet is one).</value>
    public bool IsKey { get; }

    /// <summary>Gets whether the block is flagged invisible (decode, but do not present).</summary>
    /// <value>The invisible flag of the block.</value>
    public bool IsInvisible { get; }

    /// <summary>Gets the DiscardPadding of the block (samples to drop at the end), applied to the last frame of a block.</summary>
    /// <value>Nanoseconds; 0 when absent. A negative value means padding at the start, as the specification allows.</value>
    public long DiscardPaddingNs { get; }

    /// <summary>Gets the absolute offset of the SimpleBlock or Block element that holds this frame.</summary>
    /// <value>An offset from the start of the stream.</value>
    public long BlockOffset { get; }

    /// <summary>Gets the length of the payload in bytes.</summary>
    /// <value>The frame size.</value>
    public int PayloadLength => _isSequence ? (int)_sequence.Length : _span.Length;

    /// <summary>Gets whether the payload is one contiguous span (<see cref="PayloadSpan"/>).</summary>
    /// <value>True except for the rare frame that crosses two buffer segments.</value>
    public bool IsPayloadContiguous => !_isSequence;

    /// <summary>Gets the payload when it is contiguous.</summary>
    /// <value>The frame bytes, borrowed from the input.</value>
    /// <exception cref="InvalidOperationException">The payload crosses segments (<see cref="IsPayloadContiguous"/> is false).</exception>
    public ReadOnlySpan<byte> PayloadSpan
    {
        get
        {
            if (_isSequence) ThrowHelper.ThrowInvalidOperationException_NoContiguousPayload();
            return _span;
        }
    }

    /// <summary>Gets the payload when it crosses segments; empty when the payload is contiguous.</summary>
    /// <value>The frame bytes, borrowed from the input.</value>
    public ReadOnlySequence<byte> PayloadSequence => _sequence;

    /// <summary>Gets the payload as one span: borrowed when contiguous, else copied into <paramref name="scratch"/>.</summary>
    /// <param name="scratch">A buffer of at least <see cref="PayloadLength"/> bytes, used only when the payload crosses segments.</param>
    /// <returns>The payload bytes.</returns>
    /// <exception cref="ArgumentException"><paramref name="scratch"/> is too small for a payload that must be copied.</exception>
    public ReadOnlySpan<byte> GetPayload(Span<byte> scratch)
    {
        if (!_isSequence) return _span;
        int length = (int)_sequence.Length;
        if (scratch.Length < length) ThrowHelper.ThrowArgumentException_ScratchTooSmall(length);
        _sequence.CopyTo(scratch);
        return scratch.Slice(0, length);
    }

    /// <summary>Copies the payload into <paramref name="destination"/>.</summary>
    /// <param name="destination">A buffer of at least <see cref="PayloadLength"/> bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small.</exception>
    public void CopyPayloadTo(Span<byte> destination)
    {
        if (destination.Length < PayloadLength) ThrowHelper.ThrowArgumentException_ScratchTooSmall(PayloadLength);
        if (_isSequence) _sequence.CopyTo(destination);
        else _span.CopyTo(destination);
    }
}
