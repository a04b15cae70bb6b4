using System.Runtime.CompilerServices;

namespace KvsInference.Matroska;

/// <summary>
/// The state of an <see cref="MkvReader"/> between two buffers: a copyable struct that survives across awaits.
/// </summary>
/// <remarks>
/// Get it from <see cref="MkvReader.CurrentState"/> after the reader returned false, advance the input to
/// <see cref="MkvReader.Position"/>, and pass it to the next reader with the remaining plus new bytes.
/// It holds the open master elements (a fixed inline stack, no allocation) and any skip still in progress.
/// </remarks>
public struct MkvReaderState
{
    internal long _offset;
    internal long _skipRemaining;
    internal long _skipElementOffset;
    internal uint _skipId;
    internal int _depth;
    internal bool _sawEbmlHeader;
    internal bool _isFragment;
    internal long _maxElementSizeBytes;
    internal OpenElementStack _stack;

    /// <summary>Creates the state of a reader at the start of a stream.</summary>
    /// <param name="options">The options; null for the defaults.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are out of range.</exception>
    public MkvReaderState(MkvReaderOptions? options)
    {
        options?.Validate();
        _maxElementSizeBytes = options?.MaxElementSizeBytes ?? MkvConstants.DefaultMaxElementSizeBytes;
    }

    /// <summary>Gets the absolute offset of the next byte the next reader will see.</summary>
    /// <value>The number of bytes consumed since the stream started.</value>
    public readonly long BytesConsumed => _offset;

    /// <summary>Gets the number of master elements currently open.</summary>
    /// <value>0 at the top level.</value>
    public readonly int Depth => _depth;

    internal readonly long MaxElementSizeBytes =>
        _maxElementSizeBytes == 0 ? MkvConstants.DefaultMaxElementSizeBytes : _maxElementSizeBytes;

    /// <summary>A state for reading the body of one element (a BlockGroup) as a stream of its children.</summary>
    internal static MkvReaderState ForFragment(long offset, long maxElementSizeBytes) => new()
    {
        _offset = offset,
        _isFragment = true,
        _maxElementSizeBytes = maxElementSizeBytes,
    };
}

/// <summary>An open master element: its ID, where it started and where it ends.</summary>
internal struct OpenElement
{
    public uint Id;
    public bool UnknownSize;
    public long Start;
    /// <summary>Its own end, or for an unknown size the end of the nearest ancestor with a known size (long.MaxValue if none).</summary>
    public long End;
}

[InlineArray(MkvConstants.MaxDepth)]
internal struct OpenElementStack
{
    private OpenElement _element0;
}
