using KvsInference.Inference;
using KvsInference.Matroska;
using KvsInference.Sinks;

namespace KvsInference.Pipeline;

/// <summary>
/// One stream's figures: every event is counted once here, into both the process-wide instruments
/// (<see cref="PipelineMetrics"/>) and the stream's live <see cref="StreamProcessorStats"/>.
/// </summary>
internal sealed class StreamMetrics(StreamProcessorStats stats, TimeProvider time)
{
    public void SetState(string state) => stats.SetState(state);

    public void MillisBehindNow(long behindMs)
    {
        PipelineMetrics.MillisBehindNow.Record(behindMs);
        stats.SetMillisBehindNow(behindMs);
    }

    public void FrameReceived()
    {
        PipelineMetrics.FramesReceived.Add(1);
        stats.AddReceived(1);
    }

    public void FrameDropped() => PipelineMetrics.FramesDropped.Add(1);

    public void Error(PipelineErrorKind kind) => PipelineMetrics.Error(kind);

    /// <summary>Counts the error that ended the writing stage: the sink, the model, or else the checkpoint.</summary>
    public void WriterFailed(Exception error) => Error(error switch
    {
        RecordSinkException => PipelineErrorKind.Sink,
        InferenceException => PipelineErrorKind.Inference,
        _ => PipelineErrorKind.Checkpoint,
    });

    /// <summary>Counts the error that ended the reading stage: malformed media, or else the media source.</summary>
    public void ReaderFailed(Exception error) => Error(error is MkvFormatException ? PipelineErrorKind.Format : PipelineErrorKind.Media);

    public void RecordsFailed(int records) => PipelineMetrics.RecordsFailed.Add(records);

    /// <summary>Counts records the sink acknowledged, with the windows they came from (same order, same count).</summary>
    public void RecordsAcknowledged(IReadOnlyList<WindowItem> windows, IReadOnlyList<InferenceRecord> records)
    {
        PipelineMetrics.RecordsWritten.Add(records.Count);
        var now = time.GetTimestamp();
        long frames = 0;
        foreach (var w in windows)
        {
            var latency = time.GetElapsedTime(w.ArrivalTimestamp, now).TotalMilliseconds;
            PipelineMetrics.ProcessLatency.Record(latency);
            stats.RecordLatency(latency);
            frames += w.Frames;
        }
        foreach (var r in records)
        {
            if (r.IngestToProcessMs is { } ingest) PipelineMetrics.IngestToProcessLatency.Record(ingest);
        }
        PipelineMetrics.FramesProcessed.Add(frames);
        stats.AddWritten(records.Count, frames);
    }

    public void Checkpointed(string fragment) => stats.SetCheckpoint(fragment);
}
