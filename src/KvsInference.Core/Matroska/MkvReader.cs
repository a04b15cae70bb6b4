using System.Buffers;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace KvsInference.Matroska;

/// <summary>
/// A forward-only, incremental reader of Matroska/WebM (EBML) elements over bytes that arrive in pieces,
/// in the manner of <see cref="System.Text.Json.Utf8JsonReader"/>.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Read"/> returns the next token: the start of a master element it enters (EBML header, Segment,
/// Info, Tracks, TrackEntry, Audio, Video, Tags, Tag, SimpleTag, Cluster), the end of one, or a value
/// (a leaf element, a SimpleBlock, a whole BlockGroup) whose bytes are all in the buffer. Void, CRC-32, Cues,
/// SeekHead, Chapters, Attachments and unknown elements are skipped as they stream by, without being buffered.
/// </para>
/// <para>
/// When the data holds no complete next token, <see cref="Read"/> returns false with every cursor back at the
/// last token; the caller advances its input to <see cref="Position"/> and resumes later with
/// <see cref="CurrentState"/>. With <c>isFinalBlock</c> true, missing bytes are a truncation error instead.
/// Unknown-size Segments and Clusters end where an element begins that cannot be their child, and a stream
/// may hold several EBML header + Segment pairs. The reader never seeks.
/// </para>
/// </remarks>
public ref partial struct MkvReader
{
    private readonly ReadOnlySequence<byte> _sequence;
    private readonly long _length;
    private readonly long _baseOffset;
    private readonly bool _isFinalBlock;
    private readonly bool _isMultiSegment;

    // The contiguous piece of the data that holds offset _windowStart (the whole data on the single-segment path).
    private ReadOnlySpan<byte> _window;
    private long _windowStart;
    private SequencePosition _windowPosition;
    private SequencePosition _nextSegment;

    private long _consumed;
    private MkvReaderState _state;

    private MkvTokenType _tokenType;
    private uint _elementId;
    private long _elementOffset;
    private long _dataOffset;
    private long _elementSize;
    private int _tokenDepth;
    private ReadOnlySpan<byte> _valueSpan;
    private ReadOnlySequence<byte> _valueSequence;
    private bool _hasValueSequence;

    /// <summary>Creates a reader over contiguous bytes.</summary>
    /// <param name="data">The bytes, starting where the previous reader stopped (<see cref="Position"/>).</param>
    /// <param name="isFinalBlock">True when no more bytes will follow.</param>
    /// <param name="state">The state of the previous reader, or a new state at the start of a stream.</param>
    public MkvReader(ReadOnlySpan<byte> data, bool isFinalBlock, MkvReaderState state)
    {
        _window = data;
        _length = data.Length;
        _isFinalBlock = isFinalBlock;
        _state = state;
        _baseOffset = state._offset;
        _elementSize = -1;
    }

    /// <summary>Creates a reader over bytes in one or more segments (a PipeReader buffer).</summary>
    /// <param name="data">The bytes, starting where the previous reader stopped (<see cref="Position"/>).</param>
    /// <param name="isFinalBlock">True when no more bytes will follow.</param>
    /// <param name="state">The state of the previous reader, or a new state at the start of a stream.</param>
    public MkvReader(ReadOnlySequence<byte> data, bool isFinalBlock, MkvReaderState state)
    {
        _sequence = data;
        _length = data.Length;
        _isFinalBlock = isFinalBlock;
        _state = state;
        _baseOffset = state._offset;
        _elementSize = -1;
        _isMultiSegment = !data.IsSingleSegment;
        _windowPosition = data.Start;
        if (_isMultiSegment)
        {
            _nextSegment = data.Start;
            MoveToNextNonEmptySegment();
        }
        else
        {
            _window = data.FirstSpan;
        }
    }

    /// <summary>Gets the type of the current token.</summary>
    /// <value><see cref="MkvTokenType.None"/> before the first Read and after a Read that returned false.</value>
    public readonly MkvTokenType TokenType => _tokenType;

    /// <summary>Gets the ID of the current element (with its length marker, e.g. 0xA3 for SimpleBlock).</summary>
    /// <value>See <see cref="MkvElementIds"/>.</value>
    public readonly uint ElementId => _elementId;

    /// <summary>Gets the absolute offset of the first byte (the ID) of the current element.</summary>
    /// <value>An offset from the start of the stream.</value>
    public readonly long ElementOffset => _elementOffset;

    /// <summary>Gets the absolute offset of the first byte of the current element's body.</summary>
    /// <value>An offset from the start of the stream.</value>
    public readonly long DataOffset => _dataOffset;

    /// <summary>Gets the size of the current element's body, or -1 when it is unknown (live Segment/Cluster).</summary>
    /// <value>A size in bytes or -1.</value>
    public readonly long ElementSize => _elementSize;

    /// <summary>Gets the number of master elements that enclose the current element.</summary>
    /// <value>0 for an EBML header or a Segment.</value>
    public readonly int CurrentDepth => _tokenDepth;

    /// <summary>Gets the value bytes when they are contiguous (<see cref="HasValueSequence"/> false).</summary>
    /// <value>The body of the current value element, borrowed from the input.</value>
    public readonly ReadOnlySpan<byte> ValueSpan => _valueSpan;

    /// <summary>Gets the value bytes when they cross segments of the input (<see cref="HasValueSequence"/> true).</summary>
    /// <value>The body of the current value element, borrowed from the input.</value>
    public readonly ReadOnlySequence<byte> ValueSequence => _valueSequence;

    /// <summary>Gets whether the current value crosses segments, so that it is in <see cref="ValueSequence"/>.</summary>
    /// <value>False on the contiguous fast path.</value>
    public readonly bool HasValueSequence => _hasValueSequence;

    /// <summary>Gets the number of bytes of this reader's input consumed so far.</summary>
    /// <value>Bytes from the start of the data given to this reader.</value>
    public readonly long BytesConsumed => _consumed;

    /// <summary>Gets the absolute offset of the next unread byte.</summary>
    /// <value>An offset from the start of the stream.</value>
    public readonly long AbsolutePosition => _baseOffset + _consumed;

    /// <summary>Gets the position in the input sequence up to which the bytes are consumed; advance the PipeReader to it (a span reader: use <see cref="BytesConsumed"/>).</summary>
    /// <value>A position in the sequence given to the constructor (default for a span reader).</value>
    public readonly SequencePosition Position => _sequence.GetPosition(_consumed);

    /// <summary>Gets the state to pass to the next reader, together with the bytes from <see cref="Position"/> on.</summary>
    /// <value>A copy of the state; valid after Read returned false (or at any token, for the bytes after it).</value>
    public readonly MkvReaderState CurrentState
    {
        get
        {
            var state = _state;
            state._offset = _baseOffset + _consumed;
            return state;
        }
    }

    /// <summary>Reads the next token.</summary>
    /// <returns>True when a token was read; false when more data is needed or the final data is at its end.</returns>
    /// <exception cref="MkvFormatException">The bytes are not valid Matroska, an element is larger than the cap, or (final block) the data is truncated.</exception>
    public bool Read()
    {
        _tokenType = MkvTokenType.None;
        _valueSpan = default;
        _hasValueSequence = false;
        if (_state._skipRemaining > 0 && !ContinueSkip()) return false;

        // Room for an ID and a size (4 + 8 bytes) that cross a segment boundary.
        Span<byte> scratch = stackalloc byte[12];

        while (true)
        {
            long position = _consumed;
            long absolute = _baseOffset + position;
            int depth = _state._depth;
            if (depth > 0)
            {
                ref OpenElement top = ref _state._stack[depth - 1];
                Debug.Assert(absolute <= top.End);
                if (absolute == top.End)
                {
                    PopElement();
                    return true;
                }
            }

            if (position >= _length)
            {
                if (!_isFinalBlock) return false;
                if (depth == 0) return false;
                ref OpenElement top = ref _state._stack[depth - 1];
                // Only unknown-size elements (end long.MaxValue) may stop at the end of the data.
                if (top.End != long.MaxValue) ThrowHelper.ThrowMkvFormatException_Truncated(absolute, top.Start, top.Id, top.End);
                PopElement();
                return true;
            }

            // The ID and size take at most 4 + 8 bytes.
            scoped ReadOnlySpan<byte> header;
            long windowOffset = position - _windowStart;
            if (windowOffset >= 0 && windowOffset + 12 <= _window.Length)
            {
                header = _window.Slice((int)windowOffset, 12);
            }
            else if (!_isMultiSegment)
            {
                header = _window.Slice((int)windowOffset);
            }
            else
            {
                header = scratch.Slice(0, CopyBytesMultiSegment(position, scratch));
            }
            int idLength = ReadId(header, absolute, out uint id);
            if (idLength == 0) return NeedMore(position, absolute);
            int sizeLength = ReadSize(header.Slice(idLength), absolute + idLength, absolute, id, out long size);
            if (sizeLength == 0) return NeedMore(position, absolute);

            if (depth > 0)
            {
                ref OpenElement top = ref _state._stack[depth - 1];
                if (top.UnknownSize && !MkvElementIds.CanContinueUnknownSize(top.Id, id))
                {
                    PopElement();
                    return true;
                }
                if (MkvElementIds.IsTopLevel(id) && !_state._isFragment)
                {
                    ThrowHelper.ThrowMkvFormatException_NotAllowedInside(absolute, id, top.Id);
                }
            }

            long dataPosition = position + idLength + sizeLength;
            MkvElementKind kind = MkvElementIds.GetKind(id);
            if (depth == 0 && !_state._isFragment) kind = CheckTopLevel(id, kind, absolute);

            if (size < 0)
            {
                if (kind != MkvElementKind.Master || (id != MkvElementIds.Segment && id != MkvElementIds.Cluster) || depth == MkvConstants.MaxDepth)
                {
                    ThrowHelper.ThrowMkvFormatException_UnknownSizeNotAllowed(absolute, id);
                }
                PushElement(id, absolute, dataPosition, -1);
                return true;
            }

            long end = _baseOffset + dataPosition + size;
            if (depth > 0)
            {
                ref OpenElement top = ref _state._stack[depth - 1];
                if (end > top.End) ThrowHelper.ThrowMkvFormatException_SizePastParent(absolute, id, end, top.Id, top.End);
            }

            if (kind == MkvElementKind.Value)
            {
                if (size > _state.MaxElementSizeBytes) ThrowHelper.ThrowMkvFormatException_SizeOverCap(absolute, id, size, _state.MaxElementSizeBytes);
                if (dataPosition + size > _length)
                {
                    if (_isFinalBlock) ThrowHelper.ThrowMkvFormatException_Truncated(_baseOffset + _length, absolute, id, end);
                    return false;
                }
                SetValue(id, absolute, dataPosition, (int)size);
                return true;
            }

            if (kind == MkvElementKind.Master && depth < MkvConstants.MaxDepth)
            {
                PushElement(id, absolute, dataPosition, size);
                return true;
            }

            // Skip: consume what is here and remember the rest, so a 60 MB attachment never sits in memory.
            long available = _length - dataPosition;
            if (available >= size)
            {
                _consumed = dataPosition + size;
                continue;
            }
            if (_isFinalBlock) ThrowHelper.ThrowMkvFormatException_Truncated(_baseOffset + _length, absolute, id, end);
            _consumed = _length;
            _state._skipRemaining = size - available;
            _state._skipId = id;
            _state._skipElementOffset = absolute;
            return false;
        }
    }

    private bool NeedMore(long position, long absolute)
    {
        if (_isFinalBlock) ThrowHelper.ThrowMkvFormatException_TruncatedHeader(absolute + (_length - position), absolute);
        return false;
    }

    private bool ContinueSkip()
    {
        long available = _length - _consumed;
        if (available >= _state._skipRemaining)
        {
            _consumed += _state._skipRemaining;
            _state._skipRemaining = 0;
            return true;
        }
        if (_isFinalBlock)
        {
            ThrowHelper.ThrowMkvFormatException_Truncated(_baseOffset + _length, _state._skipElementOffset, _state._skipId,
                _baseOffset + _consumed + _state._skipRemaining);
        }
        _consumed = _length;
        _state._skipRemaining -= available;
        return false;
    }

    private MkvElementKind CheckTopLevel(uint id, MkvElementKind kind, long absolute)
    {
        if (id == MkvElementIds.Ebml)
        {
            _state._sawEbmlHeader = true;
            return kind;
        }
        if (id == MkvElementIds.Segment)
        {
            if (!_state._sawEbmlHeader) ThrowHelper.ThrowMkvFormatException_MissingEbmlHeader(absolute, id);
            return kind;
        }
        if (id == MkvElementIds.Void || id == MkvElementIds.Crc32) return MkvElementKind.Skip;
        if (!_state._sawEbmlHeader) ThrowHelper.ThrowMkvFormatException_MissingEbmlHeader(absolute, id);
        ThrowHelper.ThrowMkvFormatException_UnexpectedTopLevel(absolute, id);
        return kind;
    }

    private void PushElement(uint id, long absolute, long dataPosition, long size)
    {
        int depth = _state._depth;
        ref OpenElement element = ref _state._stack[depth];
        element.Id = id;
        element.Start = absolute;
        element.UnknownSize = size < 0;
        element.End = size >= 0
            ? _baseOffset + dataPosition + size
            : depth > 0 ? _state._stack[depth - 1].End : long.MaxValue;
        _state._depth = depth + 1;
        _tokenType = MkvTokenType.StartElement;
        _tokenDepth = depth;
        _elementId = id;
        _elementOffset = absolute;
        _dataOffset = _baseOffset + dataPosition;
        _elementSize = size;
        _consumed = dataPosition;
    }

    private void PopElement()
    {
        int depth = _state._depth - 1;
        ref OpenElement element = ref _state._stack[depth];
        _state._depth = depth;
        _tokenType = MkvTokenType.EndElement;
        _tokenDepth = depth;
        _elementId = element.Id;
        _elementOffset = element.Start;
        _dataOffset = -1;
        _elementSize = element.UnknownSize ? -1 : element.End - element.Start;
    }

    private void SetValue(uint id, long absolute, long dataPosition, int size)
    {
        _tokenType = MkvTokenType.Value;
        _tokenDepth = _state._depth;
        _elementId = id;
        _elementOffset = absolute;
        _dataOffset = _baseOffset + dataPosition;
        _elementSize = size;
        long windowOffset = dataPosition - _windowStart;
        if (windowOffset >= 0 && windowOffset + size <= _window.Length)
        {
            _valueSpan = _window.Slice((int)windowOffset, size);
        }
        else
        {
            SetValueMultiSegment(dataPosition, size);
        }
        _consumed = dataPosition + size;
    }

    /// <summary>Reads an element ID; returns its length, or 0 when more bytes are needed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadId(ReadOnlySpan<byte> header, long absolute, out uint id)
    {
        id = 0;
        if (header.IsEmpty) return 0;
        byte first = header[0];
        // 1-byte IDs (0x80-0xFE) are the bulk of a file: SimpleBlock, Timestamp, BlockGroup.
        if (first >= 0x80)
        {
            if (first == 0xFF) ThrowHelper.ThrowMkvFormatException_InvalidIdValue(absolute, first);
            id = first;
            return 1;
        }
        int length = BitOperations.LeadingZeroCount((uint)first) - 23;
        if (length > 4) ThrowHelper.ThrowMkvFormatException_InvalidId(absolute, first);
        if (header.Length < length) return 0;
        uint value = first;
        for (int i = 1; i < length; i++) value = (value << 8) | header[i];
        uint allOnes = (1u << (7 * length + 1)) - 1;
        if (value == allOnes || value == 1u << (7 * length)) ThrowHelper.ThrowMkvFormatException_InvalidIdValue(absolute, value);
        id = value;
        return length;
    }

    /// <summary>Reads an element size; returns its length or 0 when more bytes are needed; size -1 means unknown.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadSize(ReadOnlySpan<byte> header, long absolute, long elementOffset, uint id, out long size)
    {
        size = 0;
        if (header.IsEmpty) return 0;
        byte first = header[0];
        if (first == 0) ThrowHelper.ThrowMkvFormatException_InvalidSize(absolute, elementOffset, id);
        int length = BitOperations.LeadingZeroCount((uint)first) - 23;
        if (header.Length < length) return 0;
        ulong value = first & (0xFFu >> length);
        for (int i = 1; i < length; i++) value = (value << 8) | header[i];
        ulong allOnes = (1UL << (7 * length)) - 1;
        size = value == allOnes ? -1 : (long)value;
        return length;
    }
}
