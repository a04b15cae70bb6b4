using KvsInference.Matroska;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Matroska;

/// <summary>
/// The checked-in recording of Chromium's MediaRecorder (scripts/make-chromium-webm): what browser producers send,
/// with an unknown-size Segment, unknown-size Clusters, no Cues and no Duration, and 60 ms Opus packets.
/// </summary>
public class ChromiumWebmTests
{
    private static readonly string MediaPath = Path.Combine(AppContext.BaseDirectory, "Media", "chromium-mediarecorder.webm");

    private const long PacketNs = 60_000_000;

    public static TheoryData<int> ChunkSizes => new() { 1, 7, 4096, int.MaxValue };

    [Fact]
    public void File_AsRecorded_HasUnknownSizeSegmentAndClusters()
    {
        byte[] data = File.ReadAllBytes(MediaPath);

        // The properties the other tests rely on: if the file is remade by a Chromium that writes sizes, this says so.
        Assert.Equal(1, CountUnknownSize(data, [0x18, 0x53, 0x80, 0x67]));
        Assert.True(CountUnknownSize(data, [0x1F, 0x43, 0xB6, 0x75]) >= 3, "expected several unknown-size Clusters");
        Assert.InRange(data.Length, 10_000, 100_000);
    }

    [Theory]
    [MemberData(nameof(ChunkSizes))]
    public void Parse_InChunks_OpusTrackAndFramesMatchFfprobe(int chunkSize)
    {
        byte[] data = File.ReadAllBytes(MediaPath);
        var packets = MatroskaTestMedia.FfprobePackets(MediaPath);

        var (handler, error) = MkvRecordingHandler.ParseChunked(data, Cuts(data.Length, chunkSize));

        Assert.Null(error);
        MkvSegmentStart segment = Assert.Single(handler.Segments);
        Assert.Equal("webm", segment.DocType);
        Assert.True(segment.HasUnknownSize);
        Assert.Equal(1, handler.SegmentEnds);
        MkvTrackInfo track = Assert.Single(handler.Tracks);
        Assert.Equal(MkvTrackType.Audio, track.Type);
        Assert.Equal("A_OPUS", track.CodecId);
        Assert.Equal(48000, track.SamplingFrequency);
        Assert.Equal(1, track.Channels);
        Assert.Equal("OpusHead"u8.ToArray(), track.CodecPrivate![..8]);
        Assert.Equal(1, track.CodecPrivate[9]);   // OpusHead channel count agrees with the track's
        Assert.Equal(0UL, track.CodecDelayNs);     // Chromium writes neither CodecDelay nor a pre-skip

        Assert.Equal(packets.Count, handler.Frames.Count);
        for (int i = 0; i < packets.Count; i++)
        {
            RecordedFrame frame = handler.Frames[i];
            Assert.Equal(packets[i].Size, frame.Size);
            Assert.Equal(packets[i].PtsMs, frame.TimestampMs, 3);
            Assert.Equal(1UL, frame.Track);
            Assert.True(frame.IsKey);
            Assert.Equal(-1, frame.DurationNs);   // SimpleBlocks carry no duration
        }
    }

    [Fact]
    public void Parse_Whole_PacketsAre60MsAndTimestampsContinuousAcrossClusters()
    {
        byte[] data = File.ReadAllBytes(MediaPath);
        var durations = new List<long>();
        var handler = new OpusDurationHandler(durations);

        new MkvStreamParser().Feed(new System.Buffers.ReadOnlySequence<byte>(data), isFinalBlock: true, handler);

        // About 4 s were recorded; every packet is three 20 ms CELT frames (TOC code 3), and each timestamp is the
        // previous one plus its packet's duration, also where a new unknown-size Cluster begins (every ~1 s).
        Assert.InRange(durations.Count, 50, 80);
        Assert.All(durations, d => Assert.Equal(PacketNs, d));
        for (int i = 1; i < handler.Timestamps.Count; i++)
        {
            Assert.Equal(handler.Timestamps[i - 1] + durations[i - 1], handler.Timestamps[i]);
        }
        Assert.Equal(0, handler.Timestamps[0]);
    }

    [Fact]
    public async Task ParseAsync_FromFileStream_SameEventsAsWhole()
    {
        byte[] data = File.ReadAllBytes(MediaPath);
        var expected = MkvRecordingHandler.ParseWhole(data).Handler.Events;
        var handler = new MkvRecordingHandler();

        await using (var stream = File.OpenRead(MediaPath))
        {
            await new MkvStreamParser().ParseAsync(stream, handler);
        }

        Assert.Equal(expected, handler.Events);
    }

    private static List<int> Cuts(int length, int chunkSize)
    {
        var cuts = new List<int>();
        for (long at = chunkSize; at < length; at += chunkSize) cuts.Add((int)at);
        return cuts;
    }

    /// <summary>Counts elements with this ID whose size is the 8-byte unknown size (what Chromium writes).</summary>
    private static int CountUnknownSize(byte[] data, byte[] id)
    {
        byte[] unknown = [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        int count = 0;
        for (int at = data.AsSpan().IndexOf(id); at >= 0;)
        {
            if (data.AsSpan(at + id.Length).StartsWith(unknown)) count++;
            int next = data.AsSpan(at + 1).IndexOf(id);
            at = next < 0 ? -1 : at + 1 + next;
        }
        return count;
    }

    /// <summary>Reads each Opus packet's duration from its TOC byte (RFC 6716 section 3.1) and keeps the timestamps.</summary>
    private sealed class OpusDurationHandler(List<long> durations) : IMkvHandler
    {
        public List<long> Timestamps { get; } = [];

        public void OnFrame(in MkvFrame frame)
        {
            ReadOnlySpan<byte> packet = frame.PayloadSpan;
            int config = packet[0] >> 3;
            long frameNs = config switch
            {
                < 12 => (config % 4) switch { 0 => 10_000_000, 1 => 20_000_000, 2 => 40_000_000, _ => 60_000_000 },
                < 16 => config % 2 == 0 ? 10_000_000 : 20_000_000,
                _ => (config % 4) switch { 0 => 2_500_000, 1 => 5_000_000, 2 => 10_000_000, _ => 20_000_000 },
            };
            int frames = (packet[0] & 3) switch { 0 => 1, 3 => packet[1] & 0x3F, _ => 2 };
            durations.Add(frameNs * frames);
            Timestamps.Add(frame.TimestampNs);
        }
    }
}
