using System.Collections.Concurrent;
using KvsInference.Inference;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KvsInference.Tests.Inference;

public class InferenceBatcherTests
{
    // A model stand-in that records each batch and lets the test decide when a batch is answered.
    private sealed class RecordingClient : IInferenceClient
    {
        public ConcurrentQueue<string[]> Batches { get; } = new();
        public Func<int, Task>? Gate { get; set; }
        public Func<InferenceInstance, bool> Answer { get; set; } = _ => true;
        public Exception? Fail { get; set; }
        public string ModelName => "recording";
        private int _calls;

        public async Task<IReadOnlyList<InferencePrediction>> InferAsync(IReadOnlyList<InferenceInstance> instances, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _calls) - 1;
            Batches.Enqueue(instances.Select(i => i.Id).ToArray());
            if (Gate is not null) await Gate(call);
            if (Fail is not null) throw Fail;
            return instances.Where(Answer).Select(i => new InferencePrediction
            {
                Id = i.Id,
                FrameRate = 60,
                Frames = new[] { new VisemeFrame(0, 0, 0, 0, 0, 0, i.Pcm.Length) },
            }).ToList();
        }
    }

    private static InferenceInstance Window(string id, string? key = null, int samples = 3200) =>
        new() { Id = id, StreamKey = key, SampleRate = 16000, Pcm = new short[samples] };

    private static InferenceBatcher Create(IInferenceClient client, FakeTimeProvider time, Action<InferenceBatcherOptions>? configure = null)
    {
        var options = new InferenceBatcherOptions { MaxWait = TimeSpan.FromHours(1) };
        configure?.Invoke(options);
        return new InferenceBatcher(client, options, time, NullLogger<InferenceBatcher>.Instance);
    }

    private static async Task AdvanceUntil(FakeTimeProvider time, Func<bool> done, TimeSpan step)
    {
        for (var i = 0; i < 400 && !done(); i++)
        {
            time.Advance(step);
            await Task.Delay(5);
        }
        Assert.True(done(), "condition not reached");
    }

    [Fact]
    public async Task InferAsync_MoreWindowsThanMax_SendsFullBatches()
    {
        var client = new RecordingClient();
        var time = new FakeTimeProvider();
        await using var batcher = Create(client, time, o => o.MaxBatchWindows = 4);

        var tasks = Enumerable.Range(0, 8).Select(i => batcher.InferAsync(Window($"w{i}", $"s{i}"), default)).ToArray();
        var results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(new[] { "w0", "w1", "w2", "w3" }, client.Batches.ElementAt(0));
        Assert.Equal(new[] { "w4", "w5", "w6", "w7" }, client.Batches.ElementAt(1));
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"w{i}"), results.Select(r => r.Id));
    }

    [Fact]
    public async Task InferAsync_BytesLimitReached_SplitsBatch()
    {
        var client = new RecordingClient();
        var time = new FakeTimeProvider();
        await using var batcher = Create(client, time, o => o.MaxBatchBytes = 2 * 3200 * sizeof(short));

        var tasks = Enumerable.Range(0, 4).Select(i => batcher.InferAsync(Window($"w{i}", $"s{i}"), default)).ToArray();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.All(client.Batches, b => Assert.Equal(2, b.Length));
    }

    [Fact]
    public async Task InferAsync_SingleWindow_SentAfterMaxWait()
    {
        var client = new RecordingClient();
        var time = new FakeTimeProvider();
        await using var batcher = Create(client, time, o => o.MaxWait = TimeSpan.FromMilliseconds(20));

        var task = batcher.InferAsync(Window("only", "s"), default);
        Assert.False(task.IsCompleted);
        await AdvanceUntil(time, () => task.IsCompleted, TimeSpan.FromMilliseconds(5));

        Assert.Equal("only", (await task).Id);
        Assert.Single(client.Batches);
    }

    [Fact]
    public async Task InferAsync_UrgentWindow_SentWithoutWaitingForCompany()
    {
        var client = new RecordingClient();
        var time = new FakeTimeProvider();
        // MaxWait of an hour on a clock that never moves: only urgency can send the window.
        await using var batcher = Create(client, time);

        var result = await batcher.InferAsync(new InferenceInstance { Id = "live", StreamKey = "meeting", SampleRate = 16000, Pcm = new short[960], Urgent = true }, default)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("live", result.Id);
        Assert.Equal(new[] { "live" }, client.Batches.Single());
    }

    [Fact]
    public async Task InferAsync_StreamInFlight_LaterWindowWaitsOthersProceed()
    {
        var firstBatch = new TaskCompletionSource();
        var client = new RecordingClient { Gate = call => call == 0 ? firstBatch.Task : Task.CompletedTask };
        var time = new FakeTimeProvider();
        await using var batcher = Create(client, time, o => { o.MaxBatchWindows = 1; o.MaxConcurrentBatches = 4; });

        var a1 = batcher.InferAsync(Window("a1", "A"), default);
        await AdvanceUntil(time, () => client.Batches.Count == 1, TimeSpan.Zero);
        var a2 = batcher.InferAsync(Window("a2", "A"), default);
        var b1 = batcher.InferAsync(Window("b1", "B"), default);

        await b1.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(a2.IsCompleted);
        Assert.DoesNotContain(client.Batches, b => b.Contains("a2"));

        firstBatch.SetResult();
        await Task.WhenAll(a1, a2).WaitAsync(TimeSpan.FromSeconds(10));
        var order = client.Batches.SelectMany(b => b).ToList();
        Assert.True(order.IndexOf("a1") < order.IndexOf("a2"));
    }

    [Fact]
    public async Task InferAsync_ClientFails_EveryWindowOfBatchFailsAndNextBatchWorks()
    {
        var client = new RecordingClient { Fail = new HttpRequestException("boom") };
        var time = new FakeTimeProvider();
        await using var batcher = Create(client, time, o => o.MaxBatchWindows = 2);

        var t1 = batcher.InferAsync(Window("x1", "s1"), default);
        var t2 = batcher.InferAsync(Window("x2", "s2"), default);
        var e1 = await Assert.ThrowsAsync<InferenceException>(() => t1);
        await Assert.ThrowsAsync<InferenceException>(() => t2);
        Assert.Contains("boom", e1.Message);

        client.Fail = null;
        var t3 = batcher.InferAsync(Window("x3", "s1"), default);
        var t4 = batcher.InferAsync(Window("x4", "s2"), default);
        Assert.Equal("x3", (await t3.WaitAsync(TimeSpan.FromSeconds(10))).Id);
        await t4;
    }

    [Fact]
    public async Task InferAsync_ModelOmitsWindow_ThatWindowFailsNamed()
    {
        var client = new RecordingClient { Answer = i => i.Id != "lost" };
        var time = new FakeTimeProvider();
        await using var batcher = Create(client, time, o => o.MaxBatchWindows = 2);

        var ok = batcher.InferAsync(Window("kept", "s1"), default);
        var lost = batcher.InferAsync(Window("lost", "s2"), default);

        await ok.WaitAsync(TimeSpan.FromSeconds(10));
        var error = await Assert.ThrowsAsync<InferenceException>(() => lost);
        Assert.Contains("'lost'", error.Message);
    }

    [Fact]
    public async Task DisposeAsync_WindowsQueued_SendsThemBeforeStopping()
    {
        var client = new RecordingClient();
        var time = new FakeTimeProvider();
        var batcher = Create(client, time, o => o.MaxBatchWindows = 100);
        var tasks = Enumerable.Range(0, 5).Select(i => batcher.InferAsync(Window($"d{i}", "same"), default)).ToArray();

        await batcher.DisposeAsync();

        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(5, client.Batches.Sum(b => b.Length));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => batcher.InferAsync(Window("late"), default));
    }
}
