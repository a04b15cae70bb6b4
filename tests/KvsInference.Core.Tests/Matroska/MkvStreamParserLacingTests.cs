using KvsInference.Matroska;
using KvsInference.TestSupport;
using static KvsInference.TestSupport.Ebml;

namespace KvsInference.Tests.Matroska;

/// <summary>Timing of laced frames: a block has one timestamp, each lace after the first starts where the one before ends.</summary>
public class MkvStreamParserLacingTests
{
    [Theory]
    [InlineData("xiph", 0x02)]
    [InlineData("ebml", 0x06)]
    public void Parse_MkvmergeLacedOpus_LacesTimedLikeTheUnlacedWebm(string lacing, byte lacingBits)
    {
        // The same packets, unlaced with a timestamp each (ffmpeg's WebM) and laced 8 to a block (mkvmerge, no DefaultDuration).
        byte[] laced = File.ReadAllBytes(MatroskaTestMedia.MkvmergeOpus(lacing));
        Assert.True(MkvStreamParserTests.CountBlocksWithLacing(laced, lacingBits) > 10, $"mkvmerge must have written {lacing}-laced blocks");
        var (webm, webmError) = MkvRecordingHandler.ParseWhole(File.ReadAllBytes(MatroskaTestMedia.FfmpegOpus(32, 1, "webm")));
        var (mka, mkaError) = MkvRecordingHandler.ParseWhole(laced);

        Assert.Null(webmError);
        Assert.Null(mkaError);
        Assert.Equal(0UL, Assert.Single(mka.Tracks).DefaultDurationNs);
        Assert.Equal(webm.Frames.Count, mka.Frames.Count);
        for (int i = 0; i < webm.Frames.Count; i++)
        {
            Assert.Equal(webm.Frames[i].Checksum, mka.Frames[i].Checksum);
            // WebM timestamps are whole ms; mkvmerge's block timestamps are rounded to its own scale (about 21 µs).
            Assert.InRange(mka.Frames[i].TimestampMs - webm.Frames[i].TimestampMs, -1.1, 1.1);
            // A laced frame has its packet's duration; a block of one frame has none (no BlockDuration, no DefaultDuration)
            // but the last, whose BlockDuration marks the trimmed end.
            Assert.True(i == mka.Frames.Count - 1 || mka.Frames[i].DurationNs is 20_000_000 or -1, $"frame {i} of {mka.Frames.Count}: duration {mka.Frames[i].DurationNs} ns");
        }
        Assert.True(mka.Frames.Count(f => f.DurationNs > 0) > mka.Frames.Count / 2);
    }

    [Fact]
    public void Parse_MkvmergeFixedLacedPcm_LacesStartWhereTheSamplesBeforeEnd()
    {
        string path = MatroskaTestMedia.MkvmergePcm();
        byte[] data = File.ReadAllBytes(path);
        Assert.True(MkvStreamParserTests.CountBlocksWithLacing(data, 0x04) > 3, "mkvmerge must have written fixed-size laced blocks");

        var (handler, error) = MkvRecordingHandler.ParseWhole(data);

        Assert.Null(error);
        MkvTrackInfo track = Assert.Single(handler.Tracks);
        Assert.Equal("A_PCM/INT/LIT", track.CodecId);
        var packets = MatroskaTestMedia.FfprobePackets(path);
        Assert.Equal(packets.Count, handler.Frames.Count);
        long samples = 0;
        int frameBytes = track.BitDepth / 8 * track.Channels;
        for (int i = 0; i < handler.Frames.Count; i++)
        {
            Assert.Equal(packets[i].Size, handler.Frames[i].Size);
            Assert.InRange(handler.Frames[i].TimestampMs - samples * 1000.0 / track.SamplingFrequency, -0.1, 0.1);
            samples += handler.Frames[i].Size / frameBytes;
        }
    }

    [Fact]
    public void Parse_XiphLacedOpusOfMixedDurations_EachLaceAfterThePacketsBefore()
    {
        // TOC config 1 (SILK NB 20 ms), config 3 (SILK NB 60 ms), config 16 with code 3 and 4 frames (4 x 2.5 ms).
        byte[][] packets = [[1 << 3, 1, 2, 3], [3 << 3, 4, 5], [(16 << 3) | 3, 4, 9, 9, 9]];
        byte[] block = [0x81, 0x00, 0x0A, 0x80 | 0x02, 2, (byte)packets[0].Length, (byte)packets[1].Length, .. packets[0], .. packets[1], .. packets[2]];
        byte[] data = Concat(Header(), Master(0x18538067, Master(0x1549A966, UInt(0x2AD7B1, 1_000_000)), OpusTracks(),
            Master(0x1F43B675, UInt(0xE7, 1000), Binary(0xA3, block))));

        var (handler, error) = MkvRecordingHandler.ParseWhole(data);

        Assert.Null(error);
        Assert.Equal([1_010_000_000L, 1_030_000_000L, 1_090_000_000L], handler.Frames.Select(f => f.TimestampNs));
        Assert.Equal([20_000_000L, 60_000_000L, 10_000_000L], handler.Frames.Select(f => f.DurationNs));
    }

    [Fact]
    public void Parse_LacedOpusWithoutFrameTiming_LacesKeepTheBlockTimestamp()
    {
        // The container alone does not know codecs: without an IMkvFrameTiming (and with no DefaultDuration or
        // BlockDuration) every lace has the block's time, which is why every audio reader passes AudioFrameTiming.
        byte[][] packets = [[1 << 3, 1, 2, 3], [3 << 3, 4, 5]];
        byte[] block = [0x81, 0x00, 0x0A, 0x80 | 0x02, 1, (byte)packets[0].Length, .. packets[0], .. packets[1]];
        byte[] data = Concat(Header(), Master(0x18538067, Master(0x1549A966, UInt(0x2AD7B1, 1_000_000)), OpusTracks(),
            Master(0x1F43B675, UInt(0xE7, 1000), Binary(0xA3, block))));
        var handler = new MkvRecordingHandler();

        new MkvStreamParser().Feed(new System.Buffers.ReadOnlySequence<byte>(data), isFinalBlock: true, handler);

        Assert.Equal([1_010_000_000L, 1_010_000_000L], handler.Frames.Select(f => f.TimestampNs));
    }
}
