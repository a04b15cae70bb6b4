using System.Buffers;
using System.IO.Pipelines;
using KvsInference.Matroska;

namespace KvsInference.LocalKvs.Storage;

/// <summary>
/// One PutMedia upload: reads the MKV as it arrives, cuts a fragment at every Cluster, writes each to disk as it
/// streams (never holding a whole fragment or upload in memory), and reports the KVS acknowledgements.
/// </summary>
/// <remarks>
/// Each stored fragment is self-contained: the upload's own EBML header, a Segment of unknown size, the raw Info
/// and Tracks elements of the Segment it came from, and the Cluster with its size written (Chromium's unknown-size
/// Clusters get a known size). Cluster children are copied byte for byte, so frames come back exactly as sent.
/// </remarks>
internal sealed partial class PutMediaIngest
{
    private static readonly byte[] SegmentStart = [.. EbmlWriter.Id(MkvElementIds.Segment), .. EbmlWriter.UnknownSize];
    private static readonly byte[] ClusterId = EbmlWriter.Id(MkvElementIds.Cluster);

    private readonly MediaStore _store;
    private readonly MediaStream _stream;
    private readonly MediaStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly FragmentTimecodeType _timecodeType;
    private readonly long _producerStartMs;
    private readonly List<PutMediaAck> _pending = [];

    private MkvReaderState _state;
    private ReadOnlySequence<byte> _buffer;
    private long _batchStart;

    // Raw capture of a byte range that may span several reads.
    private Stream? _captureTarget;
    private long _captureFrom;
    private string? _captureElement;

    private byte[]? _ebmlBytes;
    private byte[]? _infoBytes;
    private byte[]? _tracksBytes;
    private bool _inInfo;
    private ulong _timestampScaleNs = 1_000_000;
    private TrackDeclaration? _currentTrack;
    private List<TrackDeclaration> _segmentTracks = [];
    private List<TrackDeclaration>? _uploadTracks;
    private long? _previousTimecodeMs;

    private OpenFragment? _fragment;

    public PutMediaIngest(MediaStore store, MediaStream stream, FragmentTimecodeType timecodeType, DateTimeOffset? producerStart)
    {
        _store = store;
        _stream = stream;
        _options = store.Options;
        _time = store.Time;
        _timecodeType = timecodeType;
        _producerStartMs = producerStart?.ToUnixTimeMilliseconds() ?? 0;
        long cap = Math.Clamp(_options.MaxFragmentSizeBytes + 1, 1024, 1024L * 1024 * 1024);
        _state = new MkvReaderState(new MkvReaderOptions { MaxElementSizeBytes = cap });
    }

    /// <summary>Reads the upload to its end, sending acknowledgements through <paramref name="emit"/>; returns the ERROR ack if it failed.</summary>
    public async Task<PutMediaAck?> RunAsync(PipeReader input, Func<PutMediaAck, ValueTask> emit, CancellationToken cancellationToken)
    {
        using var readTimeout = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, readTimeout.Token);
        PutMediaAck? error = null;
        try
        {
            while (true)
            {
                readTimeout.CancelAfter(_options.PutMediaReadTimeout);
                ReadResult result = await input.ReadAsync(linked.Token).ConfigureAwait(false);
                readTimeout.CancelAfter(Timeout.InfiniteTimeSpan);
                SequencePosition consumed = Process(result.Buffer, result.IsCompleted);
                input.AdvanceTo(consumed, result.Buffer.End);
                await EmitPendingAsync(emit).ConfigureAwait(false);
                if (result.IsCompleted) break;
            }
        }
        catch (OperationCanceledException) when (readTimeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            error = Error(PutMediaErrorIds.StreamReadError, $"No bytes arrived for {_options.PutMediaReadTimeout.TotalSeconds:0.###} s; the upload was closed.");
        }
        catch (MkvFormatException e)
        {
            error = _fragment is not null && e.Message.Contains("MaxElementSizeBytes", StringComparison.Ordinal)
                ? Error(PutMediaErrorIds.MaxFragmentSizeReached, $"A block of the fragment is larger than the fragment limit of {_options.MaxFragmentSizeBytes} bytes. {e.Message}")
                : Error(PutMediaErrorIds.InvalidMkvData, "The upload is not valid MKV/WebM: " + e.Message);
        }
        catch (PutMediaException e)
        {
            error = new PutMediaAck(PutMediaAckEventType.Error, e.FragmentTimecodeMs ?? _fragment?.TimecodeMs, _fragment?.FragmentNumber, e.ErrorId, e.Message);
        }
        catch (Exception e) when (e is IOException or Microsoft.AspNetCore.Http.BadHttpRequestException)
        {
            error = Error(PutMediaErrorIds.StreamReadError, "Reading the upload failed: " + e.Message);
        }
        finally
        {
            AbortFragment();
        }

        if (error is not null)
        {
            // Acks already produced (earlier fragments PERSISTED in this read) go out before the error.
            _pending.Add(error);
            try
            {
                await EmitPendingAsync(emit).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The producer is gone; nothing persisted is affected.
            }
        }
        return error;
    }

    private PutMediaAck Error(int errorId, string message) =>
        new(PutMediaAckEventType.Error, _fragment?.TimecodeMs ?? _previousTimecodeMs, _fragment?.FragmentNumber, errorId, message);

    private async ValueTask EmitPendingAsync(Func<PutMediaAck, ValueTask> emit)
    {
        foreach (PutMediaAck ack in _pending) await emit(ack).ConfigureAwait(false);
        _pending.Clear();
    }

    private SequencePosition Process(ReadOnlySequence<byte> buffer, bool isFinalBlock)
    {
        _buffer = buffer;
        _batchStart = _state.BytesConsumed;
        var reader = new MkvReader(buffer, isFinalBlock, _state);
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case MkvTokenType.StartElement:
                    OnStart(ref reader);
                    break;
                case MkvTokenType.EndElement:
                    OnEnd(ref reader);
                    break;
                case MkvTokenType.Value:
                    OnValue(ref reader);
                    break;
            }
        }
        FlushCapture(reader.AbsolutePosition);
        if (_fragment is not null)
        {
            CheckFragmentSize(reader.AbsolutePosition);
            PublishLive(_fragment);
        }
        else CheckPendingHeaderBytes(buffer.Slice(reader.Position), reader.AbsolutePosition);
        _state = reader.CurrentState;
        return reader.Position;
    }

    /// <summary>
    /// Outside a Cluster, the bytes the reader could not consume yet are the start of one element it holds whole
    /// (a value such as a CodecPrivate or a tag); the pipe keeps them until it ends, so they get the header limit.
    /// </summary>
    private void CheckPendingHeaderBytes(ReadOnlySequence<byte> pending, long offset)
    {
        if (pending.Length <= _options.MaxHeaderElementSizeBytes) return;
        Span<byte> head = stackalloc byte[4];
        int length = (int)Math.Min(head.Length, pending.Length);
        pending.Slice(0, length).CopyTo(head);
        uint id = 0;
        if (TryReadVint(head.Slice(0, length), out _, out int idLength, keepMarker: true))
        {
            for (int i = 0; i < idLength; i++) id = (id << 8) | head[i];
        }
        throw HeaderElementTooLarge($"element 0x{id:X}", offset);
    }

    private PutMediaException HeaderElementTooLarge(string element, long offset) =>
        new(PutMediaErrorIds.InvalidMkvData,
            $"The {element} at offset {offset} is larger than the limit of {_options.MaxHeaderElementSizeBytes} bytes for an element outside a Cluster " +
            "(MediaStoreOptions.MaxHeaderElementSizeBytes); the upload was refused.");

    private void OnStart(ref MkvReader reader)
    {
        switch (reader.ElementId)
        {
            case MkvElementIds.Ebml:
                BeginHeaderCapture("EBML header", ref reader);
                break;
            case MkvElementIds.Segment:
                _infoBytes = null;
                _tracksBytes = null;
                _timestampScaleNs = 1_000_000;
                _segmentTracks = [];
                break;
            case MkvElementIds.Info:
                _inInfo = true;
                BeginHeaderCapture("Info", ref reader);
                break;
            case MkvElementIds.Tracks:
                _segmentTracks = [];
                BeginHeaderCapture("Tracks", ref reader);
                break;
            case MkvElementIds.TrackEntry:
                _currentTrack = new TrackDeclaration();
                break;
            case MkvElementIds.Cluster:
                StartFragment(reader.DataOffset, reader.ElementOffset);
                break;
        }
    }

    private void OnEnd(ref MkvReader reader)
    {
        switch (reader.ElementId)
        {
            case MkvElementIds.Ebml:
                _ebmlBytes = EndCapture(reader.AbsolutePosition);
                break;
            case MkvElementIds.Info:
                _inInfo = false;
                _infoBytes = EndCapture(reader.AbsolutePosition);
                break;
            case MkvElementIds.TrackEntry:
                if (_currentTrack is not null) _segmentTracks.Add(_currentTrack);
                _currentTrack = null;
                // Checked per entry, so a Tracks element of many tiny entries never builds a long list.
                CheckTrackCount();
                break;
            case MkvElementIds.Tracks:
                _tracksBytes = EndCapture(reader.AbsolutePosition);
                CheckTracks();
                break;
            case MkvElementIds.Cluster:
                FlushCapture(reader.AbsolutePosition);
                CompleteFragment();
                break;
        }
    }

    private void OnValue(ref MkvReader reader)
    {
        uint id = reader.ElementId;
        if (_fragment is { } fragment)
        {
            switch (id)
            {
                case MkvElementIds.Timestamp:
                    OnClusterTimestamp(fragment, reader.GetUInt64());
                    break;
                case MkvElementIds.SimpleBlock:
                case MkvElementIds.BlockGroup:
                    OnBlock(fragment, ref reader);
                    break;
            }
            CheckFragmentSize(reader.AbsolutePosition);
            return;
        }
        if (_inInfo && id == MkvElementIds.TimestampScale)
        {
            ulong scale = reader.GetUInt64();
            if (scale is 0 or > 1_000_000_000) throw new PutMediaException(PutMediaErrorIds.InvalidMkvData, $"TimestampScale {scale} is out of range (1..1e9 ns).");
            _timestampScaleNs = scale;
            return;
        }
        if (_currentTrack is { } track)
        {
            switch (id)
            {
                case MkvElementIds.TrackNumber: track.Number = reader.GetUInt64(); break;
                case MkvElementIds.CodecId: track.CodecId = reader.GetString(); break;
                case MkvElementIds.CodecPrivate: track.CodecPrivate = reader.GetBytes(); break;
            }
        }
    }

    private void CheckTracks()
    {
        if (_segmentTracks.Count == 0) throw new PutMediaException(PutMediaErrorIds.InvalidMkvData, "The Tracks element declares no track.");
        CheckTrackCount();
        if (_uploadTracks is null)
        {
            _uploadTracks = _segmentTracks;
            return;
        }
        // A producer may repeat the EBML header and Tracks (the producer SDK does per session); the codec must not change within one upload.
        foreach (TrackDeclaration track in _segmentTracks)
        {
            TrackDeclaration? before = _uploadTracks.Find(t => t.Number == track.Number);
            if (before is null)
            {
                throw new PutMediaException(PutMediaErrorIds.TrackNumberMismatch, $"Track {track.Number} appeared mid-upload; the upload started with tracks {string.Join(", ", _uploadTracks.Select(t => t.Number))}.");
            }
            if (before.CodecId != track.CodecId)
            {
                throw new PutMediaException(PutMediaErrorIds.InvalidMkvData, $"The codec of track {track.Number} changed mid-upload from {before.CodecId} to {track.CodecId}.");
            }
            if (!(before.CodecPrivate ?? []).AsSpan().SequenceEqual(track.CodecPrivate ?? []))
            {
                throw new PutMediaException(PutMediaErrorIds.InvalidMkvData,
                    $"The codec private data of track {track.Number} ({track.CodecId}) changed mid-upload ({before.CodecPrivate?.Length ?? 0} -> {track.CodecPrivate?.Length ?? 0} bytes); start a new PutMedia for a new codec configuration.");
            }
        }
        _uploadTracks = _segmentTracks;
    }

    private void CheckTrackCount()
    {
        if (_segmentTracks.Count > MediaStoreConstants.MaxTracks)
        {
            throw new PutMediaException(PutMediaErrorIds.MoreThanAllowedTracksFound,
                $"The Tracks element declares {_segmentTracks.Count} tracks; at most {MediaStoreConstants.MaxTracks} are allowed.");
        }
    }

    private static bool TryFindBlock(ref ReadOnlySpan<byte> span)
    {
        while (span.Length > 0)
        {
            if (!TryReadVint(span, out _, out int idLength, keepMarker: true)) return false;
            uint id = 0;
            for (int i = 0; i < idLength; i++) id = (id << 8) | span[i];
            if (!TryReadVint(span.Slice(idLength), out ulong size, out int sizeLength)) return false;
            int header = idLength + sizeLength;
            if (id == 0xA1)
            {
                span = span.Slice(header);
                return true;
            }
            if (size > (ulong)(span.Length - header)) return false;
            span = span.Slice(header + (int)size);
        }
        return false;
    }

    private static bool TryReadVint(ReadOnlySpan<byte> span, out ulong value, out int length, bool keepMarker = false)
    {
        value = 0;
        length = 0;
        if (span.IsEmpty || span[0] == 0) return false;
        length = System.Numerics.BitOperations.LeadingZeroCount((uint)span[0]) - 23;
        if (length > 8 || span.Length < length) return false;
        value = keepMarker ? span[0] : (ulong)(span[0] & (0xFF >> length));
        for (int i = 1; i < length; i++) value = (value << 8) | span[i];
        return true;
    }

    private sealed class TrackDeclaration
    {
        public ulong Number;
        public string CodecId = "";
        public byte[]? CodecPrivate;
    }
}
