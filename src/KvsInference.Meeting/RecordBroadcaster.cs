using System.Collections.Concurrent;
using System.Threading.Channels;
using KvsInference.Sinks;

namespace KvsInference.Meeting;

/// <summary>
/// A record sink decorator that hands every record, once the inner sink has acknowledged it, to the pages watching
/// its stream (the meeting's avatar). Watchers never slow the worker: each has a bounded queue that drops its oldest
/// records when the page falls behind (a live avatar has no use for stale frames).
/// </summary>
public sealed class RecordBroadcaster : IRecordSink
{
    private readonly IRecordSink? _inner;
    private readonly int _queueLength;
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Channel<InferenceRecord>, byte>> _watchers = new(StringComparer.Ordinal);

    /// <summary>Wraps a sink.</summary>
    /// <param name="inner">The durable sink (file, Kinesis); records are broadcast only after it acknowledged them.</param>
    /// <param name="queueLength">Records queued per watcher before the oldest are dropped.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="queueLength"/> is below 1.</exception>
    public RecordBroadcaster(IRecordSink inner, int queueLength = MeetingConstants.DefaultRecordQueueLength)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThan(queueLength, 1);
        _inner = inner;
        _queueLength = queueLength;
    }

    /// <summary>
    /// Creates a broadcaster with no sink behind it, fed by <see cref="Publish"/>: the peer service in AWS mode, where the
    /// workers write the records to Kinesis elsewhere and <see cref="KinesisRecordReader"/> reads them back.
    /// </summary>
    /// <param name="queueLength">Records queued per watcher before the oldest are dropped.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="queueLength"/> is below 1.</exception>
    public RecordBroadcaster(int queueLength = MeetingConstants.DefaultRecordQueueLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queueLength, 1);
        _queueLength = queueLength;
    }

    /// <summary>Gets the number of records dropped because a watcher was too slow.</summary>
    public long DroppedRecords => Interlocked.Read(ref _dropped);

    private long _dropped;

    /// <inheritdoc />
    public async Task WriteAsync(IReadOnlyList<InferenceRecord> records, CancellationToken cancellationToken)
    {
        if (_inner is not null) await _inner.WriteAsync(records, cancellationToken).ConfigureAwait(false);
        Publish(records);
    }

    /// <summary>Hands records to the pages watching their streams (records already durable elsewhere).</summary>
    /// <param name="records">The records, in order per stream.</param>
    public void Publish(IReadOnlyList<InferenceRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        foreach (var record in records)
        {
            if (!_watchers.TryGetValue(record.StreamName, out var watchers)) continue;
            foreach (var channel in watchers.Keys)
            {
                if (!channel.Writer.TryWrite(record)) Interlocked.Increment(ref _dropped);
            }
        }
    }

    /// <summary>Starts watching one stream's records; dispose the subscription to stop.</summary>
    /// <param name="streamName">The KVS stream name.</param>
    /// <returns>The subscription; read its <see cref="RecordSubscription.Reader"/>.</returns>
    public RecordSubscription Subscribe(string streamName)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamName);
        var channel = Channel.CreateBounded<InferenceRecord>(new BoundedChannelOptions(_queueLength)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        }, _ => Interlocked.Increment(ref _dropped));
        var watchers = _watchers.GetOrAdd(streamName, _ => new ConcurrentDictionary<Channel<InferenceRecord>, byte>());
        watchers[channel] = 0;
        return new RecordSubscription(channel.Reader, () =>
        {
            watchers.TryRemove(channel, out _);
            channel.Writer.TryComplete();
        });
    }
}

/// <summary>One page's view of a stream's records.</summary>
public sealed class RecordSubscription : IDisposable
{
    private readonly Action _unsubscribe;
    private int _disposed;

    internal RecordSubscription(ChannelReader<InferenceRecord> reader, Action unsubscribe)
    {
        Reader = reader;
        _unsubscribe = unsubscribe;
    }

    /// <summary>Gets the records, in the order the sink acknowledged them.</summary>
    public ChannelReader<InferenceRecord> Reader { get; }

    /// <summary>Stops the subscription.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _unsubscribe();
    }
}
