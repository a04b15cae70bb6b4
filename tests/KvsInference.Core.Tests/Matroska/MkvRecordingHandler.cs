using System.Buffers;
using System.Globalization;
using KvsInference.Matroska;
using KvsInference.Audio;

namespace KvsInference.Tests.Matroska;

/// <summary>Records every parser event as text (frames with a payload checksum) so runs can be compared.</summary>
internal sealed class MkvRecordingHandler : IMkvHandler
{
    public List<string> Events { get; } = [];
    public List<RecordedFrame> Frames { get; } = [];
    public List<MkvTrackInfo> Tracks { get; } = [];
    public List<MkvFragmentMetadata> Fragments { get; } = [];
    public List<MkvSegmentStart> Segments { get; } = [];
    public int SegmentEnds { get; private set; }

    public void OnSegmentStart(in MkvSegmentStart segment)
    {
        Segments.Add(segment);
        Events.Add($"segment {segment.DocType} {segment.Offset} {segment.Index} {segment.HasUnknownSize}");
    }

    public void OnSegmentInfo(in MkvSegmentInfo info) => Events.Add($"info {info.TimestampScaleNs} {info.DurationNs}");

    public void OnTrack(MkvTrackInfo track)
    {
        Tracks.Add(track);
        Events.Add($"track {track.Number} {track.Type} {track.CodecId} {track.CodecPrivate?.Length} {track.SamplingFrequency} {track.Channels}");
    }

    public void OnFrame(in MkvFrame frame)
    {
        byte[] payload = new byte[frame.PayloadLength];
        frame.CopyPayloadTo(payload);
        if (frame.IsPayloadContiguous) Assert.True(frame.PayloadSpan.SequenceEqual(payload));
        else Assert.True(frame.PayloadSequence.ToArray().AsSpan().SequenceEqual(payload));
        uint sum = 0;
        foreach (byte b in payload) sum = sum * 31 + b;
        var recorded = new RecordedFrame(frame.TrackNumber, frame.TimestampNs, frame.DurationNs, frame.IsKey, frame.DiscardPaddingNs, payload.Length, sum);
        Frames.Add(recorded);
        Events.Add(recorded.ToString());
    }

    public void OnSimpleTag(MkvSimpleTag tag) => Events.Add($"tag {tag.Name}={tag.StringValue}");

    public void OnFragmentMetadata(MkvFragmentMetadata metadata)
    {
        Fragments.Add(metadata);
        Events.Add($"fragment {metadata.FragmentNumber} {metadata.ServerTimestampText} {metadata.MillisBehindNow}");
    }

    public void OnSegmentEnd()
    {
        SegmentEnds++;
        Events.Add("segment end");
    }

    /// <summary>Parses <paramref name="data"/> given as the listed chunks, feeding each new chunk with the unconsumed rest.</summary>
    public static (MkvRecordingHandler Handler, Exception? Error) ParseChunked(byte[] data, IReadOnlyList<int> cuts, MkvReaderOptions? options = null)
    {
        var handler = new MkvRecordingHandler();
        var parser = new MkvStreamParser(options, AudioFrameTiming.Instance);
        int start = 0;
        try
        {
            for (int i = 0; i <= cuts.Count; i++)
            {
                int end = i < cuts.Count ? cuts[i] : data.Length;
                bool final = i == cuts.Count;
                // The unconsumed bytes plus the new chunk, as a PipeReader would present them (two segments).
                ReadOnlySequence<byte> sequence = TwoSegments(data, start, end, i < cuts.Count ? (i > 0 ? cuts[i - 1] : 0) : (cuts.Count > 0 ? cuts[^1] : 0));
                SequencePosition consumed = parser.Feed(sequence, final, handler);
                start += (int)sequence.Slice(0, consumed).Length;
            }
        }
        catch (MkvFormatException e)
        {
            return (handler, e);
        }
        return (handler, null);
    }

    /// <summary>A sequence over data[start..end) split in two segments at <paramref name="split"/> (when inside).</summary>
    public static ReadOnlySequence<byte> TwoSegments(byte[] data, int start, int end, int split)
    {
        if (split <= start || split >= end) return new ReadOnlySequence<byte>(data, start, end - start);
        var first = new Segment(data.AsMemory(start, split - start), 0);
        var last = first.Append(data.AsMemory(split, end - split));
        return new ReadOnlySequence<byte>(first, 0, last, end - split);
    }

    public static (MkvRecordingHandler Handler, Exception? Error) ParseWhole(byte[] data, MkvReaderOptions? options = null) =>
        ParseChunked(data, [], options);

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}

internal readonly record struct RecordedFrame(ulong Track, long TimestampNs, long DurationNs, bool IsKey, long DiscardPaddingNs, int Size, uint Checksum)
{
    public double TimestampMs => TimestampNs / 1e6;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"frame {Track} {TimestampNs} {DurationNs} {IsKey} {DiscardPaddingNs} {Size} {Checksum}");
}
