using KvsInference.Inference;
using KvsInference.Meeting;
using KvsInference.Sinks;

namespace KvsInference.Tests.Meeting;

public sealed class RecordBroadcasterTests
{
    private sealed class ListSink(bool fail = false) : IRecordSink
    {
        public List<InferenceRecord> Written { get; } = [];

        public Task WriteAsync(IReadOnlyList<InferenceRecord> records, CancellationToken cancellationToken)
        {
            if (fail) throw new RecordSinkException("refused");
            Written.AddRange(records);
            return Task.CompletedTask;
        }
    }

    private static InferenceRecord Record(string stream, double offset) => new()
    {
        StreamName = stream, FragmentNumber = "1", StartOffsetMs = offset, FrameRate = 60, Model = "t",
        Frames = [new VisemeFrame(0, 0, 0, 0, 0, 0.5f, 0)], RecordId = InferenceRecord.MakeRecordId(stream, "1", offset),
    };

    [Fact]
    public async Task WriteAsync_Subscribed_DeliversOnlyThatStreamAfterInnerSink()
    {
        var inner = new ListSink();
        var broadcaster = new RecordBroadcaster(inner);
        using var a = broadcaster.Subscribe("a");
        await broadcaster.WriteAsync([Record("a", 0), Record("b", 0), Record("a", 200)], CancellationToken.None);
        Assert.Equal(3, inner.Written.Count);
        Assert.True(a.Reader.TryRead(out var first));
        Assert.True(a.Reader.TryRead(out var second));
        Assert.False(a.Reader.TryRead(out _));
        Assert.Equal([0.0, 200.0], [first!.StartOffsetMs, second!.StartOffsetMs]);
    }

    [Fact]
    public async Task WriteAsync_InnerSinkFails_NothingBroadcast()
    {
        var broadcaster = new RecordBroadcaster(new ListSink(fail: true));
        using var a = broadcaster.Subscribe("a");
        await Assert.ThrowsAsync<RecordSinkException>(() => broadcaster.WriteAsync([Record("a", 0)], CancellationToken.None));
        Assert.False(a.Reader.TryRead(out _));
    }

    [Fact]
    public async Task WriteAsync_SlowWatcher_DropsOldestAndCounts()
    {
        var broadcaster = new RecordBroadcaster(new ListSink(), queueLength: 2);
        using var a = broadcaster.Subscribe("a");
        await broadcaster.WriteAsync([Record("a", 0), Record("a", 1), Record("a", 2)], CancellationToken.None);
        Assert.Equal(1, broadcaster.DroppedRecords);
        Assert.True(a.Reader.TryRead(out var r));
        Assert.Equal(1.0, r!.StartOffsetMs);
    }

    [Fact]
    public async Task Dispose_Subscription_StopsDeliveryAndCompletesReader()
    {
        var broadcaster = new RecordBroadcaster(new ListSink());
        var a = broadcaster.Subscribe("a");
        a.Dispose();
        await broadcaster.WriteAsync([Record("a", 0)], CancellationToken.None);
        Assert.False(a.Reader.TryRead(out _));
        Assert.True(a.Reader.Completion.IsCompleted);
    }
}
