using KvsInference.Inference;
using KvsInference.Meeting.Streaming;
using KvsInference.Sinks;

namespace KvsInference.Tests.Streaming;

public sealed class VisemeTimelineTests
{
    private static InferenceRecord Record(long? producerMs, double offsetMs, params float[] jaw) => new()
    {
        StreamName = "s", FragmentNumber = "1", ProducerTimestamp = producerMs, StartOffsetMs = offsetMs, FrameRate = 50,
        Frames = jaw.Select(j => new VisemeFrame(j, 0, 0, 0, 0, j, 1 - j)).ToList(), Model = "m", RecordId = $"s/1/{offsetMs}",
    };

    [Fact]
    public void Sample_BetweenTwoFrames_Interpolates()
    {
        var timeline = new VisemeTimeline();
        timeline.Add(Record(1000, 0, 0f, 1f));
        Assert.Equal(0.5f, timeline.Sample(1010).JawOpen, 3);
        Assert.Equal(0f, timeline.Sample(1000).JawOpen, 3);
    }

    [Fact]
    public void Sample_BetweenTwoFrames_InterpolatesTheConsonantVisemesToo()
    {
        var timeline = new VisemeTimeline();
        timeline.Add(new InferenceRecord
        {
            StreamName = "s", FragmentNumber = "1", ProducerTimestamp = 1000, StartOffsetMs = 0, FrameRate = 50, Model = "m", RecordId = "s/1/0",
            Frames = [new VisemeFrame(0, 0, 0, 0, 0, 0, 0) { Pp = 1 }, new VisemeFrame(0, 0, 0, 0, 0, 0, 0) { Ff = 1, Rr = 0.5f }],
        });
        var mid = timeline.Sample(1010);
        Assert.Equal(0.5f, mid.Pp, 3);
        Assert.Equal(0.5f, mid.Ff, 3);
        Assert.Equal(0.25f, mid.Rr, 3);
    }

    [Fact]
    public void Sample_InGapBetweenRecords_Rests()
    {
        var timeline = new VisemeTimeline();
        timeline.Add(Record(1000, 0, 1f, 1f));   // 1000..1040
        timeline.Add(Record(1000, 200, 1f, 1f)); // 1200..1240: 160 ms missing
        Assert.Equal(1f, timeline.Sample(1020).JawOpen, 3);
        Assert.Equal(VisemeTimeline.Rest, timeline.Sample(1100));
        Assert.Equal(1f, timeline.Sample(1210).JawOpen, 3);
        Assert.Equal(VisemeTimeline.Rest, timeline.Sample(1240));
        Assert.Equal(VisemeTimeline.Rest, timeline.Sample(900));
    }

    [Fact]
    public void Sample_AcrossContiguousRecords_InterpolatesIntoTheNext()
    {
        var timeline = new VisemeTimeline();
        timeline.Add(Record(1000, 40, 0f));  // arrives first, later in time
        timeline.Add(Record(1000, 0, 0f, 0f)); // 1000..1040, ends where the other starts
        timeline.Add(Record(1000, 40, 0f));  // repeat
        timeline.Add(Record(1000, 60, 1f));
        Assert.Equal(0.5f, timeline.Sample(1050).JawOpen, 3); // halfway from the frame at 1040 (0) to the next record's at 1060 (1)
        Assert.Equal(1f, timeline.Sample(1070).JawOpen, 3);   // the last frame holds until its end
        Assert.Equal(1, timeline.Repeats);
        Assert.Equal(3, timeline.Count);
    }

    [Fact]
    public void Add_RecordsWithoutTimestamps_ContinueAfterThePreviousOne()
    {
        var timeline = new VisemeTimeline();
        timeline.Add(Record(null, 0, 0f, 0f));
        timeline.Add(Record(null, 0, 1f, 1f)); // a new fragment: offsets restart, but it follows the first record
        Assert.Equal(0, timeline.StartMs);
        Assert.Equal(80, timeline.EndMs);
        Assert.Equal(1f, timeline.Sample(60).JawOpen, 3);
    }

    [Fact]
    public void Add_FrameRateNotPositive_ThrowsInvalidDataNamingTheRecord()
    {
        var bad = new InferenceRecord { StreamName = "s", FragmentNumber = "1", StartOffsetMs = 0, FrameRate = 0, Frames = [], Model = "m", RecordId = "s/1/0" };
        var e = Assert.Throws<InvalidDataException>(() => new VisemeTimeline().Add(bad));
        Assert.Contains("s/1/0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DropBefore_PastRecords_AreForgotten()
    {
        var timeline = new VisemeTimeline();
        timeline.Add(Record(1000, 0, 1f, 1f));
        timeline.Add(Record(1000, 40, 1f, 1f));
        timeline.DropBefore(1050);
        Assert.Equal(1, timeline.Count);
        Assert.Equal(VisemeTimeline.Rest, timeline.Sample(1020));
        Assert.Equal(1f, timeline.Sample(1060).JawOpen, 3);
    }
}
