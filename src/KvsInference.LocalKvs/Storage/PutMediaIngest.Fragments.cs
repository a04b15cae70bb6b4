using System.Buffers;
using System.Buffers.Binary;
using KvsInference.Matroska;

namespace KvsInference.LocalKvs.Storage;

// The fragment lifecycle of an ingest: a Cluster opens a fragment file, its blocks are checked and copied, and the
// fragment is completed (indexed and acknowledged) or aborted; header elements are captured on the way.
internal sealed partial class PutMediaIngest
{
    private void StartFragment(long dataOffset, long elementOffset)
    {
        CheckNotNested("Cluster", elementOffset);
        if (_ebmlBytes is null || _infoBytes is null || _tracksBytes is null)
        {
            throw new PutMediaException(PutMediaErrorIds.InvalidMkvData,
                $"A Cluster at offset {elementOffset} comes before the Segment's {(_infoBytes is null ? "Info" : "Tracks")} element.");
        }
        string path = Path.Combine(_stream.FragmentsDirectory, Guid.NewGuid().ToString("N") + ".tmp");
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 64 * 1024);
        file.Write(_ebmlBytes);
        file.Write(SegmentStart);
        file.Write(_infoBytes);
        file.Write(_tracksBytes);
        long clusterOffset = file.Position;
        file.Write(ClusterId);
        // An 8-byte size, patched when the Cluster ends (the upload's may be unknown).
        file.Write([0x01, 0, 0, 0, 0, 0, 0, 0]);
        _fragment = new OpenFragment(path, file, clusterOffset, dataOffset, _store.NextServerTimestamp(_stream));
        BeginCapture(file, dataOffset, "Cluster");
    }

    private void OnClusterTimestamp(OpenFragment fragment, ulong timestamp)
    {
        if (fragment.TimestampNs is not null) return;
        if (timestamp > long.MaxValue / 1_000_000_000UL)
        {
            throw new PutMediaException(PutMediaErrorIds.InvalidProducerTimestamp, $"The Cluster timestamp {timestamp} is out of range.");
        }
        long timestampNs = (long)(timestamp * _timestampScaleNs);
        long timecodeMs = timestampNs / 1_000_000;
        fragment.TimestampNs = timestampNs;
        fragment.TimecodeMs = timecodeMs;
        if (_previousTimecodeMs is { } previous && timecodeMs < previous)
        {
            throw new PutMediaException(PutMediaErrorIds.FragmentTimecodeLesserThanPrevious,
                $"The fragment timecode {timecodeMs} ms is lower than the previous fragment's {previous} ms.", timecodeMs);
        }
        long producerMs = (_timecodeType == FragmentTimecodeType.Relative ? _producerStartMs : 0) + timecodeMs;
        if (producerMs < 0 || producerMs > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            throw new PutMediaException(PutMediaErrorIds.InvalidProducerTimestamp, $"The producer timestamp {producerMs} ms is out of range.", timecodeMs);
        }
        fragment.ProducerTimestamp = DateTimeOffset.FromUnixTimeMilliseconds(producerMs);
        fragment.FragmentNumber = _store.NextFragmentNumber(_stream);
        _pending.Add(new PutMediaAck(PutMediaAckEventType.Buffering, timecodeMs, fragment.FragmentNumber));
    }

    private void OnBlock(OpenFragment fragment, ref MkvReader reader)
    {
        if (fragment.TimestampNs is not { } clusterNs)
        {
            throw new PutMediaException(PutMediaErrorIds.InvalidMkvData, $"A block at offset {reader.ElementOffset} comes before the Cluster Timestamp.");
        }
        Span<byte> head = stackalloc byte[256];
        int length;
        if (reader.HasValueSequence)
        {
            ReadOnlySequence<byte> value = reader.ValueSequence;
            length = (int)Math.Min(value.Length, head.Length);
            value.Slice(0, length).CopyTo(head);
        }
        else
        {
            length = Math.Min(reader.ValueSpan.Length, head.Length);
            reader.ValueSpan.Slice(0, length).CopyTo(head);
        }
        ReadOnlySpan<byte> block = head.Slice(0, length);
        if (reader.ElementId == MkvElementIds.BlockGroup && !TryFindBlock(ref block))
        {
            throw new PutMediaException(PutMediaErrorIds.InvalidMkvData, $"The BlockGroup at offset {reader.ElementOffset} holds no Block in its first {head.Length} bytes.");
        }
        if (!TryReadVint(block, out ulong trackNumber, out int vintLength) || block.Length < vintLength + 3)
        {
            throw new PutMediaException(PutMediaErrorIds.InvalidMkvData, $"The block at offset {reader.ElementOffset} has no valid header.");
        }
        if (_uploadTracks is null || !_uploadTracks.Exists(t => t.Number == trackNumber))
        {
            throw new PutMediaException(PutMediaErrorIds.TrackNumberMismatch, $"The block at offset {reader.ElementOffset} is for track {trackNumber}, which the Tracks element does not declare.");
        }
        short relative = BinaryPrimitives.ReadInt16BigEndian(block.Slice(vintLength, 2));
        long frameNs = clusterNs + relative * (long)_timestampScaleNs;
        fragment.AddFrame(frameNs);
        if (fragment.MaxFrameNs - clusterNs > _options.MaxFragmentDuration.Ticks * 100)
        {
            throw new PutMediaException(PutMediaErrorIds.MaxFragmentDurationReached,
                $"The fragment lasts more than the limit of {_options.MaxFragmentDuration.TotalSeconds:0.###} s (a frame at +{(fragment.MaxFrameNs - clusterNs) / 1_000_000} ms).");
        }
    }

    /// <summary>
    /// Hands the blocks read so far to GetMedia readers at the live tail (as KVS does), once the fragment has its number
    /// and timestamps: the file is flushed to the OS so that readers see every byte up to its position.
    /// </summary>
    private void PublishLive(OpenFragment fragment)
    {
        if (fragment.FragmentNumber is not { } number || fragment.ProducerTimestamp is not { } producer) return;
        if (fragment.LiveRefused) return;
        fragment.File.Flush();
        long length = fragment.File.Position;
        fragment.Live = _store.PublishLive(_stream, fragment.Live,
            () => new LiveFragment(number, producer, fragment.ServerTimestamp, fragment.TempPath, fragment.ClusterOffset), length);
        fragment.LiveRefused = fragment.Live is null;
    }

    private void CheckFragmentSize(long absolutePosition)
    {
        if (_fragment is { } fragment && absolutePosition - fragment.DataOffset > _options.MaxFragmentSizeBytes)
        {
            throw new PutMediaException(PutMediaErrorIds.MaxFragmentSizeReached,
                $"The fragment (Cluster at offset {fragment.DataOffset}) is larger than the limit of {_options.MaxFragmentSizeBytes} bytes.");
        }
    }

    private void CompleteFragment()
    {
        OpenFragment fragment = _fragment!;
        _captureTarget = null;
        if (fragment.FragmentNumber is null || fragment.ProducerTimestamp is not { } producer)
        {
            throw new PutMediaException(PutMediaErrorIds.InvalidMkvData, $"The Cluster at offset {fragment.DataOffset} has no Timestamp.");
        }
        long bodyLength = fragment.File.Position - fragment.ClusterOffset - 12;
        fragment.File.Position = fragment.ClusterOffset + 4;
        Span<byte> size = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(size, bodyLength);
        size[0] = 0x01;
        fragment.File.Write(size);
        long fileSize = fragment.File.Length;
        _pending.Add(new PutMediaAck(PutMediaAckEventType.Received, fragment.TimecodeMs, fragment.FragmentNumber));
        try
        {
            fragment.File.Flush(flushToDisk: true);
            fragment.File.Dispose();
            var stored = new StoredFragment(fragment.FragmentNumber, producer, fragment.ServerTimestamp,
                TimeSpan.FromTicks(fragment.DurationNs / 100), fileSize, fragment.ClusterOffset, fragment.TimecodeMs);
            _store.CommitFragment(_stream, stored, fragment.TempPath);
        }
        catch (IOException e)
        {
            throw new PutMediaException(PutMediaErrorIds.ArchivalError, "Storing the fragment failed: " + e.Message, fragment.TimecodeMs);
        }
        _fragment = null;
        _previousTimecodeMs = fragment.TimecodeMs;
        _pending.Add(new PutMediaAck(PutMediaAckEventType.Persisted, fragment.TimecodeMs, fragment.FragmentNumber));
    }

    private void AbortFragment()
    {
        if (_fragment is not { } fragment) return;
        _fragment = null;
        _captureTarget = null;
        if (fragment.Live is { } live) _store.AbortLive(_stream, live);
        fragment.File.Dispose();
        try
        {
            File.Delete(fragment.TempPath);
        }
        catch (IOException)
        {
            // Removed at the next load.
        }
    }

    /// <summary>Starts copying a header element into memory; its declared size must be within the header limit.</summary>
    private void BeginHeaderCapture(string element, ref MkvReader reader)
    {
        long total = reader.DataOffset - reader.ElementOffset + reader.ElementSize;
        CheckNotNested(element, reader.ElementOffset);
        if (reader.ElementSize < 0 || total > _options.MaxHeaderElementSizeBytes) throw HeaderElementTooLarge(element + " element", reader.ElementOffset);
        BeginCapture(new MemoryStream(), reader.ElementOffset, element);
    }

    /// <summary>
    /// The EBML header, Info, Tracks and each Cluster are copied as they are read, one at a time; a damaged size can put
    /// one inside another (Tracks inside Info), which no producer sends, so the upload is refused.
    /// </summary>
    private void CheckNotNested(string element, long offset)
    {
        if (_captureTarget is null) return;
        throw new PutMediaException(PutMediaErrorIds.InvalidMkvData,
            $"The {element} element at offset {offset} is inside the {_captureElement} element (check that element's size); " +
            "the EBML header, Info, Tracks and Clusters may not contain one another.", _fragment?.TimecodeMs);
    }

    private void BeginCapture(Stream target, long from, string element)
    {
        _captureTarget = target;
        _captureFrom = from;
        _captureElement = element;
    }

    private byte[] EndCapture(long upTo)
    {
        FlushCapture(upTo);
        var memory = (MemoryStream)_captureTarget!;
        _captureTarget = null;
        return memory.ToArray();
    }

    private void FlushCapture(long upTo)
    {
        if (_captureTarget is null || upTo <= _captureFrom) return;
        foreach (ReadOnlyMemory<byte> segment in _buffer.Slice(_captureFrom - _batchStart, upTo - _captureFrom))
        {
            _captureTarget.Write(segment.Span);
        }
        _captureFrom = upTo;
    }

    /// <summary>Moves <paramref name="span"/> to the body of the Block (0xA1) child of a BlockGroup body.</summary>

    private sealed class OpenFragment(string tempPath, FileStream file, long clusterOffset, long dataOffset, DateTimeOffset serverTimestamp)
    {
        public string TempPath { get; } = tempPath;
        public FileStream File { get; } = file;
        public long ClusterOffset { get; } = clusterOffset;
        public long DataOffset { get; } = dataOffset;
        public DateTimeOffset ServerTimestamp { get; } = serverTimestamp;
        public long? TimestampNs { get; set; }
        public long TimecodeMs { get; set; }
        public DateTimeOffset? ProducerTimestamp { get; set; }
        public string? FragmentNumber { get; set; }

        /// <summary>This fragment as GetMedia readers see it while it is uploaded; null until its first publication.</summary>
        public LiveFragment? Live { get; set; }

        /// <summary>Another upload's fragment was live when this one started: this one is read once stored.</summary>
        public bool LiveRefused { get; set; }
        public long MinFrameNs { get; private set; } = long.MaxValue;
        public long MaxFrameNs { get; private set; } = long.MinValue;
        private long _lastDeltaNs;
        private long _lastFrameNs = long.MinValue;

        public void AddFrame(long frameNs)
        {
            if (_lastFrameNs != long.MinValue && frameNs > _lastFrameNs) _lastDeltaNs = frameNs - _lastFrameNs;
            _lastFrameNs = frameNs;
            MinFrameNs = Math.Min(MinFrameNs, frameNs);
            MaxFrameNs = Math.Max(MaxFrameNs, frameNs);
        }

        /// <summary>From the first frame to the end of the last one; the last frame lasts as long as the gap before it.</summary>
        public long DurationNs => MinFrameNs == long.MaxValue ? 0 : MaxFrameNs - MinFrameNs + _lastDeltaNs;
    }
}
