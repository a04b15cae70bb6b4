using System.Threading.Channels;

namespace KvsInference.Sinks;

/// <summary>Options of <see cref="CoalescingRecordSink"/>.</summary>
public sealed class CoalescingRecordSinkOptions
{
    /// <summary>Gets or sets the most records handed to the inner sink in one write.</summary>
    /// <value>The default value is 500, the Kinesis PutRecords limit.</value>
    public int MaxRecords { get; set; } = 500;

    /// <summary>Gets or sets how long the first record of a write may wait for company.</summary>
    /// <value>The default value is 10 ms.</value>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromMilliseconds(10);
}

/// <summary>
/// Merges the writes of many streams into fewer, larger writes of an inner sink (one Kinesis PutRecords
/// for hundreds of streams instead of one per stream), and completes each caller's write when the inner
/// write that carried its records is acknowledged.
/// </summary>
/// <remarks>
/// Order per stream is kept because each stream awaits its write before the next one, and records of
/// one caller stay together and in order. One inner write runs at a time; callers arriving meanwhile form
/// the next write, so writes grow with load.
/// </remarks>
public sealed class CoalescingRecordSink : IRecordSink, IAsyncDisposable
{
    private readonly IRecordSink _inner;
    private readonly CoalescingRecordSinkOptions _options;
    private readonly TimeProvider _time;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    /// <summary>Creates the sink and starts its write loop.</summary>
    /// <param name="inner">The sink that does the writing.</param>
    /// <param name="options">Limits.</param>
    /// <param name="timeProvider">The clock for <see cref="CoalescingRecordSinkOptions.MaxWait"/>.</param>
    public CoalescingRecordSink(IRecordSink inner, CoalescingRecordSinkOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxRecords, 1);
        _inner = inner;
        _options = options;
        _time = timeProvider;
        _loop = Task.Run(WriteLoopAsync);
    }

    /// <inheritdoc />
    public async Task WriteAsync(IReadOnlyList<InferenceRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0) return;
        var pending = new Pending(records);
        if (!_queue.Writer.TryWrite(pending)) throw new ObjectDisposedException(nameof(CoalescingRecordSink));
        await pending.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var group = new List<Pending>();
        var records = new List<InferenceRecord>(_options.MaxRecords);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            group.Clear();
            records.Clear();
            var started = _time.GetTimestamp();
            while (records.Count < _options.MaxRecords)
            {
                if (reader.TryPeek(out var next))
                {
                    // A caller's records travel together; an oversized caller goes alone.
                    if (records.Count > 0 && records.Count + next.Records.Count > _options.MaxRecords) break;
                    reader.TryRead(out _);
                    group.Add(next);
                    records.AddRange(next.Records);
                    continue;
                }
                var left = _options.MaxWait - _time.GetElapsedTime(started);
                if (left <= TimeSpan.Zero) break;
                using var delay = new CancellationTokenSource(left, _time);
                try
                {
                    if (!await reader.WaitToReadAsync(delay.Token).ConfigureAwait(false)) break;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            try
            {
                await _inner.WriteAsync(records.ToArray(), CancellationToken.None).ConfigureAwait(false);
                foreach (var p in group) p.Done.TrySetResult();
            }
            catch (Exception ex)
            {
                foreach (var p in group) p.Done.TrySetException(ex);
            }
        }
    }

    /// <summary>Stops accepting records and waits until every accepted record is written.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private sealed class Pending(IReadOnlyList<InferenceRecord> records)
    {
        public IReadOnlyList<InferenceRecord> Records { get; } = records;
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
