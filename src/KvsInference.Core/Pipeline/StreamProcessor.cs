using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using KvsInference.Audio;
using KvsInference.Inference;
using KvsInference.Kvs;
using KvsInference.Leases;
using KvsInference.Matroska;
using KvsInference.Media;
using KvsInference.Sinks;
using Microsoft.Extensions.Logging;
using Polly;

namespace KvsInference.Pipeline;

/// <summary>A fragment whose audio is fully processed and acknowledged by the sink: what a checkpoint stores.</summary>
/// <param name="FragmentNumber">The KVS fragment number.</param>
/// <param name="ProducerTimestamp">The fragment's producer timestamp, when known.</param>
public sealed record FragmentCheckpoint(string FragmentNumber, DateTimeOffset? ProducerTimestamp);

/// <summary>Stores a checkpoint; throws <see cref="LeaseLostException"/> when this worker no longer holds the stream.</summary>
/// <param name="checkpoint">The fragment to checkpoint.</param>
/// <param name="cancellationToken">Cancels the write.</param>
public delegate Task CheckpointHandler(FragmentCheckpoint checkpoint, CancellationToken cancellationToken);

/// <summary>
/// Processes one stream while its lease is held: reads media from the checkpoint, decodes every audio frame as it
/// arrives, cuts windows, has them inferred through the shared <see cref="InferenceBatcher"/>, writes the records
/// and checkpoints each fragment once every record of it is acknowledged.
/// </summary>
/// <remarks>
/// <para>Two stages joined by a bounded channel: the reader (parse, decode, window, submit for inference) and the
/// writer (await predictions in order, write records, checkpoint). When the model or the sink is slow the channel
/// fills and reading waits, so memory stays bounded.</para>
/// <para>At least once, never skipped: a fragment is checkpointed only when the window holding its last sample has
/// been acknowledged, counted in samples so that timestamp jumps cannot confuse it. After a reconnect or a lease
/// hand-off reading resumes at the checkpointed fragment, whose frames are skipped; windows of later fragments may
/// be written again and carry the same <see cref="InferenceRecord.RecordId"/>: windows restart at every fragment's first
/// sample (the last window of a fragment may be shorter), so the windows of a fragment do not depend on where reading began.</para>
/// <para>Failures (dropped connection, corrupt media, inference or sink errors) end the connection; the stream
/// reconnects from its last checkpoint with jittered exponential backoff. A lost lease stops the processor at once.</para>
/// </remarks>
public sealed class StreamProcessor
{
    private const int MaxRecordsPerWrite = 100;

    private readonly IMediaSource _source;
    private readonly AudioDecoderFactory _decoders;
    private readonly InferenceBatcher _batcher;
    private readonly IRecordSink _sink;
    private readonly StreamProcessorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _reconnect;

    /// <summary>Creates the processor of one stream.</summary>
    /// <param name="streamName">The stream name (also the Kinesis partition key of its records).</param>
    /// <param name="source">Where media comes from.</param>
    /// <param name="decoders">Makes audio decoders (one factory per process).</param>
    /// <param name="batcher">The worker's shared inference batcher.</param>
    /// <param name="sink">Where records go.</param>
    /// <param name="options">Window, backpressure and reconnect settings.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    public StreamProcessor(string streamName, IMediaSource source, AudioDecoderFactory decoders, InferenceBatcher batcher,
        IRecordSink sink, StreamProcessorOptions options, TimeProvider timeProvider, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamName);
        options.Validate();
        StreamName = streamName;
        _source = source;
        _decoders = decoders;
        _batcher = batcher;
        _sink = sink;
        _options = options;
        _time = timeProvider;
        _logger = logger;
        _reconnect = PipelineResilience.CreateReconnectPipeline(options, timeProvider, logger, streamName);
        LowLatency = options.LowLatencyStreamPrefix is { } prefix && streamName.StartsWith(prefix, StringComparison.Ordinal);
    }

    /// <summary>Gets whether this stream is processed for low delay (<see cref="StreamProcessorOptions.LowLatencyStreamPrefix"/>).</summary>
    /// <value>True when every piece of media read becomes a window at once.</value>
    public bool LowLatency { get; }

    /// <summary>Gets the stream name.</summary>
    public string StreamName { get; }

    /// <summary>Gets live figures of this stream, for the status line and /metrics.</summary>
    public StreamProcessorStats Stats { get; } = new();

    /// <summary>Gets the last fragment checkpointed by this processor, or the one it started from.</summary>
    public string? LastCheckpoint { get; private set; }

    /// <summary>Runs until the media ends (files), the token is cancelled, <paramref name="drain"/> is signalled, or the lease is lost.</summary>
    /// <param name="checkpoint">The stream's checkpoint (last fragment fully processed), or null for a new stream.</param>
    /// <param name="checkpointer">Stores checkpoints.</param>
    /// <param name="cancellationToken">Stops the processor at once; windows in flight are abandoned (they will be redone).</param>
    /// <param name="drain">Graceful stop: reading stops, windows already read are inferred, written and checkpointed, then the method returns.</param>
    /// <exception cref="LeaseLostException">The checkpoint found the lease taken by another worker.</exception>
    public async Task RunAsync(string? checkpoint, CheckpointHandler checkpointer, CancellationToken cancellationToken, CancellationToken drain = default)
    {
        LastCheckpoint = checkpoint;
        using var stopOrDrain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, drain);
        while (!stopOrDrain.IsCancellationRequested)
        {
            ConnectionOutcome outcome;
            try
            {
                outcome = await _reconnect.ExecuteAsync(
                    async _ => await RunConnectionAsync(StartPosition(), checkpointer, cancellationToken, drain).ConfigureAwait(false),
                    stopOrDrain.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopOrDrain.IsCancellationRequested)
            {
                return;
            }
            if (!_source.IsLive || drain.IsCancellationRequested) return;
            _skipToNow = outcome == ConnectionOutcome.SkipToNow;
            if (outcome == ConnectionOutcome.EndedEmpty)
            {
                // The source ended a connection without media: do not hammer it (KVS: 5 GetMedia calls/s per stream).
                try { await Task.Delay(_options.ReconnectDelay, _time, stopOrDrain.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    private bool _skipToNow;

    private (KvsStartSelector Start, string? SkipFragment) StartPosition()
    {
        if (_skipToNow)
        {
            _skipToNow = false;
            return (KvsStartSelector.Now(), null);
        }
        if (LastCheckpoint is { } fragment) return (KvsStartSelector.AfterFragment(fragment), fragment);
        var start = _options.InitialPosition switch
        {
            KvsStartSelectorType.Earliest => KvsStartSelector.Earliest(),
            KvsStartSelectorType.ServerTimestamp => KvsStartSelector.ServerTime(_options.InitialTimestamp!.Value),
            KvsStartSelectorType.ProducerTimestamp => KvsStartSelector.ProducerTime(_options.InitialTimestamp!.Value),
            _ => KvsStartSelector.Now(),
        };
        return (start, null);
    }

    private async Task<ConnectionOutcome> RunConnectionAsync((KvsStartSelector Start, string? SkipFragment) position, CheckpointHandler checkpointer, CancellationToken cancellationToken, CancellationToken drain)
    {
        Stats.SetState("connecting");
        await using var media = await _source.OpenAsync(StreamName, position.Start, cancellationToken).ConfigureAwait(false);
        Stats.SetState("reading");
        var input = PipeReader.Create(media, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        var queue = Channel.CreateBounded<Item>(new BoundedChannelOptions(_options.MaxPendingWindows) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writer = Task.Run(() => WriteLoopAsync(queue.Reader, checkpointer, stop.Token), CancellationToken.None);
        using var readStop = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, drain);
        var handler = new Handler(this, position.SkipFragment, stop.Token);
        var parser = MkvAudioTrackReader.CreateParser();
        Exception? readError = null;
        try
        {
            while (true)
            {
                var read = await input.ReadAsync(readStop.Token).ConfigureAwait(false);
                handler.ArrivalTimestamp = _time.GetTimestamp();
                SequencePosition consumed;
                try
                {
                    consumed = parser.Feed(read.Buffer, read.IsCompleted, handler);
                    // Low delay: what this read decoded goes to the model now, not when a later read fills the window.
                    if (LowLatency) handler.FlushWindow();
                }
                finally
                {
                    // Windows made before a format error are still written and checkpointed.
                    await handler.DrainAsync(queue.Writer, readStop.Token).ConfigureAwait(false);
                }
                input.AdvanceTo(consumed, read.Buffer.End);
                if (read.IsCompleted || handler.SkipToNow || writer.IsCompleted) break;
            }
            if (!handler.SkipToNow && !writer.IsCompleted)
            {
                handler.Complete();
                await handler.DrainAsync(queue.Writer, stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (drain.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Graceful stop: what was read is still written and checkpointed below.
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            readError = ex;
        }
        finally
        {
            queue.Writer.TryComplete();
            handler.Dispose();
            await input.CompleteAsync().ConfigureAwait(false);
        }

        try
        {
            await writer.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not LeaseLostException && !cancellationToken.IsCancellationRequested)
        {
            PipelineMetrics.Error(ex is RecordSinkException ? "sink" : ex is InferenceException ? "inference" : "checkpoint");
            throw;
        }
        if (readError is not null && !(readError is OperationCanceledException && writer.IsFaulted))
        {
            PipelineMetrics.Error(readError is MkvFormatException ? "format" : "media");
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(readError).Throw();
        }
        Stats.SetState("ended");
        if (handler.SkipToNow) return ConnectionOutcome.SkipToNow;
        return handler.FramesSeen > 0 ? ConnectionOutcome.Ended : ConnectionOutcome.EndedEmpty;
    }

    private async Task WriteLoopAsync(ChannelReader<Item> queue, CheckpointHandler checkpointer, CancellationToken cancellationToken)
    {
        var records = new List<InferenceRecord>(MaxRecordsPerWrite);
        var written = new List<WindowItem>(MaxRecordsPerWrite);
        var pendingCheckpoints = new Queue<FragmentEndItem>();
        long ackedSamples = 0;
        try
        {
            while (await queue.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (records.Count < MaxRecordsPerWrite && queue.TryPeek(out var item))
                {
                    // Batch only what the model has answered: records already made are written rather than held while
                    // the model works through a backlog (a new lease owner replaying from its checkpoint).
                    if (records.Count > 0 && item is WindowItem { Prediction.IsCompleted: false }) break;
                    queue.TryRead(out _);
                    if (item is FragmentEndItem end)
                    {
                        pendingCheckpoints.Enqueue(end);
                        continue;
                    }
                    var window = (WindowItem)item;
                    InferencePrediction prediction;
                    try
                    {
                        prediction = await window.Prediction.WaitAsync(cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        window.ReturnPcm();
                    }
                    records.Add(MakeRecord(window, prediction));
                    written.Add(window);
                }

                if (records.Count > 0)
                {
                    try
                    {
                        await _sink.WriteAsync(records, cancellationToken).ConfigureAwait(false);
                    }
                    catch (RecordSinkException)
                    {
                        PipelineMetrics.RecordsFailed.Add(records.Count);
                        throw;
                    }
                    PipelineMetrics.RecordsWritten.Add(records.Count);
                    var now = _time.GetTimestamp();
                    long frames = 0;
                    foreach (var w in written)
                    {
                        var latency = _time.GetElapsedTime(w.ArrivalTimestamp, now).TotalMilliseconds;
                        PipelineMetrics.ProcessLatency.Record(latency);
                        Stats.RecordLatency(latency);
                        frames += w.Frames;
                        ackedSamples = w.CumulativeSamples;
                    }
                    foreach (var r in records)
                    {
                        if (r.IngestToProcessMs is { } ingest) PipelineMetrics.IngestToProcessLatency.Record(ingest);
                    }
                    PipelineMetrics.FramesProcessed.Add(frames);
                    Stats.AddWritten(records.Count, frames);
                    records.Clear();
                    written.Clear();
                }

                while (pendingCheckpoints.TryPeek(out var fragment) && fragment.CumulativeSamples <= ackedSamples)
                {
                    await checkpointer(new FragmentCheckpoint(fragment.Fragment.Number, fragment.Fragment.ProducerTimestamp), cancellationToken).ConfigureAwait(false);
                    pendingCheckpoints.Dequeue();
                    LastCheckpoint = fragment.Fragment.Number;
                    Stats.SetCheckpoint(fragment.Fragment.Number);
                }
            }
        }
        finally
        {
            // Predictions not consumed (error or cancellation): give their buffers back once the model is done.
            while (queue.TryRead(out var item))
            {
                if (item is WindowItem w) _ = w.Prediction.ContinueWith(_ => w.ReturnPcm(), TaskScheduler.Default);
            }
        }
    }

    private InferenceRecord MakeRecord(WindowItem window, InferencePrediction prediction)
    {
        var fragment = window.Fragment;
        double windowOffsetMs = fragment.FirstPcmNs is { } first ? Math.Max(0, (window.TimestampNs - first) / 1_000_000.0) : 0;
        double offsetMs = windowOffsetMs + FirstFrameShiftMs(window, prediction);
        double? ingestToProcess = null;
        if (fragment.ServerTimestamp is { } server)
        {
            // The window's audio reached KVS about `offset` after the fragment's server timestamp (live streams).
            ingestToProcess = Math.Max(0, (_time.GetUtcNow() - server).TotalMilliseconds - offsetMs);
        }
        return new InferenceRecord
        {
            StreamName = StreamName,
            FragmentNumber = fragment.Number,
            ProducerTimestamp = fragment.ProducerTimestamp?.ToUnixTimeMilliseconds(),
            ServerTimestamp = fragment.ServerTimestamp?.ToUnixTimeMilliseconds(),
            StartOffsetMs = Math.Round(offsetMs, 3),
            FrameRate = prediction.FrameRate,
            Frames = prediction.Frames,
            Model = _batcher.ModelName,
            IngestToProcessMs = ingestToProcess is { } v ? Math.Round(v, 1) : null,
            // Keyed by the window, not by where its frames are placed: a stream read again from a fragment's start (after
            // a lease hand-off) has a cold model state whose first window places no held-back frames, yet it is the same
            // window as the first owner's and must de-duplicate against it.
            RecordId = InferenceRecord.MakeRecordId(StreamName, fragment.Number, Math.Round(windowOffsetMs, 3)),
        };
    }

    /// <summary>
    /// Where the prediction's first frame lies relative to its window's start, in ms (0 or negative): a streaming model
    /// holds back the frames of its look-ahead and returns them with the next window, whose record must place them
    /// that much earlier (<see cref="InferencePrediction.FirstFrame"/> counts frames from the stream's first window).
    /// A first frame outside the last second (a model that restarted its stream, or a whole-clip answer) shifts nothing.
    /// </summary>
    private static double FirstFrameShiftMs(WindowItem window, InferencePrediction prediction)
    {
        if (prediction.FirstFrame <= 0 || prediction.FrameRate <= 0 || window.SampleRate <= 0) return 0;
        double windowStartMs = 1000.0 * (window.CumulativeSamples - window.SampleCount) / window.SampleRate;
        double shift = 1000.0 * prediction.FirstFrame / prediction.FrameRate - windowStartMs;
        return shift is <= 0 and >= -1000 ? shift : 0;
    }

    private enum ConnectionOutcome
    {
        Ended,
        EndedEmpty,
        SkipToNow,
    }

    private sealed class FragmentInfo(string number, DateTimeOffset? producer, DateTimeOffset? server)
    {
        public string Number { get; } = number;
        public DateTimeOffset? ProducerTimestamp { get; } = producer;
        public DateTimeOffset? ServerTimestamp { get; } = server;
        public long? FirstPcmNs { get; set; }
    }

    private abstract class Item;

    private sealed class FragmentEndItem(FragmentInfo fragment, long cumulativeSamples) : Item
    {
        public FragmentInfo Fragment { get; } = fragment;
        public long CumulativeSamples { get; } = cumulativeSamples;
    }

    private sealed class WindowItem : Item
    {
        private short[]? _pcm;

        public WindowItem(FragmentInfo fragment, long timestampNs, long cumulativeSamples, int sampleCount, int sampleRate, long arrival, int frames, short[] pcm, Task<InferencePrediction> prediction)
        {
            SampleCount = sampleCount;
            SampleRate = sampleRate;
            Fragment = fragment;
            TimestampNs = timestampNs;
            CumulativeSamples = cumulativeSamples;
            ArrivalTimestamp = arrival;
            Frames = frames;
            _pcm = pcm;
            Prediction = prediction;
        }

        public FragmentInfo Fragment { get; }
        public long TimestampNs { get; }
        public long CumulativeSamples { get; }
        public int SampleCount { get; }
        public int SampleRate { get; }
        public long ArrivalTimestamp { get; }
        public int Frames { get; }
        public Task<InferencePrediction> Prediction { get; }

        public void ReturnPcm()
        {
            var pcm = Interlocked.Exchange(ref _pcm, null);
            if (pcm is not null) ArrayPool<short>.Shared.Return(pcm);
        }
    }

    // Runs inside MkvStreamParser.Feed: parse callbacks -> track reader (decoder) -> windower -> inference submissions.
    private sealed class Handler : IMkvHandler, IPcmSink, IDisposable
    {
        private readonly StreamProcessor _owner;
        private readonly string? _skipFragment;
        private readonly CancellationToken _cancellationToken;
        private readonly List<Item> _ready = new();
        private readonly PcmWindower _windower;
        private readonly MkvAudioTrackReader _audio;
        private FragmentInfo _fragment = new("0", null, null);
        private bool _fragmentHasFrames;
        private bool _fragmentEnded;   // its end was queued (at its end-of-fragment tags); ended once only
        private bool _skipping;
        private long _samplesIn;
        private long _samplesWindowed;
        private long _framesInWindow;
        private long _windowSequence;

        public Handler(StreamProcessor owner, string? skipFragment, CancellationToken cancellationToken)
        {
            _owner = owner;
            _skipFragment = skipFragment;
            _cancellationToken = cancellationToken;
            _windower = new PcmWindower(owner._options.ModelSampleRate, 1,
                new PcmWindowerOptions { WindowDuration = owner._options.WindowDuration, DeliverPartialWindows = true }, OnWindow);
            _audio = new MkvAudioTrackReader(owner._decoders, new AudioTrackOptions { OutputSampleRate = owner._options.ModelSampleRate, Mono = true },
                this, owner._options.TrackNumber, Report);
        }

        public long ArrivalTimestamp { get; set; }
        public bool SkipToNow { get; private set; }
        public long FramesSeen { get; private set; }

        public void OnFragmentMetadata(MkvFragmentMetadata metadata)
        {
            if (metadata.MillisBehindNow is { } behind)
            {
                PipelineMetrics.MillisBehindNow.Record(behind);
                _owner.Stats.SetMillisBehindNow(behind);
                if (_owner._options.SkipToNowWhenBehind is { } limit && behind > limit.TotalMilliseconds && !SkipToNow)
                {
                    _owner._logger.LogWarning("Stream {Stream} is {Behind} ms behind live (limit {Limit}): skipping ahead to now", _owner.StreamName, behind, limit.TotalMilliseconds);
                    SkipToNow = true;
                }
            }
            if (metadata.HasError)
            {
                PipelineMetrics.Error("media");
                _owner._logger.LogWarning("Stream {Stream}: KVS reported error {Code} ({Id}) in fragment {Fragment}", _owner.StreamName, metadata.ErrorCode, metadata.ErrorId, metadata.FragmentNumber);
            }
            if (metadata.FragmentNumber is not { } number) return;
            if (number == _fragment.Number)
            {
                // KVS's tags after the Cluster: every frame of the fragment is in, so its last window is cut and the
                // fragment checkpointed now, not when the next fragment begins (a producer that stopped sends none).
                if (metadata.IsEndOfFragment)
                {
                    _windower.Flush();
                    EndFragment();
                }
                return;
            }
            // Windows never span fragments: each fragment's windows start at its first sample, so a processor resuming
            // after a checkpoint cuts the very windows (and record ids) its predecessor cut, and consumers can de-duplicate.
            _windower.Flush();
            EndFragment();
            _fragment = new FragmentInfo(number, metadata.ProducerTimestamp, metadata.ServerTimestamp);
            _fragmentEnded = false;
            _skipping = number == _skipFragment;
        }

        public void OnTrack(MkvTrackInfo track) => _audio.OnTrack(track);

        public void OnFrame(in MkvFrame frame)
        {
            if (!_audio.IsDecoding(frame.TrackNumber)) return;
            FramesSeen++;
            PipelineMetrics.FramesReceived.Add(1);
            _owner.Stats.AddReceived(1);
            if (_skipping)
            {
                return;
            }
            _fragmentHasFrames = true;
            // A frame after the end-of-fragment tags (not what KVS sends) reopens the fragment, so its samples are counted.
            _fragmentEnded = false;
            if (_audio.Decode(frame)) _framesInWindow++;
        }

        private void Report(AudioTrackProblem problem)
        {
            PipelineMetrics.Error("decode");
            if (problem.Kind == AudioTrackProblemKind.FrameFailed)
            {
                PipelineMetrics.FramesDropped.Add(1);
                _owner._logger.LogDebug("Stream {Stream}: {Problem}", _owner.StreamName, problem.Message);
            }
            else
            {
                _owner._logger.LogWarning("Stream {Stream}: {Problem}", _owner.StreamName, problem.Message);
            }
        }

        void IPcmSink.OnPcm(ReadOnlySpan<short> samples, long timestampNs)
        {
            _fragment.FirstPcmNs ??= timestampNs;
            _samplesIn += samples.Length;
            _windower.OnPcm(samples, timestampNs);
        }

        void IPcmSink.OnDiscontinuity(long endNs, long nextStartNs) => _windower.OnDiscontinuity(endNs, nextStartNs);

        void IPcmSink.OnEndOfStream() => _windower.OnEndOfStream();

        private void OnWindow(PcmWindow window)
        {
            var pcm = ArrayPool<short>.Shared.Rent(window.Samples.Length);
            window.Samples.CopyTo(pcm);
            _samplesWindowed += window.Samples.Length;
            var instance = new InferenceInstance
            {
                Id = string.Concat(_owner.StreamName, "#", (_windowSequence++).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                StreamKey = _owner.StreamName,
                SampleRate = window.SampleRate,
                Pcm = pcm.AsMemory(0, window.Samples.Length),
                Urgent = _owner.LowLatency,
            };
            var prediction = _owner._batcher.InferAsync(instance, _cancellationToken);
            // The windower is flushed at every fragment boundary, so a window always belongs to the current fragment.
            _ready.Add(new WindowItem(_fragment, window.TimestampNs, _samplesWindowed, window.Samples.Length, window.SampleRate, ArrivalTimestamp, (int)_framesInWindow, pcm, prediction));
            _framesInWindow = 0;
        }

        private void EndFragment()
        {
            if (_fragmentEnded) return;
            if (_fragmentHasFrames || _fragment.Number != "0")
            {
                _ready.Add(new FragmentEndItem(_fragment, _samplesIn));
            }
            _fragmentHasFrames = false;
            _fragmentEnded = true;
        }

        /// <summary>Cuts a (partial) window of every sample decoded so far.</summary>
        public void FlushWindow() => _windower.Flush();

        public void Complete()
        {
            _audio.Complete();
            EndFragment();
        }

        public async ValueTask DrainAsync(ChannelWriter<Item> writer, CancellationToken cancellationToken)
        {
            foreach (var item in _ready)
            {
                await writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
            }
            _ready.Clear();
        }

        public void Dispose() => _audio.Dispose();
    }
}
