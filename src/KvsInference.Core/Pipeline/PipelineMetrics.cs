using System.Diagnostics.Metrics;

namespace KvsInference.Pipeline;

/// <summary>
/// The pipeline's instruments (meter <c>KvsInference.Pipeline</c>). The EMF exporter names them FramesReceived,
/// FramesProcessed, FramesDropped, ProcessLatencyMs, IngestToProcessLatencyMs, MillisBehindNow, RecordsWritten,
/// RecordsFailed and Errors (tag <c>error.kind</c>).
/// </summary>
public static class PipelineMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "KvsInference.Pipeline";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Audio frames (compressed packets) read from media.</summary>
    public static readonly Counter<long> FramesReceived = Meter.CreateCounter<long>("kvsi.frames.received", "{frame}");

    /// <summary>Audio frames whose windows were written to the sink.</summary>
    public static readonly Counter<long> FramesProcessed = Meter.CreateCounter<long>("kvsi.frames.processed", "{frame}");

    /// <summary>Audio frames not processed: corrupt packets, unsupported tracks, or skipped to catch up with live.</summary>
    public static readonly Counter<long> FramesDropped = Meter.CreateCounter<long>("kvsi.frames.dropped", "{frame}");

    /// <summary>Time from a window's last audio arriving at the worker to its record being acknowledged by the sink.</summary>
    public static readonly Histogram<double> ProcessLatency = Meter.CreateHistogram<double>("kvsi.pipeline.process_latency", "ms");

    /// <summary>Time from the fragment's server (ingest) timestamp to the record being acknowledged (KIT's IngestToProcessLatency).</summary>
    public static readonly Histogram<double> IngestToProcessLatency = Meter.CreateHistogram<double>("kvsi.pipeline.ingest_to_process_latency", "ms");

    /// <summary>How far behind live a stream is, as KVS reports it (AWS_KINESISVIDEO_MILLIS_BEHIND_NOW).</summary>
    public static readonly Histogram<double> MillisBehindNow = Meter.CreateHistogram<double>("kvsi.pipeline.millis_behind_now", "ms");

    /// <summary>Inference records acknowledged by the sink.</summary>
    public static readonly Counter<long> RecordsWritten = Meter.CreateCounter<long>("kvsi.records.written", "{record}");

    /// <summary>Inference records the sink gave up on (the stream then reprocesses from its checkpoint).</summary>
    public static readonly Counter<long> RecordsFailed = Meter.CreateCounter<long>("kvsi.records.failed", "{record}");

    /// <summary>Errors by kind (tag <c>error.kind</c>: media, format, decode, inference, sink, checkpoint).</summary>
    public static readonly Counter<long> Errors = Meter.CreateCounter<long>("kvsi.errors", "{error}");

    /// <summary>Counts one error of a kind.</summary>
    /// <param name="kind">The kind; its tag value is <see cref="PipelineErrorKinds.TagValue"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a defined kind.</exception>
    public static void Error(PipelineErrorKind kind) => Errors.Add(1, new KeyValuePair<string, object?>("error.kind", kind.TagValue()));
}
