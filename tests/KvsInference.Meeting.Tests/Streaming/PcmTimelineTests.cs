using KvsInference.Meeting.Streaming;

namespace KvsInference.Tests.Streaming;

public sealed class PcmTimelineTests
{
    private static short[] Fill(int count, short value) => Enumerable.Repeat(value, count).ToArray();

    [Fact]
    public void Read_SpanWithAGap_PlaysSilenceInTheGap()
    {
        var timeline = new PcmTimeline(8000);
        timeline.Add(new TimedPcm(1000, Fill(80, 5)));  // 1000..1010 ms
        timeline.Add(new TimedPcm(1020, Fill(80, 7)));  // 1020..1030 ms
        var output = new short[320];                     // 1000..1040 ms
        timeline.Read(1000, output);
        Assert.All(output[..80], s => Assert.Equal(5, s));
        Assert.All(output[80..160], s => Assert.Equal(0, s));
        Assert.All(output[160..240], s => Assert.Equal(7, s));
        Assert.All(output[240..], s => Assert.Equal(0, s));
        Assert.Equal(1030, timeline.EndMs);
    }

    [Fact]
    public void Read_OverlappingPieces_EarlierStartWins()
    {
        var timeline = new PcmTimeline(8000);
        timeline.Add(new TimedPcm(1005, Fill(80, 2))); // 1005..1015
        timeline.Add(new TimedPcm(1000, Fill(80, 1))); // 1000..1010, added later but starts earlier
        var output = new short[160];
        timeline.Read(1000, output);
        Assert.All(output[..80], s => Assert.Equal(1, s));
        Assert.All(output[80..120], s => Assert.Equal(2, s));
        Assert.All(output[120..], s => Assert.Equal(0, s));
    }

    [Fact]
    public void Read_StartingInsideAPiece_TakesItsTail()
    {
        var timeline = new PcmTimeline(8000);
        timeline.Add(new TimedPcm(1000, Enumerable.Range(0, 80).Select(i => (short)i).ToArray()));
        var output = new short[8];
        timeline.Read(1002.5, output);
        Assert.Equal([20, 21, 22, 23, 24, 25, 26, 27], output);
    }

    [Fact]
    public void DropBefore_PastPieces_AreForgotten()
    {
        var timeline = new PcmTimeline(8000);
        timeline.Add(new TimedPcm(1000, Fill(80, 5)));
        timeline.Add(new TimedPcm(1010, Fill(80, 6)));
        timeline.DropBefore(1010);
        Assert.Equal(1, timeline.Count);
        timeline.DropBefore(2000);
        Assert.Equal(0, timeline.Count);
        Assert.Null(timeline.EndMs);
    }
}
