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
public sealed partial class StreamProcessor
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
    private readonly StreamMetrics _metrics;

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
        _metrics = new StreamMetrics(Stats, timeProvider);
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
        _metrics.SetState("connecting");
        await using var media = await _source.OpenAsync(StreamName, position.Start, cancellationToken).ConfigureAwait(false);
        _metrics.SetState("reading");
        var input = PipeReader.Create(media, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        var queue = Channel.CreateBounded<PipelineItem>(new BoundedChannelOptions(_options.MaxPendingWindows) { SingleReader = true, SingleWriter = true });
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
            _metrics.WriterFailed(ex);
            throw;
        }
        if (readError is not null && !(readError is OperationCanceledException && writer.IsFaulted))
        {
            _metrics.ReaderFailed(readError);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(readError).Throw();
        }
        _metrics.SetState("ended");
        if (handler.SkipToNow) return ConnectionOutcome.SkipToNow;
        return handler.FramesSeen > 0 ? ConnectionOutcome.Ended : ConnectionOutcome.EndedEmpty;
    }

    private async Task WriteLoopAsync(ChannelReader<PipelineItem> queue, CheckpointHandler checkpointer, CancellationToken cancellationToken)
    {
        var records = new List<InferenceRecord>(MaxRecordsPerWrite);
        var written = new List<WindowItem>(MaxRecordsPerWrite);
        var checkpoints = new PendingCheckpoints();
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
                        checkpoints.Add(end);
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
                        _metrics.RecordsFailed(records.Count);
                        throw;
                    }
                    _metrics.RecordsAcknowledged(written, records);
                    checkpoints.Acknowledge(written[^1].CumulativeSamples);
                    records.Clear();
                    written.Clear();
                }

                while (checkpoints.TryPeekDue(out var fragment))
                {
                    await checkpointer(new FragmentCheckpoint(fragment.Number, fragment.ProducerTimestamp), cancellationToken).ConfigureAwait(false);
                    checkpoints.RemoveDue();
                    LastCheckpoint = fragment.Number;
                    _metrics.Checkpointed(fragment.Number);
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
}
