using System.Collections.Concurrent;
using System.Text.Json;
using Amazon.Runtime;
using KvsInference.Audio;
using KvsInference.Aws.KinesisVideo;
using KvsInference.IO;
using KvsInference.Inference;
using KvsInference.Kvs;
using KvsInference.Matroska;
using KvsInference.Media;
using KvsInference.Pipeline;
using KvsInference.Sinks;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvsInference.Tests.Storage;

/// <summary>
/// A producer that stops: its last fragment is complete when its PutMedia ends, and a GetMedia reader still connected
/// gets it with its end-of-fragment tags at once, long before the store's idle timeout ends the read.
/// </summary>
public sealed class FragmentEndTests
{
    // Far longer than any test: were the last fragment held back until the read ends, the waits below would time out.
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task GetMedia_ProducerStopsAfterUnknownSizeClusters_EveryFragmentEndsWithItsTagsWhileTheReadIsOpen()
    {
        await using var kit = await MediaStoreTestKit.StartAsync(o => o.GetMediaIdleTimeout = IdleTimeout);
        await kit.CreateStreamAsync("live");
        using HttpResponseMessage response = await kit.StartGetMediaAsync("live", new { StartSelectorType = "NOW" });
        var ends = new EndTagCollector();
        Task reading = new MkvStreamParser().ParseAsync(await response.Content.ReadAsStreamAsync(), ends).AsTask();

        // Chromium-like upload: unknown-size Clusters, so the last one ends only with the upload itself.
        List<string> persisted = Persisted(await kit.PutMediaAsync("live", StoreMedia.UnknownSizeWebm(null, 0, 1000, 2000)));

        Assert.Equal(3, persisted.Count);
        await ends.WaitForAsync(persisted[^1], Wait);
        Assert.False(reading.IsCompleted, "the GetMedia read ended; the last fragment must come while it is open");
        Assert.Equal(persisted, ends.Tokens);
    }

    [Fact]
    public async Task StreamProcessor_ProducerStops_LastFragmentCheckpointedWhileGetMediaIsOpen()
    {
        await using var kit = await MediaStoreTestKit.StartAsync(o => o.GetMediaIdleTimeout = IdleTimeout);
        await kit.CreateStreamAsync("speech");
        using var client = new KinesisVideoClient(new KinesisVideoClientOptions
        {
            ServiceUrl = new Uri(kit.Server.Url), Region = "us-east-1", Credentials = new BasicAWSCredentials("AKIDKVSINFERENCETEST", "kvs-inference-test-secret"),
            EnvironmentVariables = _ => null,
        });
        var source = new CountingSource(new KvsMediaSource(client));
        var options = new StreamProcessorOptions { InitialPosition = KvsStartSelectorType.Earliest, ReconnectDelay = TimeSpan.FromMilliseconds(50) };
        await using var batcher = new InferenceBatcher(new SilentModel(), new InferenceBatcherOptions { MaxWait = TimeSpan.FromMilliseconds(2) },
            TimeProvider.System, NullLogger<InferenceBatcher>.Instance);
        var sink = new CountingSink();
        var processor = new StreamProcessor("speech", source, new AudioDecoderFactory(), batcher, sink, options, TimeProvider.System, NullLogger.Instance);
        List<string> persisted = Persisted(await kit.PutMediaAsync("speech", File.ReadAllBytes(StoreMedia.SpeechWebm)));
        var lastCheckpointed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();

        Task run = processor.RunAsync(null, (checkpoint, _) =>
        {
            if (checkpoint.FragmentNumber == persisted[^1]) lastCheckpointed.TrySetResult();
            return Task.CompletedTask;
        }, stop.Token);
        await lastCheckpointed.Task.WaitAsync(Wait);

        // The one GetMedia connection is still open: the checkpoint came from the fragment's end tags, not the end of the read.
        Assert.Equal(1, source.Opens);
        Assert.Equal(0, source.Ended);
        Assert.False(run.IsCompleted);
        Assert.Equal(persisted, sink.Fragments.Distinct());
        stop.Cancel();
        await run.WaitAsync(Wait);
    }

    private static List<string> Persisted(List<JsonElement> acks) =>
        acks.Where(a => a.GetProperty("EventType").GetString() == "PERSISTED").Select(a => a.GetProperty("FragmentNumber").GetString()!).ToList();

    /// <summary>The continuation tokens of the end-of-fragment tags, in arrival order.</summary>
    private sealed class EndTagCollector : IMkvHandler
    {
        private readonly ConcurrentQueue<string> _tokens = new();
        private readonly SemaphoreSlim _arrived = new(0);

        public IReadOnlyList<string> Tokens => [.. _tokens];

        public void OnFrame(in MkvFrame frame)
        {
        }

        public void OnFragmentMetadata(MkvFragmentMetadata metadata)
        {
            if (!metadata.IsEndOfFragment || metadata.ContinuationToken is not { } token) return;
            _tokens.Enqueue(token);
            _arrived.Release();
        }

        public async Task WaitForAsync(string token, TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            while (!_tokens.Contains(token)) await _arrived.WaitAsync(cts.Token);
        }
    }

    /// <summary>Counts GetMedia connections opened and read to their end.</summary>
    private sealed class CountingSource(IMediaSource inner) : IMediaSource
    {
        private int _opens;
        private int _ended;

        public int Opens => Volatile.Read(ref _opens);
        public int Ended => Volatile.Read(ref _ended);
        public bool IsLive => inner.IsLive;

        public async Task<Stream> OpenAsync(string streamName, KvsStartSelector start, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _opens);
            return new EndWatchingStream(await inner.OpenAsync(streamName, start, cancellationToken), () => Interlocked.Increment(ref _ended));
        }
    }

    private sealed class EndWatchingStream(Stream inner, Action ended) : ReadOnlyStream
    {
        private bool _ended;
        public override int Read(byte[] buffer, int offset, int count) => Seen(inner.Read(buffer, offset, count));
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Seen(await inner.ReadAsync(buffer, cancellationToken));
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        private int Seen(int read)
        {
            if (read == 0 && !_ended)
            {
                _ended = true;
                ended();
            }
            return read;
        }
    }

    private sealed class SilentModel : IInferenceClient
    {
        public string ModelName => "silent-test";

        public Task<IReadOnlyList<InferencePrediction>> InferAsync(IReadOnlyList<InferenceInstance> instances, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<InferencePrediction>>(
                [.. instances.Select(i => new InferencePrediction { Id = i.Id, FrameRate = 60, Frames = [] })]);
    }

    private sealed class CountingSink : IRecordSink
    {
        private readonly ConcurrentQueue<string> _fragments = new();

        public IEnumerable<string> Fragments => _fragments;

        public Task WriteAsync(IReadOnlyList<InferenceRecord> records, CancellationToken cancellationToken)
        {
            foreach (var r in records) _fragments.Enqueue(r.FragmentNumber);
            return Task.CompletedTask;
        }
    }
}
