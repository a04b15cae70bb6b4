using System.Collections.Concurrent;
using KvsInference.Audio;
using KvsInference.Aws.KinesisVideo;
using KvsInference.IO;
using KvsInference.Inference;
using KvsInference.Kvs;
using KvsInference.Leases;
using KvsInference.Media;
using KvsInference.Pipeline;
using KvsInference.Sinks;
using KvsInference.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvsInference.Tests.Pipeline;

public class StreamProcessorTests
{
    // A model stand-in with a checkable answer: one frame per 1/60 s of audio, jawOpen = RMS of the window.
    private sealed class LoudnessModel : IInferenceClient
    {
        public string ModelName => "loudness-test";

        public Task<IReadOnlyList<InferencePrediction>> InferAsync(IReadOnlyList<InferenceInstance> instances, CancellationToken cancellationToken)
        {
            var result = instances.Select(i =>
            {
                var pcm = i.Pcm.Span;
                double sum = 0;
                foreach (var s in pcm) sum += (double)s * s;
                float rms = pcm.Length == 0 ? 0 : (float)(Math.Sqrt(sum / pcm.Length) / 32768);
                int frames = (int)Math.Round(pcm.Length * 60.0 / i.SampleRate);
                return new InferencePrediction { Id = i.Id, FrameRate = 60, Frames = Enumerable.Repeat(new VisemeFrame(0, 0, 0, 0, 0, rms, 0), frames).ToArray() };
            }).ToList();
            return Task.FromResult<IReadOnlyList<InferencePrediction>>(result);
        }
    }

    // A streaming model stand-in with a look-ahead: frame k (time k/60 s from the stream's first sample) is returned
    // once the audio up to 100 ms after it has arrived, so each answer starts with frames of the previous window.
    private sealed class LookaheadModel : IInferenceClient
    {
        private long _samples;
        private long _nextFrame;

        public string ModelName => "lookahead-test";

        public Task<IReadOnlyList<InferencePrediction>> InferAsync(IReadOnlyList<InferenceInstance> instances, CancellationToken cancellationToken)
        {
            var result = instances.Select(i =>
            {
                _samples += i.Pcm.Length;
                long first = _nextFrame;
                long complete = Math.Max(0, (long)Math.Floor((_samples / (double)i.SampleRate - 0.1) * 60));
                _nextFrame = Math.Max(first, complete);
                return new InferencePrediction { Id = i.Id, FrameRate = 60, Frames = new VisemeFrame[_nextFrame - first], FirstFrame = first };
            }).ToList();
            return Task.FromResult<IReadOnlyList<InferencePrediction>>(result);
        }
    }

    private sealed class RecordingSink : IRecordSink
    {
        public ConcurrentQueue<string> Events { get; } = new();
        public List<InferenceRecord> Records { get; } = new();
        public string? FailOnceOnFragment { get; set; }

        public Task WriteAsync(IReadOnlyList<InferenceRecord> records, CancellationToken cancellationToken)
        {
            if (FailOnceOnFragment is { } failing && records.Any(r => r.FragmentNumber == failing))
            {
                FailOnceOnFragment = null;
                throw new RecordSinkException("injected sink failure");
            }
            lock (Records) Records.AddRange(records);
            foreach (var r in records) Events.Enqueue("record " + r.FragmentNumber);
            return Task.CompletedTask;
        }
    }

    // Serves KVS-shaped media: fragments after the requested one, then ends (or blocks, for a live tail).
    private sealed class FragmentSource(List<KvsTestMedia.Fragment> fragments, bool live = false, bool blockAtEnd = false) : IMediaSource
    {
        public ConcurrentQueue<KvsStartSelector> Opens { get; } = new();
        public bool IsLive => live;

        public Task<Stream> OpenAsync(string streamName, KvsStartSelector start, CancellationToken cancellationToken)
        {
            Opens.Enqueue(start);
            int first = start.Type == KvsStartSelectorType.FragmentNumber ? fragments.FindIndex(f => f.Number == start.AfterFragmentNumber) + 1 : 0;
            var bytes = fragments.Skip(first).SelectMany(f => f.Bytes).ToArray();
            Stream stream = blockAtEnd ? new BlockingAtEndStream(bytes) : new MemoryStream(bytes);
            return Task.FromResult(stream);
        }
    }

    // A live connection: the bytes, then nothing until cancelled.
    private sealed class BlockingAtEndStream(byte[] bytes) : ReadOnlyStream
    {
        private readonly MemoryStream _inner = new(bytes);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int n = _inner.Read(buffer.Span);
            if (n > 0) return n;
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }
    }

    private static readonly Lazy<string> Speech = new(() => MatroskaTestMedia.FfmpegOpus(32, 1, "webm"));

    // Answers the first call at once and every later one only after Release: a model still working through a backlog.
    private sealed class GatedModel : IInferenceClient
    {
        private readonly LoudnessModel _inner = new();
        private int _calls;

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string ModelName => _inner.ModelName;

        public async Task<IReadOnlyList<InferencePrediction>> InferAsync(IReadOnlyList<InferenceInstance> instances, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) > 1) await Release.Task.WaitAsync(cancellationToken);
            return await _inner.InferAsync(instances, cancellationToken);
        }
    }

    private static (StreamProcessor Processor, InferenceBatcher Batcher) Create(IMediaSource source, IRecordSink sink, Action<StreamProcessorOptions>? configure = null,
        Microsoft.Extensions.Logging.ILogger? logger = null, IInferenceClient? model = null)
    {
        var options = new StreamProcessorOptions { InitialPosition = KvsStartSelectorType.Earliest, ReconnectDelay = TimeSpan.FromMilliseconds(10), MaxReconnectDelay = TimeSpan.FromMilliseconds(50) };
        configure?.Invoke(options);
        var batcher = new InferenceBatcher(model ?? new LoudnessModel(), new InferenceBatcherOptions { MaxWait = TimeSpan.FromMilliseconds(2) }, TimeProvider.System, NullLogger<InferenceBatcher>.Instance);
        var processor = new StreamProcessor("speaker-1", source, new AudioDecoderFactory(), batcher, sink, options, TimeProvider.System, logger ?? NullLogger.Instance);
        return (processor, batcher);
    }

    private static int ExpectedWindows(string webm)
    {
        var decoded = Path.Combine(TestPaths.Scratch, Guid.NewGuid().ToString("N") + ".raw");
        ProcessRunner.Ffmpeg("-c:a", "libopus", "-i", webm, "-ar", "16000", "-ac", "1", "-f", "s16le", decoded);
        long samples = new FileInfo(decoded).Length / 2;
        return (int)((samples + 3199) / 3200);
    }

    [Fact]
    public async Task RunAsync_ModelHoldsBackLookahead_RecordsPlaceFramesAtTheirOwnTime()
    {
        // Each record's first frame must sit at its own time in the stream (FirstFrame / 60 s), not at its window's start.
        var sink = new RecordingSink();
        var (processor, batcher) = Create(new SpeechPath(), sink, model: new LookaheadModel());
        await using var _ = batcher;

        await processor.RunAsync(null, (_, _) => Task.CompletedTask, default).WaitAsync(TimeSpan.FromSeconds(30));

        var withFrames = sink.Records.Where(r => r.Frames.Count > 0).ToList();
        Assert.True(withFrames.Count > 3);
        long frame = 0;
        foreach (var r in sink.Records)
        {
            Assert.Equal(frame * 1000.0 / 60, r.StartOffsetMs, 0.01);
            frame += r.Frames.Count;
        }
    }

    [Fact]
    public async Task RunAsync_FileSource_EveryWindowWrittenInOrderWithLoudness()
    {
        var sink = new RecordingSink();
        var (processor, batcher) = Create(new SpeechPath(), sink);
        await using var _ = batcher;

        await processor.RunAsync(null, (_, _) => Task.CompletedTask, default).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ExpectedWindows(Speech.Value), sink.Records.Count);
        Assert.All(sink.Records.Zip(sink.Records.Skip(1)), p => Assert.True(p.Second.StartOffsetMs > p.First.StartOffsetMs));
        Assert.Equal(Enumerable.Range(0, sink.Records.Count).Select(i => i * 200.0), sink.Records.Select(r => Math.Round(r.StartOffsetMs)));
        Assert.Contains(sink.Records, r => r.Frames[0].JawOpen > 0.01);
        Assert.All(sink.Records.SkipLast(1), r => Assert.Equal(12, r.Frames.Count));
        Assert.Equal(sink.Records.Count, sink.Records.Select(r => r.RecordId).Distinct().Count());
        Assert.Equal(WebmTestFile.Read(Speech.Value).Frames.Count, processor.Stats.FramesProcessed);
    }

    [Fact]
    public async Task RunAsync_BacklogOfWindows_WritesAnsweredRecordsWithoutWaitingForTheRest()
    {
        var fragments = KvsTestMedia.Fragments(Speech.Value, 1000);
        var sink = new RecordingSink();
        var model = new GatedModel();
        var (processor, batcher) = Create(new FragmentSource(fragments.Take(3).ToList(), live: true, blockAtEnd: true), sink, model: model);
        await using var _ = batcher;
        using var stop = new CancellationTokenSource();

        var run = processor.RunAsync(null, (_, _) => Task.CompletedTask, stop.Token);
        // Three fragments are queued at once; the model answered only its first call. That answer is a record now.
        Assert.True(await SteadyState.EventuallyAsync(() => !sink.Events.IsEmpty), "no record was written while the model still worked on later windows");
        model.Release.SetResult();
        Assert.True(await SteadyState.EventuallyAsync(() => sink.Events.Contains("record " + fragments[1].Number)), "the backlog was not written after the model answered");
        stop.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Assert.Equal(sink.Records.Count, sink.Records.Select(r => r.RecordId).Distinct().Count());
    }

    [Theory]
    [InlineData("xiph")]
    [InlineData("ebml")]
    public async Task RunAsync_MkvmergeLacedOpus_SameRecordsAsTheUnlacedWebm(string lacing)
    {
        // mkvmerge laces 8 packets to a block; each must be decoded after the one before, not on top of it.
        var unlaced = new RecordingSink();
        var laced = new RecordingSink();
        var (first, firstBatcher) = Create(new FileSource(Speech.Value), unlaced);
        var (second, secondBatcher) = Create(new FileSource(MatroskaTestMedia.MkvmergeOpus(lacing)), laced);
        await using var _ = firstBatcher;
        await using var __ = secondBatcher;

        await first.RunAsync(null, (_, _) => Task.CompletedTask, default).WaitAsync(TimeSpan.FromSeconds(30));
        await second.RunAsync(null, (_, _) => Task.CompletedTask, default).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(unlaced.Records.Count, laced.Records.Count);
        Assert.Equal(unlaced.Records.Select(r => r.StartOffsetMs), laced.Records.Select(r => r.StartOffsetMs));
        Assert.All(unlaced.Records.Zip(laced.Records), p => Assert.InRange(p.Second.Frames[0].JawOpen - p.First.Frames[0].JawOpen, -1e-3, 1e-3));
    }

    private sealed class FileSource(string path) : IMediaSource
    {
        public bool IsLive => false;
        public Task<Stream> OpenAsync(string streamName, KvsStartSelector start, CancellationToken cancellationToken) => Task.FromResult<Stream>(File.OpenRead(path));
    }

    private sealed class SpeechPath : IMediaSource
    {
        public bool IsLive => false;
        public Task<Stream> OpenAsync(string streamName, KvsStartSelector start, CancellationToken cancellationToken) => Task.FromResult<Stream>(File.OpenRead(Speech.Value));
    }

    [Fact]
    public async Task RunAsync_KvsFragments_CheckpointsEachFragmentOnlyAfterItsRecords()
    {
        var fragments = KvsTestMedia.Fragments(Speech.Value, 1000);
        var sink = new RecordingSink();
        var (processor, batcher) = Create(new FragmentSource(fragments), sink);
        await using var _ = batcher;

        await processor.RunAsync(null, (cp, _) => { sink.Events.Enqueue("checkpoint " + cp.FragmentNumber); return Task.CompletedTask; }, default)
            .WaitAsync(TimeSpan.FromSeconds(30));

        var events = sink.Events.ToList();
        var checkpoints = events.Where(e => e.StartsWith("checkpoint ")).Select(e => e[11..]).ToList();
        Assert.Equal(fragments.Select(f => f.Number), checkpoints);
        foreach (var f in fragments)
        {
            int checkpointAt = events.IndexOf("checkpoint " + f.Number);
            Assert.True(events.FindLastIndex(e => e == "record " + f.Number) < checkpointAt, $"fragment {f.Number} checkpointed before its last record");
        }
        Assert.True(sink.Records.Count >= ExpectedWindows(Speech.Value), $"{sink.Records.Count} records");
        foreach (var group in sink.Records.GroupBy(r => r.FragmentNumber))
        {
            // Each fragment's windows start at its first sample, 200 ms apart.
            Assert.Equal(Enumerable.Range(0, group.Count()).Select(i => i * 200.0), group.Select(r => Math.Round(r.StartOffsetMs)));
        }
        Assert.All(sink.Records, r => Assert.NotNull(r.ServerTimestamp));
        Assert.Equal(fragments.Last().Number, processor.LastCheckpoint);
    }

    // A live connection whose bytes the test hands over piece by piece; a read waits for the next piece.
    private sealed class PiecewiseSource : IMediaSource
    {
        private readonly System.Threading.Channels.Channel<byte[]> _pieces = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();
        public bool IsLive => true;
        public void Send(byte[] piece) => _pieces.Writer.TryWrite(piece);
        public Task<Stream> OpenAsync(string streamName, KvsStartSelector start, CancellationToken cancellationToken) =>
            Task.FromResult<Stream>(new PieceStream(_pieces.Reader));

        private sealed class PieceStream(System.Threading.Channels.ChannelReader<byte[]> pieces) : KvsInference.IO.ReadOnlyStream
        {
            private ReadOnlyMemory<byte> _current;
            public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            {
                if (_current.IsEmpty) _current = await pieces.ReadAsync(cancellationToken);
                int n = Math.Min(buffer.Length, _current.Length);
                _current.Span[..n].CopyTo(buffer.Span);
                _current = _current[n..];
                return n;
            }
        }
    }

    [Fact]
    public async Task RunAsync_LowLatency_EachPieceOfMediaBecomesAWindowAtOnce()
    {
        // The first fragment of 1 s handed over in three pieces, the connection then open with nothing more: without low
        // delay the first 200 ms window would wait for more audio, and the fragment's end for its end tags.
        var fragment = KvsTestMedia.Fragments(Speech.Value, 1000)[0];
        var source = new PiecewiseSource();
        var sink = new RecordingSink();
        var (processor, batcher) = Create(source, sink, o => o.LowLatencyStreamPrefix = "speaker-");
        await using var _ = batcher;
        Assert.True(processor.LowLatency);
        using var stop = new CancellationTokenSource();
        Task run = processor.RunAsync(null, (_, _) => Task.CompletedTask, stop.Token);

        int[] cuts = [fragment.Bytes.Length / 5, fragment.Bytes.Length * 2 / 5, fragment.Bytes.Length * 3 / 5];
        int sent = 0;
        var seen = 0;
        foreach (int cut in cuts)
        {
            source.Send(fragment.Bytes[sent..cut]);
            sent = cut;
            // A record for what this piece held arrives while the connection waits for the next piece.
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (Volatile.Read(ref seen) == CountRecords(sink)) await Task.Delay(10, wait.Token);
            seen = CountRecords(sink);
        }

        List<InferenceRecord> records;
        lock (sink.Records) records = [.. sink.Records];
        Assert.True(records.Count >= cuts.Length, $"{records.Count} records for {cuts.Length} pieces");
        Assert.All(records, r => Assert.Equal(fragment.Number, r.FragmentNumber));
        // The windows follow each other from the fragment's first sample, none longer than a whole window (the model
        // stand-in gives one frame per 1/60 s, so a window's length is known to within a frame).
        Assert.Equal(0, records[0].StartOffsetMs);
        for (int i = 0; i < records.Count; i++)
        {
            double ms = records[i].Frames.Count * 1000.0 / records[i].FrameRate;
            Assert.InRange(ms, 1, 200 + 1000.0 / 60);
            if (i > 0) Assert.Equal(records[i - 1].StartOffsetMs + records[i - 1].Frames.Count * 1000.0 / 60, records[i].StartOffsetMs, 1000.0 / 60);
        }
        stop.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("", true)]
    [InlineData("speaker-", true)]
    [InlineData("meeting-", false)]
    public void LowLatency_StreamNamePrefix_SelectsTheStreams(string? prefix, bool expected)
    {
        var (processor, batcher) = Create(new PiecewiseSource(), new RecordingSink(), o => o.LowLatencyStreamPrefix = prefix);
        batcher.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Assert.Equal(expected, processor.LowLatency);
    }

    private static int CountRecords(RecordingSink sink)
    {
        lock (sink.Records) return sink.Records.Count;
    }

    [Fact]
    public async Task RunAsync_ConnectionStaysOpenAfterTheLastFragment_LastFragmentCheckpointedAtItsEndTags()
    {
        // A producer that stopped: GetMedia sent every fragment, each with its end tags, and stays open (no next fragment).
        var fragments = KvsTestMedia.Fragments(Speech.Value, 1000);
        var source = new FragmentSource(fragments, live: true, blockAtEnd: true);
        var sink = new RecordingSink();
        var (processor, batcher) = Create(source, sink);
        await using var _ = batcher;
        var lastCheckpointed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();

        Task run = processor.RunAsync(null, (cp, _) =>
        {
            if (cp.FragmentNumber == fragments[^1].Number) lastCheckpointed.TrySetResult();
            return Task.CompletedTask;
        }, stop.Token);
        await lastCheckpointed.Task.WaitAsync(TimeSpan.FromSeconds(60));

        // Checkpointed while the one connection is still open, after the last fragment's records.
        Assert.False(run.IsCompleted);
        Assert.Single(source.Opens);
        Assert.Equal(fragments.Select(f => f.Number), sink.Records.Select(r => r.FragmentNumber).Distinct());
        stop.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task RunAsync_FromCheckpoint_AsksForNextFragmentAndSkipsTheCheckpointedOne()
    {
        var fragments = KvsTestMedia.Fragments(Speech.Value, 1000);
        var source = new FragmentSource(fragments);
        var sink = new RecordingSink();
        var (processor, batcher) = Create(source, sink);
        await using var _ = batcher;

        await processor.RunAsync(fragments[1].Number, (_, _) => Task.CompletedTask, default).WaitAsync(TimeSpan.FromSeconds(30));

        var open = Assert.Single(source.Opens);
        Assert.Equal((KvsStartSelectorType.FragmentNumber, fragments[1].Number), (open.Type, open.AfterFragmentNumber));
        Assert.DoesNotContain(sink.Records, r => r.FragmentNumber == fragments[0].Number || r.FragmentNumber == fragments[1].Number);
        Assert.Contains(sink.Records, r => r.FragmentNumber == fragments[2].Number);
    }

    [Fact]
    public async Task RunAsync_ResumedFromCheckpoint_WritesTheSameRecordIdsAsTheFirstRun()
    {
        var fragments = KvsTestMedia.Fragments(Speech.Value, 1000);
        var first = new RecordingSink();
        var again = new RecordingSink();
        var (processor, batcher) = Create(new FragmentSource(fragments), first);
        var (resumed, batcher2) = Create(new FragmentSource(fragments), again);
        await using var _ = batcher;
        await using var __ = batcher2;

        await processor.RunAsync(null, (_, _) => Task.CompletedTask, default).WaitAsync(TimeSpan.FromSeconds(30));
        await resumed.RunAsync(fragments[1].Number, (_, _) => Task.CompletedTask, default).WaitAsync(TimeSpan.FromSeconds(30));

        var later = fragments.Skip(2).Select(f => f.Number).ToHashSet();
        Assert.NotEmpty(again.Records);
        Assert.Equal(first.Records.Where(r => later.Contains(r.FragmentNumber)).Select(r => r.RecordId), again.Records.Select(r => r.RecordId));
    }

    [Fact]
    public async Task RunAsync_SinkFailsOnce_ReconnectsFromCheckpointAndNoFragmentIsMissing()
    {
        var fragments = KvsTestMedia.Fragments(Speech.Value, 1000);
        var source = new FragmentSource(fragments, live: true);
        var sink = new RecordingSink { FailOnceOnFragment = fragments[2].Number };
        var (processor, batcher) = Create(source, sink);
        await using var _ = batcher;
        using var done = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var checkpoints = new List<string>();

        await processor.RunAsync(null, (cp, _) =>
        {
            checkpoints.Add(cp.FragmentNumber);
            if (cp.FragmentNumber == fragments.Last().Number) done.Cancel();
            return Task.CompletedTask;
        }, done.Token);

        Assert.True(source.Opens.Count >= 2);
        Assert.Equal(fragments.Select(f => f.Number), checkpoints);
        Assert.All(fragments, f => Assert.Contains(sink.Records, r => r.FragmentNumber == f.Number));
    }

    [Theory]
    [InlineData(999_983, 1UL, "999983 Hz")]
    [InlineData(48_000, 40_000UL, "40000 channels")]
    [InlineData(768_000, 255UL, "samples per second")]
    public async Task RunAsync_HostilePcmTrackHeader_ReportedSkippedAndEveryFragmentCheckpointedWithoutRetry(double rate, ulong channels, string expected)
    {
        byte[] media = Ebml.KvsGetMedia(3, 10, out var numbers, Ebml.PcmTracks(rate, channels));
        var source = new BytesSource(media);
        var log = new ListLogger();
        var (processor, batcher) = Create(source, new RecordingSink(), logger: log);
        await using var _ = batcher;
        var checkpoints = new List<string>();

        await processor.RunAsync(null, (cp, _) => { checkpoints.Add(cp.FragmentNumber); return Task.CompletedTask; }, default).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Single(source.Opens);
        Assert.Equal(numbers, checkpoints);
        string warning = Assert.Single(log.Messages, m => m.Contains("the track is skipped", StringComparison.Ordinal));
        Assert.Contains(expected, warning);
    }

    private sealed class BytesSource(byte[] bytes) : IMediaSource
    {
        public ConcurrentQueue<KvsStartSelector> Opens { get; } = new();
        public bool IsLive => false;
        public Task<Stream> OpenAsync(string streamName, KvsStartSelector start, CancellationToken cancellationToken)
        {
            Opens.Enqueue(start);
            return Task.FromResult<Stream>(new MemoryStream(bytes));
        }
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        public ConcurrentQueue<string> Messages { get; } = new();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;
        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter) => Messages.Enqueue(formatter(state, exception));
    }

    [Fact]
    public async Task RunAsync_LeaseLostOnCheckpoint_StopsWithLeaseLost()
    {
        var fragments = KvsTestMedia.Fragments(Speech.Value, 1000);
        var sink = new RecordingSink();
        var (processor, batcher) = Create(new FragmentSource(fragments, live: true), sink);
        await using var _ = batcher;

        await Assert.ThrowsAsync<LeaseLostException>(() => processor.RunAsync(null,
            (_, _) => throw new LeaseLostException("speaker-1", "worker-1"), default).WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task RunAsync_Drain_WritesWhatWasReadCheckpointsAndReturns()
    {
        var fragments = KvsTestMedia.Fragments(Speech.Value, 1000);
        var sink = new RecordingSink();
        // The third fragment is still being sent: its end tags (after the Cluster) have not come yet.
        byte[] endTags = Ebml.Tags(("AWS_KINESISVIDEO_MILLIS_BEHIND_NOW", "0"), ("AWS_KINESISVIDEO_CONTINUATION_TOKEN", fragments[2].Number));
        Assert.Equal(endTags, fragments[2].Bytes[^endTags.Length..]);
        var third = fragments[2] with { Bytes = fragments[2].Bytes[..^endTags.Length] };
        var (processor, batcher) = Create(new FragmentSource([fragments[0], fragments[1], third], live: true, blockAtEnd: true), sink);
        await using var _ = batcher;
        using var drain = new CancellationTokenSource();
        var checkpoints = new List<string>();

        var run = processor.RunAsync(null, (cp, _) => { checkpoints.Add(cp.FragmentNumber); return Task.CompletedTask; }, default, drain.Token);
        Assert.True(await SteadyState.EventuallyAsync(() => checkpoints.Count >= 2), "the first two fragments were not checkpointed");
        drain.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(10));

        // The third fragment never ended (no end tags, no fourth fragment), so it is not checkpointed.
        Assert.Equal(fragments.Take(2).Select(f => f.Number), checkpoints);
        Assert.Contains(sink.Records, r => r.FragmentNumber == fragments[2].Number);
    }
}
