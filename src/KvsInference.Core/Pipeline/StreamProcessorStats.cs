namespace KvsInference.Pipeline;

/// <summary>Live figures of one stream processor, safe to read from any thread.</summary>
public sealed class StreamProcessorStats
{
    private long _framesReceived;
    private long _framesProcessed;
    private long _recordsWritten;
    private long _lastLatencyMicros = -1;
    private long _millisBehindNow = -1;
    private string _state = "starting";
    private string? _checkpoint;

    /// <summary>Gets the audio frames read so far.</summary>
    public long FramesReceived => Interlocked.Read(ref _framesReceived);

    /// <summary>Gets the audio frames whose records were acknowledged.</summary>
    public long FramesProcessed => Interlocked.Read(ref _framesProcessed);

    /// <summary>Gets the records acknowledged by the sink.</summary>
    public long RecordsWritten => Interlocked.Read(ref _recordsWritten);

    /// <summary>Gets the latest arrival-to-acknowledgement latency in ms, or null before the first record.</summary>
    public double? LastLatencyMs => Interlocked.Read(ref _lastLatencyMicros) is var v && v >= 0 ? v / 1000.0 : null;

    /// <summary>Gets the latest MillisBehindNow KVS reported, or null.</summary>
    public long? MillisBehindNow => Interlocked.Read(ref _millisBehindNow) is var v && v >= 0 ? v : null;

    /// <summary>Gets what the processor is doing: starting, connecting, reading, ended.</summary>
    public string State => Volatile.Read(ref _state);

    /// <summary>Gets the last checkpointed fragment, or null.</summary>
    public string? Checkpoint => Volatile.Read(ref _checkpoint);

    internal void AddReceived(long frames) => Interlocked.Add(ref _framesReceived, frames);

    internal void AddWritten(long records, long frames)
    {
        Interlocked.Add(ref _recordsWritten, records);
        Interlocked.Add(ref _framesProcessed, frames);
    }

    internal void RecordLatency(double ms) => Interlocked.Exchange(ref _lastLatencyMicros, (long)(ms * 1000));

    internal void SetMillisBehindNow(long ms) => Interlocked.Exchange(ref _millisBehindNow, ms);

    internal void SetState(string state) => Volatile.Write(ref _state, state);

    internal void SetCheckpoint(string fragment) => Volatile.Write(ref _checkpoint, fragment);
}
