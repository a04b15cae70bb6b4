using KvsInference.Pipeline;

namespace KvsInference.Tests.Pipeline;

public class FragmentTrackerTests
{
    [Fact]
    public void End_CalledTwice_EndsTheFragmentOnce()
    {
        var tracker = new FragmentTracker(skipFragment: null);
        tracker.Begin("91343852333181432392682062607743920146264586040", null, null);
        Assert.True(tracker.OnFrame());
        tracker.OnPcm(160, 1_000);

        var end = tracker.End();

        Assert.NotNull(end);
        Assert.Equal(160, end.CumulativeSamples);
        Assert.Null(tracker.End());
    }

    [Fact]
    public void End_UnnumberedWithoutFrames_HasNothingToCheckpoint()
    {
        var tracker = new FragmentTracker(skipFragment: null);

        Assert.Null(tracker.End());
    }

    [Fact]
    public void OnFrame_AfterEnd_ReopensTheFragment()
    {
        var tracker = new FragmentTracker(skipFragment: null);
        tracker.Begin("5", null, null);
        tracker.OnFrame();
        tracker.OnPcm(100, 0);
        Assert.NotNull(tracker.End());

        tracker.OnFrame();
        tracker.OnPcm(50, 10);

        Assert.Equal(150, tracker.End()!.CumulativeSamples);
    }

    [Fact]
    public void OnFrame_CheckpointedFragment_IsSkippedUntilTheNextOne()
    {
        var tracker = new FragmentTracker(skipFragment: "7");
        tracker.Begin("7", null, null);

        Assert.True(tracker.Skipping);
        Assert.False(tracker.OnFrame());

        Assert.NotNull(tracker.End()); // a numbered fragment still ends (its checkpoint is rewritten, harmlessly)
        tracker.Begin("8", null, null);
        Assert.False(tracker.Skipping);
        Assert.True(tracker.OnFrame());
    }

    [Fact]
    public void OnPcm_FirstSamples_SetTheFragmentsFirstTimestamp()
    {
        var tracker = new FragmentTracker(skipFragment: null);
        tracker.Begin("1", null, null);

        tracker.OnPcm(10, 2_000);
        tracker.OnPcm(10, 3_000);

        Assert.Equal(2_000, tracker.Current.FirstPcmNs);
    }
}

public class PendingCheckpointsTests
{
    [Fact]
    public void TryPeekDue_SamplesNotYetAcknowledged_WaitsUntilTheyAre()
    {
        var checkpoints = new PendingCheckpoints();
        var first = new FragmentInfo("1", null, null);
        var second = new FragmentInfo("2", null, null);
        checkpoints.Add(new FragmentEndItem(first, 100));
        checkpoints.Add(new FragmentEndItem(second, 200));

        Assert.False(checkpoints.TryPeekDue(out _));
        checkpoints.Acknowledge(150);
        Assert.True(checkpoints.TryPeekDue(out var due));
        Assert.Same(first, due);
        checkpoints.RemoveDue();
        Assert.False(checkpoints.TryPeekDue(out _));
        checkpoints.Acknowledge(200);
        Assert.True(checkpoints.TryPeekDue(out due));
        Assert.Same(second, due);
    }
}

public class PipelineErrorKindsTests
{
    [Theory]
    [InlineData(PipelineErrorKind.Media, "media")]
    [InlineData(PipelineErrorKind.Format, "format")]
    [InlineData(PipelineErrorKind.Decode, "decode")]
    [InlineData(PipelineErrorKind.Inference, "inference")]
    [InlineData(PipelineErrorKind.Sink, "sink")]
    [InlineData(PipelineErrorKind.Checkpoint, "checkpoint")]
    public void TagValue_EveryKind_IsTheNameOperatingDocsList(PipelineErrorKind kind, string tag)
    {
        Assert.Equal(tag, kind.TagValue());
    }

    [Fact]
    public void TagValue_UndefinedKind_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ((PipelineErrorKind)99).TagValue());
    }
}
