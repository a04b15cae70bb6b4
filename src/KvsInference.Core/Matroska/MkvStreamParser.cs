using System.Buffers;
using System.IO.Pipelines;

namespace KvsInference.Matroska;

/// <summary>
/// Reads a Matroska/WebM stream (a file, an HTTP body, KVS GetMedia output) and reports its segments, tracks,
/// tags, KVS fragment metadata and frames to an <see cref="IMkvHandler"/>, without allocating per frame.
/// </summary>
/// <remarks>
/// <para>
/// Feed it bytes as they arrive with <see cref="Feed{THandler}(ReadOnlySequence{byte}, bool, THandler)"/> and advance
/// the input to the returned position, or let <see cref="ParseAsync{THandler}(PipeReader, THandler, CancellationToken)"/>
/// drive a PipeReader (or a Stream). The result does not depend on how the bytes are split.
/// </para>
/// <para>
/// After a <see cref="MkvFormatException"/> (or an exception thrown by the handler) the parser is faulted:
/// every frame before the error was delivered, and further calls throw <see cref="InvalidOperationException"/>.
/// A struct handler is passed by value; keep its state in reference fields.
/// </para>
/// </remarks>
public sealed partial class MkvStreamParser
{
    private readonly MkvReaderOptions _options;
    private MkvReaderState _state;
    private bool _faulted;
    private bool _completed;

    private bool _inEbmlHeader;
    private long _ebmlOffset;
    private string _docType = "matroska";
    private ulong _docTypeVersion;
    private ulong _ebmlReadVersion = 1;
    private ulong _ebmlMaxIdLength = 4;
    private ulong _ebmlMaxSizeLength = 8;

    private int _segmentIndex = -1;
    private bool _inInfo;
    private ulong _timestampScaleNs = MkvConstants.DefaultTimestampScaleNs;
    private double _duration = -1;
    private MkvTrackInfo? _currentTrack;
    private long _currentTrackOffset;
    private readonly List<MkvTrackInfo> _tracks = [];
    private MkvTrackInfo? _lastTrack;
    private long _clusterTimestamp;

    private readonly List<TagBuilder> _tagStack = [];
    private MkvFragmentMetadata? _fragment;
    private readonly IMkvFrameTiming? _frameTiming;
    private bool _tagsHadFragmentTag;
    private bool _tagsHadEndOfFragmentTag;

    /// <summary>Creates a parser at the start of a stream.</summary>
    /// <param name="options">The options; null for the defaults.</param>
    /// <param name="frameTiming">Tells each frame's length from its codec, to time the frames of laced blocks
    /// (<c>KvsInference.Audio.AudioFrameTiming.Instance</c> for audio); null to time laces by DefaultDuration or BlockDuration only.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are out of range.</exception>
    public MkvStreamParser(MkvReaderOptions? options = null, IMkvFrameTiming? frameTiming = null)
    {
        _frameTiming = frameTiming;
        _options = options ?? new MkvReaderOptions();
        _state = new MkvReaderState(_options);
    }

    /// <summary>Gets the number of bytes consumed since the start of the stream.</summary>
    /// <value>An absolute offset: the next byte the parser expects.</value>
    public long BytesConsumed => _state.BytesConsumed;

    /// <summary>Gets the tracks of the current Segment.</summary>
    /// <value>Tracks in the order of their TrackEntry; cleared at each new Segment.</value>
    public IReadOnlyList<MkvTrackInfo> Tracks => _tracks;

    /// <summary>Gets the TimestampScale of the current Segment.</summary>
    /// <value>Nanoseconds per timestamp unit; 1 000 000 by default.</value>
    public ulong TimestampScaleNs => _timestampScaleNs;

    /// <summary>Gets the number of Segments started so far.</summary>
    /// <value>0 before the first Segment; KVS GetMedia sends one per fragment.</value>
    public int SegmentCount => _segmentIndex + 1;

    /// <summary>Parses the next bytes of the stream.</summary>
    /// <typeparam name="THandler">The handler type (a class, or a struct holding references).</typeparam>
    /// <param name="data">The bytes not consumed before plus any new bytes.</param>
    /// <param name="isFinalBlock">True when the stream ends with these bytes.</param>
    /// <param name="handler">Receives the events.</param>
    /// <returns>The position in <paramref name="data"/> up to which bytes were consumed; pass the rest again with more bytes.</returns>
    /// <exception cref="MkvFormatException">The stream is not valid Matroska (or truncated, at the final block).</exception>
    /// <exception cref="InvalidOperationException">The parser faulted or completed before.</exception>
    public SequencePosition Feed<THandler>(ReadOnlySequence<byte> data, bool isFinalBlock, THandler handler)
        where THandler : IMkvHandler
    {
        BeginFeed(isFinalBlock);
        var reader = new MkvReader(data, isFinalBlock, _state);
        Run(ref reader, handler);
        return reader.Position;
    }

    /// <summary>Parses the next bytes of the stream from a contiguous buffer.</summary>
    /// <typeparam name="THandler">The handler type.</typeparam>
    /// <param name="data">The bytes not consumed before plus any new bytes.</param>
    /// <param name="isFinalBlock">True when the stream ends with these bytes.</param>
    /// <param name="handler">Receives the events.</param>
    /// <returns>The number of bytes of <paramref name="data"/> consumed; pass the rest again with more bytes.</returns>
    /// <exception cref="MkvFormatException">The stream is not valid Matroska (or truncated, at the final block).</exception>
    /// <exception cref="InvalidOperationException">The parser faulted or completed before.</exception>
    public int Feed<THandler>(ReadOnlySpan<byte> data, bool isFinalBlock, THandler handler)
        where THandler : IMkvHandler
    {
        BeginFeed(isFinalBlock);
        var reader = new MkvReader(data, isFinalBlock, _state);
        Run(ref reader, handler);
        return (int)reader.BytesConsumed;
    }

    /// <summary>Reads a PipeReader to its end, advancing it as bytes are consumed. The caller completes the reader.</summary>
    /// <typeparam name="THandler">The handler type.</typeparam>
    /// <param name="input">The input.</param>
    /// <param name="handler">Receives the events.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <returns>A task that completes at the end of the stream.</returns>
    /// <exception cref="MkvFormatException">The stream is not valid Matroska or is truncated.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public async ValueTask ParseAsync<THandler>(PipeReader input, THandler handler, CancellationToken cancellationToken = default)
        where THandler : IMkvHandler
    {
        ArgumentNullException.ThrowIfNull(input);
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            SequencePosition consumed = Feed(buffer, result.IsCompleted, handler);
            // Everything was examined: the next ReadAsync waits for new bytes instead of spinning.
            input.AdvanceTo(consumed, buffer.End);
            if (result.IsCompleted) return;
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Reads a Stream to its end through a PipeReader with large buffers (<see cref="MkvReaderOptions.StreamBufferSizeBytes"/>).</summary>
    /// <typeparam name="THandler">The handler type.</typeparam>
    /// <param name="input">The input; left open. It is read forward only: no Position, Length or Seek.</param>
    /// <param name="handler">Receives the events.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <returns>A task that completes at the end of the stream.</returns>
    /// <exception cref="MkvFormatException">The stream is not valid Matroska or is truncated.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public async ValueTask ParseAsync<THandler>(Stream input, THandler handler, CancellationToken cancellationToken = default)
        where THandler : IMkvHandler
    {
        ArgumentNullException.ThrowIfNull(input);
        int bufferSize = _options.StreamBufferSizeBytes;
        var pipe = PipeReader.Create(input, new StreamPipeReaderOptions(bufferSize: bufferSize, minimumReadSize: bufferSize / 2, leaveOpen: true));
        try
        {
            await ParseAsync(pipe, handler, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await pipe.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads a Stream to its end on the calling thread, in pieces of <see cref="MkvReaderOptions.StreamBufferSizeBytes"/>.
    /// For command-line tools reading a file or standard input: no PipeReader, no thread pool, no async state machines,
    /// which a short-lived process would otherwise pay for in start-up and JIT time.
    /// </summary>
    /// <typeparam name="THandler">The handler type.</typeparam>
    /// <param name="input">The input; left open. It is read forward only: no Position, Length or Seek.</param>
    /// <param name="handler">Receives the events.</param>
    /// <exception cref="MkvFormatException">The stream is not valid Matroska or is truncated.</exception>
    /// <exception cref="IOException">Reading the input failed.</exception>
    public void Parse<THandler>(Stream input, THandler handler)
        where THandler : IMkvHandler
    {
        ArgumentNullException.ThrowIfNull(input);
        byte[] buffer = new byte[_options.StreamBufferSizeBytes];
        int start = 0, end = 0;
        while (true)
        {
            if (end == buffer.Length)
            {
                if (start > 0)
                {
                    // Keep only the unconsumed tail (a block cut by the previous read) and read after it.
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    end -= start;
                    start = 0;
                }
                else
                {
                    // One element larger than the buffer must be held whole; the reader's MaxElementSizeBytes caps it,
                    // so this growth is bounded.
                    Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, Array.MaxLength));
                }
            }
            int read = input.Read(buffer, end, buffer.Length - end);
            end += read;
            start += Feed(buffer.AsSpan(start, end - start), isFinalBlock: read == 0, handler);
            if (read == 0) return;
        }
    }

    private void BeginFeed(bool isFinalBlock)
    {
        if (_faulted) ThrowHelper.ThrowInvalidOperationException_ParserFaulted();
        if (_completed) ThrowHelper.ThrowInvalidOperationException_ParserCompleted();
        _completed = isFinalBlock;
    }

    private void Run<THandler>(ref MkvReader reader, THandler handler)
        where THandler : IMkvHandler
    {
        // Faulted unless the loop finishes: an exception (ours or the handler's) leaves the state half-applied.
        _faulted = true;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case MkvTokenType.Value:
                    if (reader.ElementId == MkvElementIds.SimpleBlock)
                    {
                        if (!reader.HasValueSequence)
                            ParseBlock(reader.ValueSpan, default, false, reader.ElementOffset, true, -1, false, 0, handler);
                        else
                            ParseBlock(default, reader.ValueSequence, true, reader.ElementOffset, true, -1, false, 0, handler);
                    }
                    else
                    {
                        OnValue(ref reader, handler);
                    }
                    break;
                case MkvTokenType.StartElement:
                    OnStart(ref reader, handler);
                    break;
                case MkvTokenType.EndElement:
                    OnEnd(ref reader, handler);
                    break;
            }
        }
        _state = reader.CurrentState;
        _faulted = false;
    }

    private void OnStart<THandler>(ref MkvReader reader, THandler handler)
        where THandler : IMkvHandler
    {
        switch (reader.ElementId)
        {
            case MkvElementIds.Ebml:
                _inEbmlHeader = true;
                _ebmlOffset = reader.ElementOffset;
                _docType = "matroska";
                _docTypeVersion = 1;
                _ebmlReadVersion = 1;
                _ebmlMaxIdLength = 4;
                _ebmlMaxSizeLength = 8;
                break;
            case MkvElementIds.Segment:
                _segmentIndex++;
                _tracks.Clear();
                _lastTrack = null;
                _timestampScaleNs = MkvConstants.DefaultTimestampScaleNs;
                _duration = -1;
                _clusterTimestamp = 0;
                _fragment = null;
                _tagStack.Clear();
                handler.OnSegmentStart(new MkvSegmentStart(_docType, _docTypeVersion, reader.ElementOffset, _segmentIndex, reader.ElementSize < 0));
                break;
            case MkvElementIds.Info:
                _inInfo = true;
                break;
            case MkvElementIds.TrackEntry:
                _currentTrack = new MkvTrackInfo();
                _currentTrackOffset = reader.ElementOffset;
                break;
            case MkvElementIds.Cluster:
                _clusterTimestamp = 0;
                break;
            case MkvElementIds.Tags:
                _tagsHadFragmentTag = false;
                _tagsHadEndOfFragmentTag = false;
                break;
            case MkvElementIds.SimpleTag:
                _tagStack.Add(new TagBuilder());
                break;
        }
    }

    private void OnEnd<THandler>(ref MkvReader reader, THandler handler)
        where THandler : IMkvHandler
    {
        switch (reader.ElementId)
        {
            case MkvElementIds.Ebml:
                _inEbmlHeader = false;
                if (_docType != "matroska" && _docType != "webm") ThrowHelper.ThrowMkvFormatException_UnsupportedDocType(_ebmlOffset, _docType);
                if (_ebmlReadVersion != 1) ThrowHelper.ThrowMkvFormatException_UnsupportedEbml(_ebmlOffset, $"EBMLReadVersion {_ebmlReadVersion}, expected 1");
                if (_ebmlMaxIdLength > 4) ThrowHelper.ThrowMkvFormatException_UnsupportedEbml(_ebmlOffset, $"EBMLMaxIDLength {_ebmlMaxIdLength}, expected at most 4");
                if (_ebmlMaxSizeLength > 8) ThrowHelper.ThrowMkvFormatException_UnsupportedEbml(_ebmlOffset, $"EBMLMaxSizeLength {_ebmlMaxSizeLength}, expected at most 8");
                break;
            case MkvElementIds.Segment:
                handler.OnSegmentEnd();
                break;
            case MkvElementIds.Info:
                _inInfo = false;
                handler.OnSegmentInfo(new MkvSegmentInfo(_timestampScaleNs,
                    _duration >= 0 && _duration * _timestampScaleNs < long.MaxValue ? (long)(_duration * _timestampScaleNs) : -1));
                break;
            case MkvElementIds.TrackEntry:
                EndTrackEntry(handler);
                break;
            case MkvElementIds.SimpleTag:
                EndSimpleTag(handler);
                break;
            case MkvElementIds.Tags:
                if (_tagsHadFragmentTag && _fragment is not null)
                {
                    MkvFragmentMetadata metadata = _fragment.Clone();
                    metadata.IsEndOfFragment = _tagsHadEndOfFragmentTag;
                    handler.OnFragmentMetadata(metadata);
                }
                _tagsHadFragmentTag = false;
                _tagsHadEndOfFragmentTag = false;
                break;
        }
    }

    private void OnValue<THandler>(ref MkvReader reader, THandler handler)
        where THandler : IMkvHandler
    {
        uint id = reader.ElementId;
        switch (id)
        {
            case MkvElementIds.Timestamp:
                _clusterTimestamp = (long)Math.Min(reader.GetUInt64(), long.MaxValue / 2);
                return;
            case MkvElementIds.BlockGroup:
                OnBlockGroup(ref reader, handler);
                return;
        }

        if (_inEbmlHeader)
        {
            switch (id)
            {
                case MkvElementIds.DocType: _docType = reader.GetString(); break;
                case MkvElementIds.DocTypeVersion: _docTypeVersion = reader.GetUInt64(); break;
                case MkvElementIds.EbmlReadVersion: _ebmlReadVersion = reader.GetUInt64(); break;
                case MkvElementIds.EbmlMaxIdLength: _ebmlMaxIdLength = reader.GetUInt64(); break;
                case MkvElementIds.EbmlMaxSizeLength: _ebmlMaxSizeLength = reader.GetUInt64(); break;
            }
            return;
        }

        if (_inInfo)
        {
            switch (id)
            {
                case MkvElementIds.TimestampScale:
                    ulong scale = reader.GetUInt64();
                    // 0 is not a valid scale; above 1 s per unit timestamps would overflow quickly: both are corrupt files.
                    if (scale == 0 || scale > 1_000_000_000) ThrowHelper.ThrowMkvFormatException_BadValueLength(reader.ElementOffset, id, reader.ElementSize, "a TimestampScale between 1 and 1e9 ns");
                    _timestampScaleNs = scale;
                    break;
                case MkvElementIds.Duration:
                    _duration = reader.GetDouble();
                    break;
            }
            return;
        }

        if (_currentTrack is { } track)
        {
            SetTrackValue(ref reader, track);
            return;
        }

        if (_tagStack.Count > 0)
        {
            TagBuilder builder = _tagStack[^1];
            switch (id)
            {
                case MkvElementIds.TagName: builder.Name = reader.GetString(); break;
                case MkvElementIds.TagString: builder.StringValue = reader.GetString(); break;
                case MkvElementIds.TagBinary: builder.BinaryValue = reader.GetBytes(); break;
            }
        }
    }
}
