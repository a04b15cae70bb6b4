using System.Buffers;
using CsCheck;
using System.IO.Pipelines;
using KvsInference.IO;
using KvsInference.Matroska;
using KvsInference.TestSupport;
using static KvsInference.TestSupport.Ebml;

namespace KvsInference.Tests.Matroska;

public class MkvStreamParserTests
{
    [Theory]
    [InlineData(16, 1, "webm")]
    [InlineData(32, 1, "mka")]
    [InlineData(96, 2, "webm")]
    [InlineData(192, 2, "mka")]
    public void Parse_FfmpegOpus_MatchesFfprobePackets(int bitrateKbps, int channels, string extension)
    {
        string path = MatroskaTestMedia.FfmpegOpus(bitrateKbps, channels, extension);
        var (handler, error) = MkvRecordingHandler.ParseWhole(File.ReadAllBytes(path));

        Assert.Null(error);
        MkvTrackInfo track = Assert.Single(handler.Tracks);
        Assert.Equal("A_OPUS", track.CodecId);
        Assert.Equal(MkvTrackType.Audio, track.Type);
        Assert.Equal(channels, track.Channels);
        Assert.Equal("OpusHead"u8.ToArray(), track.CodecPrivate![..8]);
        Assert.True(track.CodecDelayNs > 0);
        var packets = MatroskaTestMedia.FfprobePackets(path);
        Assert.Equal(packets.Count, handler.Frames.Count);
        double delayMs = track.CodecDelayNs / 1e6;
        for (int i = 0; i < packets.Count; i++)
        {
            Assert.Equal(packets[i].Size, handler.Frames[i].Size);
            // ffmpeg shifts Opus timestamps back by the codec delay (in whole ms); we report the container's timestamps.
            Assert.InRange(handler.Frames[i].TimestampMs - delayMs - packets[i].PtsMs, -1.0, 1.0);
            Assert.True(handler.Frames[i].IsKey);
        }
        Assert.True(handler.Frames[^1].DiscardPaddingNs > 0, "ffmpeg writes DiscardPadding on the last Opus block");
    }

    [Theory]
    [InlineData(false, 0x06)]
    [InlineData(true, 0x02)]
    public void Parse_MkvmergeLacedVorbis_MatchesFfprobeSizes(bool xiph, byte lacingBits)
    {
        string path = MatroskaTestMedia.MkvmergeVorbis(xiph);
        byte[] data = File.ReadAllBytes(path);
        Assert.True(CountBlocksWithLacing(data, lacingBits) > 10, "mkvmerge must have written laced blocks of the expected kind");

        var (handler, error) = MkvRecordingHandler.ParseWhole(data);

        Assert.Null(error);
        var packets = MatroskaTestMedia.FfprobePackets(path);
        Assert.Equal(packets.Count, handler.Frames.Count);
        for (int i = 0; i < packets.Count; i++) Assert.Equal(packets[i].Size, handler.Frames[i].Size);
    }

    [Fact]
    public void Parse_MkvmergeLacedAac_LaceTimestampsFollowTheFrameLength()
    {
        string path = MatroskaTestMedia.MkvmergeAac();
        byte[] data = File.ReadAllBytes(path);
        Assert.True(CountBlocksWithLacing(data, 0x06) > 3);

        var (handler, error) = MkvRecordingHandler.ParseWhole(data);

        Assert.Null(error);
        MkvTrackInfo track = Assert.Single(handler.Tracks);
        Assert.True(track.DefaultDurationNs > 0);
        var packets = MatroskaTestMedia.FfprobePackets(path);
        Assert.Equal(packets.Count, handler.Frames.Count);
        for (int i = 0; i < packets.Count; i++)
        {
            Assert.Equal(packets[i].Size, handler.Frames[i].Size);
            Assert.InRange(handler.Frames[i].TimestampMs - packets[i].PtsMs, -1.0, 1.0);
            // 1024 samples at the track's rate, counted exactly; DefaultDuration is the same rounded down to whole ns.
            Assert.InRange(handler.Frames[i].DurationNs - (long)track.DefaultDurationNs, 0, 1);
        }
    }

    [Fact]
    public void Parse_FixedSizeLacingAndBlockGroups_ReadsEveryFrame()
    {
        byte[] three = [.. Payload(1, 10), .. Payload(2, 10), .. Payload(3, 10)];
        byte[] data = Concat(Header(), Master(0x18538067,
            Master(0x1549A966, UInt(0x2AD7B1, 1_000_000)),
            OpusTracks(),
            Master(0x1F43B675,
                UInt(0xE7, 1000),
                // Fixed-size lacing (flags 0x04), 3 frames, key.
                Binary(0xA3, Concat([0x81, 0, 0, 0x84, 2], three)),
                // A BlockGroup: Block, BlockDuration 60 ms, ReferenceBlock (so not key), DiscardPadding 2.5 ms.
                Master(0xA0, SimpleBlockBody(0xA1, 1, 40, Payload(9, 33)), UInt(0x9B, 60), Int(0xFB, -20), Int(0x75A2, 2_500_000)))));

        var (handler, error) = MkvRecordingHandler.ParseWhole(data);

        Assert.Null(error);
        Assert.Equal(4, handler.Frames.Count);
        Assert.All(handler.Frames.Take(3), f => Assert.Equal(10, f.Size));
        Assert.Equal(1_000_000_000, handler.Frames[0].TimestampNs);
        RecordedFrame group = handler.Frames[3];
        Assert.Equal(33, group.Size);
        Assert.Equal(1_040_000_000, group.TimestampNs);
        Assert.Equal(60_000_000, group.DurationNs);
        Assert.False(group.IsKey);
        Assert.Equal(2_500_000, group.DiscardPaddingNs);
    }

    [Fact]
    public void Parse_UnknownSizeSegmentAndClusters_ClustersEndWhereANonChildBegins()
    {
        byte[] data = Concat(Header(), MasterUnknownSize(0x18538067,
            Master(0x1549A966, UInt(0x2AD7B1, 1_000_000)),
            OpusTracks(),
            MasterUnknownSize(0x1F43B675, UInt(0xE7, 0), SimpleBlock(1, 0, Payload(1, 20)), Binary(0xEC, new byte[5]), SimpleBlock(1, 20, Payload(2, 21))),
            MasterUnknownSize(0x1F43B675, UInt(0xE7, 40), SimpleBlock(1, 0, Payload(3, 22))),
            Master(0x1C53BB6B, Binary(0xBB, new byte[12])),   // Cues end the Cluster and are skipped
            MasterUnknownSize(0x1F43B675, UInt(0xE7, 60), SimpleBlock(1, 0, Payload(4, 23)))));

        var (handler, error) = MkvRecordingHandler.ParseWhole(data);

        Assert.Null(error);
        Assert.Equal([0L, 20_000_000, 40_000_000, 60_000_000], handler.Frames.Select(f => f.TimestampNs));
        Assert.Equal([20, 21, 22, 23], handler.Frames.Select(f => f.Size));
        Assert.True(Assert.Single(handler.Segments).HasUnknownSize);
        Assert.Equal(1, handler.SegmentEnds);
    }

    [Fact]
    public void Parse_KvsGetMediaFragments_ReportsMetadataPerSegment()
    {
        byte[] data = KvsGetMedia(fragments: 3, framesPerFragment: 5, out var numbers);

        var (handler, error) = MkvRecordingHandler.ParseWhole(data);

        Assert.Null(error);
        Assert.Equal(3, handler.Segments.Count);
        Assert.Equal(3, handler.SegmentEnds);
        Assert.Equal(15, handler.Frames.Count);
        Assert.Equal(3, handler.Tracks.Count);
        // Two Tags per fragment: the first with number and timestamps, the second adds MILLIS_BEHIND_NOW.
        Assert.Equal(6, handler.Fragments.Count);
        for (int f = 0; f < 3; f++)
        {
            MkvFragmentMetadata first = handler.Fragments[2 * f], second = handler.Fragments[2 * f + 1];
            Assert.Equal(numbers[f], first.FragmentNumber);
            Assert.Equal(1598299264.432m + f / 1000m, first.ServerTimestampSeconds);
            Assert.Equal($"1598299263.{953 + f}", first.ProducerTimestampText);
            Assert.Null(first.MillisBehindNow);
            Assert.Equal(numbers[f], second.FragmentNumber);
            Assert.Equal(1000 - f, second.MillisBehindNow);
            Assert.Equal(numbers[f], second.ContinuationToken);
            // The tags after the Cluster end the fragment; those before it do not.
            Assert.False(first.IsEndOfFragment);
            Assert.True(second.IsEndOfFragment);
            Assert.Equal(new DateTimeOffset(2020, 8, 24, 20, 1, 4, 432, TimeSpan.Zero).AddMilliseconds(f), first.ServerTimestamp);
        }
        Assert.Equal(1_000_000_000_000 + 5 * 20_000_000L, handler.Frames[5].TimestampNs);
    }

    public static TheoryData<string> SplitFiles => new() { "kvs", "laced", "unknown" };

    [Theory]
    [MemberData(nameof(SplitFiles))]
    public void Parse_EveryOneAndTwoPointSplit_SameEvents(string name)
    {
        byte[] data = name switch
        {
            "kvs" => KvsGetMedia(2, 2, out _),
            "laced" => Concat(Header(), Master(0x18538067, OpusTracks(), Master(0x1F43B675, UInt(0xE7, 5),
                Binary(0xA3, Concat([0x81, 0, 0, 0x86, 2, 0x85, 0xC3], Payload(1, 5), Payload(2, 9), Payload(3, 4)))))),
            _ => Concat(Header(), MasterUnknownSize(0x18538067, OpusTracks(),
                MasterUnknownSize(0x1F43B675, UInt(0xE7, 0), SimpleBlock(1, 0, Payload(1, 7))),
                MasterUnknownSize(0x1F43B675, UInt(0xE7, 9), SimpleBlock(1, 1, Payload(2, 8))))),
        };
        var (whole, wholeError) = MkvRecordingHandler.ParseWhole(data);
        Assert.Null(wholeError);
        Assert.NotEmpty(whole.Frames);

        // Every 2-point split of a file of n bytes is n²/2 parses: keep these files small.
        int step = data.Length > 400 ? 3 : 1;
        for (int i = 1; i < data.Length; i++)
        {
            AssertSame(whole, data, [i]);
            for (int j = i + 1; j < data.Length; j += step) AssertSame(whole, data, [i, j]);
        }
    }

    [Fact]
    public void Parse_RealFileOneByteAtATime_SameEvents()
    {
        byte[] data = File.ReadAllBytes(MatroskaTestMedia.MkvmergeVorbis(xiph: true));
        var (whole, _) = MkvRecordingHandler.ParseWhole(data);
        var cuts = Enumerable.Range(1, data.Length - 1).ToArray();

        var (bytewise, error) = MkvRecordingHandler.ParseChunked(data, cuts);

        Assert.Null(error);
        Assert.Equal(whole.Events, bytewise.Events);
    }

    [Fact]
    public void Parse_RandomSplits_SameEvents()
    {
        byte[] kvs = KvsGetMedia(4, 30, out _);
        byte[] opus = File.ReadAllBytes(MatroskaTestMedia.FfmpegOpus(32, 1, "webm"));
        var expectedKvs = MkvRecordingHandler.ParseWhole(kvs).Handler.Events;
        var expectedOpus = MkvRecordingHandler.ParseWhole(opus).Handler.Events;

        Gen.Select(Gen.Int[1, 64].Array[0, 40], Gen.Bool).Sample(t =>
        {
            var (gaps, useOpus) = t;
            byte[] data = useOpus ? opus : kvs;
            var cuts = new List<int>();
            int at = 0;
            foreach (int gap in gaps)
            {
                at += useOpus ? gap * 97 : gap;
                if (at >= data.Length) break;
                cuts.Add(at);
            }
            var (handler, error) = MkvRecordingHandler.ParseChunked(data, cuts);
            return error is null && handler.Events.SequenceEqual(useOpus ? expectedOpus : expectedKvs);
        }, iter: 300);
    }

    [Fact]
    public async Task ParseAsync_PipeFedInSmallWrites_SameEventsAsWhole()
    {
        byte[] data = KvsGetMedia(3, 40, out _);
        var expected = MkvRecordingHandler.ParseWhole(data).Handler.Events;
        var pipe = new Pipe(new PipeOptions(minimumSegmentSize: 64, pauseWriterThreshold: 0));
        var handler = new MkvRecordingHandler();

        Task writer = Task.Run(async () =>
        {
            for (int i = 0; i < data.Length; i += 37)
            {
                await pipe.Writer.WriteAsync(data.AsMemory(i, Math.Min(37, data.Length - i)));
            }
            await pipe.Writer.CompleteAsync();
        });
        await new MkvStreamParser().ParseAsync(pipe.Reader, handler);
        await writer;

        Assert.Equal(expected, handler.Events);
    }

    [Fact]
    public async Task ParseAsync_NonSeekableStream_ReadsForwardOnly()
    {
        byte[] data = File.ReadAllBytes(MatroskaTestMedia.FfmpegOpus(32, 1, "mka"));
        var handler = new MkvRecordingHandler();

        await new MkvStreamParser().ParseAsync(new ForwardOnlyStream(data), handler);

        Assert.Equal(MkvRecordingHandler.ParseWhole(data).Handler.Events, handler.Events);
    }

    [Fact]
    public void ParseStream_NonSeekableShortReads_SameEventsAsWhole()
    {
        byte[] data = File.ReadAllBytes(MatroskaTestMedia.FfmpegOpus(32, 1, "mka"));
        var handler = new MkvRecordingHandler();

        // A 4 KiB buffer: many refills, each leaving a cut block to move to the front.
        new MkvStreamParser(new MkvReaderOptions { StreamBufferSizeBytes = 4096 }).Parse(new ForwardOnlyStream(data), handler);

        Assert.Equal(MkvRecordingHandler.ParseWhole(data).Handler.Events, handler.Events);
    }

    [Fact]
    public void ParseStream_BlockLargerThanBuffer_GrowsAndDeliversIt()
    {
        byte[] data = Concat(Header(), Master(0x18538067, OpusTracks(), Master(0x1F43B675, UInt(0xE7, 0),
            SimpleBlock(1, 0, Payload(1, 30)), SimpleBlock(1, 20, Payload(2, 50_000)), SimpleBlock(1, 40, Payload(3, 10)))));
        var handler = new MkvRecordingHandler();

        new MkvStreamParser(new MkvReaderOptions { StreamBufferSizeBytes = 4096 }).Parse(new ForwardOnlyStream(data), handler);

        Assert.Equal(MkvRecordingHandler.ParseWhole(data).Handler.Events, handler.Events);
        Assert.Equal([30, 50_000, 10], handler.Frames.Select(f => f.Size));
    }

    [Fact]
    public void ParseStream_BlockOverCap_ThrowsInsteadOfGrowing()
    {
        byte[] data = Concat(Header(), Master(0x18538067, OpusTracks(), Master(0x1F43B675, UInt(0xE7, 0),
            SimpleBlock(1, 0, Payload(1, 30)), SimpleBlock(1, 20, Payload(2, 200_000)))));
        var handler = new MkvRecordingHandler();
        var parser = new MkvStreamParser(new MkvReaderOptions { StreamBufferSizeBytes = 4096, MaxElementSizeBytes = 64 * 1024 });

        var e = Assert.Throws<MkvFormatException>(() => parser.Parse(new ForwardOnlyStream(data), handler));

        Assert.Contains("more than the configured maximum of 65536 bytes", e.Message);
        Assert.Single(handler.Frames);
    }

    [Fact]
    public void ParseStream_Truncated_ThrowsAtEndWithFramesBefore()
    {
        byte[] data = File.ReadAllBytes(MatroskaTestMedia.FfmpegOpus(32, 1, "webm"));
        byte[] truncated = data[..(data.Length / 2)];
        var handler = new MkvRecordingHandler();

        var e = Assert.Throws<MkvFormatException>(() => new MkvStreamParser().Parse(new ForwardOnlyStream(truncated), handler));

        Assert.Equal(truncated.Length, e.BytePosition);
        Assert.NotEmpty(handler.Frames);
        Assert.Equal(MkvRecordingHandler.ParseWhole(data).Handler.Frames.Take(handler.Frames.Count), handler.Frames);
    }

    [Fact]
    public void Parse_LargeAttachmentInSmallChunks_IsSkippedWithoutBuffering()
    {
        byte[] attachment = Master(0x1941A469, Binary(0x61A7, new byte[20 * 1024 * 1024]));
        byte[] data = Concat(Header(), Master(0x18538067, OpusTracks(), attachment,
            Master(0x1F43B675, UInt(0xE7, 0), SimpleBlock(1, 0, Payload(1, 50)))));
        var parser = new MkvStreamParser(new MkvReaderOptions { MaxElementSizeBytes = 1024 * 1024 });
        var handler = new MkvRecordingHandler();
        int start = 0, chunk = 64 * 1024, largestRest = 0;

        for (int end = Math.Min(chunk, data.Length); ; end = Math.Min(end + chunk, data.Length))
        {
            bool final = end == data.Length;
            start += parser.Feed(data.AsSpan(start, end - start), final, handler);
            largestRest = Math.Max(largestRest, end - start);
            if (final) break;
        }

        Assert.Single(handler.Frames);
        // Only a partial element header or a small element may wait for more bytes; never the attachment.
        Assert.True(largestRest < 1024, $"the parser kept {largestRest} bytes");
    }

    [Fact]
    public void Parse_TruncatedFile_ThrowsAtEndWithFramesBefore()
    {
        byte[] data = File.ReadAllBytes(MatroskaTestMedia.FfmpegOpus(32, 1, "webm"));
        var (whole, _) = MkvRecordingHandler.ParseWhole(data);
        foreach (int length in new[] { 10, 60, data.Length / 3, data.Length / 2, data.Length - 1 })
        {
            var (handler, error) = MkvRecordingHandler.ParseChunked(data[..length], length > 100 ? [length / 2] : []);

            var e = Assert.IsType<MkvFormatException>(error);
            Assert.Equal(length, e.BytePosition);
            Assert.Contains("Unexpected end of data", e.Message);
            Assert.True(e.ElementOffset < length);
            Assert.Equal(whole.Frames.Take(handler.Frames.Count), handler.Frames);
            if (length > data.Length / 3) Assert.NotEmpty(handler.Frames);
        }
    }

    [Fact]
    public void Parse_SizePastParent_ThrowsWithElementOffset()
    {
        byte[] block = SimpleBlock(1, 0, Payload(1, 10));
        byte[] cluster = Concat(Id(0x1F43B675), Size(block.Length + 3), UInt(0xE7, 0), block);
        byte[] prefix = Concat(Header(), Id(0x18538067), Size(OpusTracks().Length + cluster.Length), OpusTracks());
        // Make the block claim 40 more bytes than its cluster holds.
        byte[] bad = Concat(Id(0xA3), Size(block.Length - 2 + 40), block[2..]);
        byte[] data = Concat(prefix, Concat(Id(0x1F43B675), Size(block.Length + 3), UInt(0xE7, 0)), bad, new byte[40]);

        var (_, error) = MkvRecordingHandler.ParseWhole(data);

        var e = Assert.IsType<MkvFormatException>(error);
        Assert.Equal(prefix.Length + 4 + 1 + 3, e.ElementOffset);
        Assert.Contains("past the end of its parent 0x1F43B675", e.Message);
    }

    [Fact]
    public void Parse_MissingEbmlHeader_Throws()
    {
        byte[] data = Master(0x18538067, OpusTracks());

        var (_, error) = MkvRecordingHandler.ParseWhole(data);

        var e = Assert.IsType<MkvFormatException>(error);
        Assert.Equal(0, e.ElementOffset);
        Assert.Contains("Expected an EBML header", e.Message);
    }

    [Fact]
    public void Parse_NotMatroskaDocType_Throws()
    {
        var (_, error) = MkvRecordingHandler.ParseWhole(Concat(Header("mp4ish"), Master(0x18538067)));

        Assert.Contains("DocType", Assert.IsType<MkvFormatException>(error).Message);
    }

    [Fact]
    public void Parse_ElementOverCap_Throws()
    {
        byte[] data = Concat(Header(), Master(0x18538067, OpusTracks(), Master(0x1F43B675, UInt(0xE7, 0), SimpleBlock(1, 0, Payload(1, 5000)))));

        var (_, error) = MkvRecordingHandler.ParseWhole(data, new MkvReaderOptions { MaxElementSizeBytes = 4096 });

        Assert.Contains("configured maximum of 4096", Assert.IsType<MkvFormatException>(error).Message);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x05)]
    [InlineData(0xFF)]
    public void Parse_InvalidElementId_ThrowsAtItsOffset(byte bad)
    {
        byte[] good = Concat(Header(), Id(0x18538067), UnknownSize, OpusTracks());
        byte[] data = Concat(good, [bad, 0x81, 0x00], Master(0x1F43B675));

        var (_, error) = MkvRecordingHandler.ParseWhole(data);

        var e = Assert.IsType<MkvFormatException>(error);
        Assert.Equal(good.Length, e.BytePosition);
        Assert.Contains("element ID", e.Message);
    }

    [Fact]
    public void Parse_InvalidLacing_Throws()
    {
        // EBML lacing whose first lace claims more bytes than the block holds.
        byte[] data = Concat(Header(), Master(0x18538067, OpusTracks(), Master(0x1F43B675, UInt(0xE7, 0),
            Binary(0xA3, Concat([0x81, 0, 0, 0x86, 1, 0xC0], Payload(1, 10))))));

        var (_, error) = MkvRecordingHandler.ParseWhole(data);

        Assert.Contains("Invalid block", Assert.IsType<MkvFormatException>(error).Message);
    }

    [Fact]
    public void Feed_AfterFormatError_ThrowsInvalidOperation()
    {
        var parser = new MkvStreamParser();
        var handler = new MkvRecordingHandler();
        Assert.Throws<MkvFormatException>(() => parser.Feed([0x42, 0x42, 0x42], true, handler));

        Assert.Throws<InvalidOperationException>(() => parser.Feed([0x1A], false, handler));
    }

    [Fact]
    public void Feed_AfterFinalBlock_ThrowsInvalidOperation()
    {
        var parser = new MkvStreamParser();
        var handler = new MkvRecordingHandler();
        parser.Feed(KvsGetMedia(1, 1, out _), true, handler);

        Assert.Throws<InvalidOperationException>(() => parser.Feed(ReadOnlySpan<byte>.Empty, true, handler));
    }

    [Fact]
    public void Options_OutOfRange_ReportsEveryError()
    {
        var e = Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() =>
            new MkvStreamParser(new MkvReaderOptions { MaxElementSizeBytes = 10, StreamBufferSizeBytes = 1 }));

        Assert.Contains("MaxElementSizeBytes", e.Message);
        Assert.Contains("StreamBufferSizeBytes", e.Message);
    }

    private static void AssertSame(MkvRecordingHandler whole, byte[] data, int[] cuts)
    {
        var (handler, error) = MkvRecordingHandler.ParseChunked(data, cuts);
        Assert.Null(error);
        Assert.Equal(whole.Events, handler.Events);
    }

    private static byte[] SimpleBlockBody(uint id, ulong track, short relativeMs, byte[] payload) =>
        Binary(id, Concat(Size((long)track), [(byte)(relativeMs >> 8), (byte)relativeMs, 0], payload));

    /// <summary>Counts the SimpleBlocks whose lacing bits are <paramref name="lacingBits"/>, with the low-level reader.</summary>
    internal static int CountBlocksWithLacing(byte[] data, byte lacingBits)
    {
        var reader = new MkvReader(data, true, new MkvReaderState(null));
        int count = 0;
        while (reader.Read())
        {
            if (reader.TokenType == MkvTokenType.Value && reader.ElementId == MkvElementIds.SimpleBlock)
            {
                ReadOnlySpan<byte> block = reader.ValueSpan;
                int trackLength = System.Numerics.BitOperations.LeadingZeroCount((uint)block[0]) - 23;
                if ((block[trackLength + 2] & 0x06) == lacingBits) count++;
            }
        }
        return count;
    }

    /// <summary>A stream that can only be read forward, like an HTTP body.</summary>
    private sealed class ForwardOnlyStream(byte[] data) : ReadOnlyStream
    {
        private int _position;
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            // Short reads of odd sizes, as a network would give.
            int n = Math.Min(Math.Min(buffer.Length, 1000 + _position % 333), data.Length - _position);
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
    }
}
