using KvsInference.TestSupport;
using System.Collections.Concurrent;
using KvsInference.Inference;
using KvsInference.Sinks;

namespace KvsInference.Tests.Sinks;

public class CoalescingRecordSinkTests
{
    private sealed class GatedSink : IRecordSink
    {
        public ConcurrentQueue<string[]> Writes { get; } = new();
        public TaskCompletionSource FirstWrite { get; } = new();
        public Exception? Fail { get; set; }

        public async Task WriteAsync(IReadOnlyList<InferenceRecord> records, CancellationToken cancellationToken)
        {
            Writes.Enqueue(records.Select(r => r.RecordId).ToArray());
            if (Writes.Count == 1) await FirstWrite.Task;
            if (Fail is not null) throw Fail;
        }
    }

    private static InferenceRecord Record(string stream, int i) => new()
    {
        StreamName = stream,
        FragmentNumber = "1",
        StartOffsetMs = i * 200,
        FrameRate = 60,
        Frames = Array.Empty<VisemeFrame>(),
        Model = "m",
        RecordId = $"{stream}/{i}",
    };

    [Fact]
    public async Task WriteAsync_WritersArriveDuringInnerWrite_CoalescedIntoNextWrite()
    {
        var inner = new GatedSink();
        await using var sink = new CoalescingRecordSink(inner, new CoalescingRecordSinkOptions { MaxWait = TimeSpan.Zero }, TimeProvider.System);

        var first = sink.WriteAsync(new[] { Record("a", 0) }, default);
        Assert.True(await SteadyState.EventuallyAsync(() => !inner.Writes.IsEmpty), "the first write did not reach the inner sink");
        var others = Enumerable.Range(0, 10).Select(s => sink.WriteAsync(new[] { Record($"s{s}", 0), Record($"s{s}", 1) }, default)).ToArray();
        inner.FirstWrite.SetResult();
        await Task.WhenAll(others.Append(first)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, inner.Writes.Count);
        var second = inner.Writes.ElementAt(1);
        Assert.Equal(20, second.Length);
        for (var s = 0; s < 10; s++)
        {
            Assert.Equal(Array.IndexOf(second, $"s{s}/0") + 1, Array.IndexOf(second, $"s{s}/1"));
        }
    }

    [Fact]
    public async Task WriteAsync_MoreThanMaxRecords_SplitBetweenCallers()
    {
        var inner = new GatedSink();
        inner.FirstWrite.SetResult();
        await using var sink = new CoalescingRecordSink(inner, new CoalescingRecordSinkOptions { MaxRecords = 3, MaxWait = TimeSpan.FromMilliseconds(50) }, TimeProvider.System);

        await Task.WhenAll(
            sink.WriteAsync(new[] { Record("a", 0), Record("a", 1) }, default),
            sink.WriteAsync(new[] { Record("b", 0), Record("b", 1) }, default)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.All(inner.Writes, w => Assert.True(w.Length <= 3));
        Assert.Equal(4, inner.Writes.Sum(w => w.Length));
    }

    [Fact]
    public async Task WriteAsync_InnerFails_EveryCallerOfThatWriteSeesTheError()
    {
        var inner = new GatedSink { Fail = new RecordSinkException("kinesis said no") };
        inner.FirstWrite.SetResult();
        await using var sink = new CoalescingRecordSink(inner, new CoalescingRecordSinkOptions(), TimeProvider.System);

        var error = await Assert.ThrowsAsync<RecordSinkException>(() => sink.WriteAsync(new[] { Record("a", 0) }, default));
        Assert.Equal("kinesis said no", error.Message);

        inner.Fail = null;
        await sink.WriteAsync(new[] { Record("a", 1) }, default);
    }
}
