using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace KvsInference.Inference;

/// <summary>
/// Collects audio windows from every stream of a worker into batched inference requests.
/// </summary>
/// <remarks>
/// <para>A batch is sent when it holds <see cref="InferenceBatcherOptions.MaxBatchWindows"/> windows or
/// <see cref="InferenceBatcherOptions.MaxBatchBytes"/> bytes, or when its first window has waited
/// <see cref="InferenceBatcherOptions.MaxWait"/>. Up to <see cref="InferenceBatcherOptions.MaxConcurrentBatches"/>
/// requests run at once; while they do, the next batch fills up, so batches grow with load.</para>
/// <para>Order per stream: windows with the same <see cref="InferenceInstance.StreamKey"/> reach the model in the
/// order they were submitted and never in two requests at once, because a model may keep per-stream state.
/// A window whose stream is in flight waits for the next batch.</para>
/// <para>Backpressure: the queue is bounded; <see cref="InferAsync"/> waits while it is full, so a slow model
/// slows the readers instead of growing memory.</para>
/// </remarks>
public sealed class InferenceBatcher : IAsyncDisposable
{
    private readonly IInferenceClient _client;
    private readonly InferenceBatcherOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<Pending> _queue;
    private readonly SemaphoreSlim _slots;
    private readonly Channel<bool> _freed = Channel.CreateUnbounded<bool>();
    private readonly HashSet<string> _busyKeys = new(StringComparer.Ordinal);
    private readonly List<Pending> _deferred = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _inFlight;

    private static readonly Meter Meter = new("KvsInference.Inference");
    private static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("kvsi.inference.batch_size", "{window}", "Windows per inference request.");
    private static readonly Histogram<double> Latency = Meter.CreateHistogram<double>("kvsi.inference.latency", "ms", "Duration of one inference request.");
    private static readonly Counter<long> Failures = Meter.CreateCounter<long>("kvsi.inference.failures", "{request}", "Inference requests that failed.");

    /// <summary>Creates the batcher and starts its dispatch loop.</summary>
    /// <param name="client">The model to call.</param>
    /// <param name="options">Batching limits.</param>
    /// <param name="timeProvider">The clock for <see cref="InferenceBatcherOptions.MaxWait"/>.</param>
    /// <param name="logger">The logger.</param>
    public InferenceBatcher(IInferenceClient client, InferenceBatcherOptions options, TimeProvider timeProvider, ILogger<InferenceBatcher> logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _options = options;
        _time = timeProvider;
        _logger = logger;
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _slots = new SemaphoreSlim(options.MaxConcurrentBatches, options.MaxConcurrentBatches);
        _loop = Task.Run(DispatchLoopAsync);
    }

    /// <summary>Gets the name of the model behind this batcher.</summary>
    public string ModelName => _client.ModelName;

    /// <summary>Queues one window and returns its prediction once its batch has been answered.</summary>
    /// <param name="instance">The window.</param>
    /// <param name="cancellationToken">Stops waiting; the window may still be sent.</param>
    /// <returns>The model's prediction for this window.</returns>
    /// <exception cref="InferenceException">The request that carried the window failed, or the model did not answer for it.</exception>
    /// <exception cref="ObjectDisposedException">The batcher is shut down.</exception>
    public async Task<InferencePrediction> InferAsync(InferenceInstance instance, CancellationToken cancellationToken)
    {
        var pending = new Pending(instance);
        try
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(InferenceBatcher));
        }
        return await pending.Result.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task DispatchLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>(_options.MaxBatchWindows);
        var blocked = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            while (true)
            {
                await _slots.WaitAsync(_stop.Token).ConfigureAwait(false);
                while (_freed.Reader.TryRead(out _)) { }
                batch.Clear();
                blocked.Clear();
                long bytes = 0;
                lock (_busyKeys)
                {
                    blocked.UnionWith(_busyKeys);
                    TakeDeferred(batch, blocked, ref bytes);
                }

                long firstAt = batch.Count > 0 ? _time.GetTimestamp() : 0;
                var restart = false;
                while (batch.Count < _options.MaxBatchWindows && bytes < _options.MaxBatchBytes)
                {
                    if (reader.TryRead(out var next))
                    {
                        Admit(next, batch, blocked, ref bytes);
                        if (firstAt == 0 && batch.Count > 0) firstAt = _time.GetTimestamp();
                        continue;
                    }
                    if (batch.Count == 0)
                    {
                        if (reader.Completion.IsCompleted)
                        {
                            if (_deferred.Count == 0 && Volatile.Read(ref _inFlight) == 0) return;
                            // Draining: what is left waits for requests in flight to free its streams.
                            await _freed.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false);
                            restart = true;
                            break;
                        }
                        // Nothing sendable yet: wait for a new window, or for a request to finish and free its streams.
                        var arrived = reader.WaitToReadAsync(_stop.Token).AsTask();
                        var freed = _freed.Reader.WaitToReadAsync(_stop.Token).AsTask();
                        var first = await Task.WhenAny(arrived, freed).ConfigureAwait(false);
                        await first.ConfigureAwait(false);
                        if (first == freed)
                        {
                            restart = true;
                            break;
                        }
                        continue;
                    }
                    var left = _options.MaxWait - _time.GetElapsedTime(firstAt);
                    if (left <= TimeSpan.Zero || reader.Completion.IsCompleted || batch.Exists(p => p.Instance.Urgent)) break;
                    using var delay = new CancellationTokenSource(left, _time);
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, delay.Token);
                    try
                    {
                        if (!await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false)) break;
                    }
                    catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
                    {
                        break;
                    }
                }

                if (restart || batch.Count == 0)
                {
                    _slots.Release();
                    continue;
                }
                var toSend = batch.ToArray();
                lock (_busyKeys)
                {
                    foreach (var p in toSend)
                    {
                        if (p.Instance.StreamKey is { } key) _busyKeys.Add(key);
                    }
                }
                Interlocked.Increment(ref _inFlight);
                _ = SendAsync(toSend);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    // Takes deferred windows whose stream is free, keeping per-stream order: once one window of a stream
    // stays behind, every later window of that stream stays behind too.
    private void TakeDeferred(List<Pending> batch, HashSet<string> blocked, ref long bytes)
    {
        for (var i = 0; i < _deferred.Count && batch.Count < _options.MaxBatchWindows && bytes < _options.MaxBatchBytes;)
        {
            var p = _deferred[i];
            if (p.Instance.StreamKey is { } key && blocked.Contains(key))
            {
                i++;
                continue;
            }
            _deferred.RemoveAt(i);
            batch.Add(p);
            bytes += p.Instance.Pcm.Length * sizeof(short);
        }
        foreach (var p in _deferred)
        {
            if (p.Instance.StreamKey is { } key) blocked.Add(key);
        }
    }

    private void Admit(Pending next, List<Pending> batch, HashSet<string> blocked, ref long bytes)
    {
        if (next.Instance.StreamKey is { } key && blocked.Contains(key))
        {
            _deferred.Add(next);
            return;
        }
        batch.Add(next);
        bytes += next.Instance.Pcm.Length * sizeof(short);
    }

    private async Task SendAsync(Pending[] batch)
    {
        var started = _time.GetTimestamp();
        try
        {
            var instances = new InferenceInstance[batch.Length];
            for (var i = 0; i < batch.Length; i++) instances[i] = batch[i].Instance;
            var predictions = await _client.InferAsync(instances, _stop.Token).ConfigureAwait(false);
            var byId = new Dictionary<string, InferencePrediction>(predictions.Count, StringComparer.Ordinal);
            foreach (var p in predictions) byId[p.Id] = p;
            foreach (var p in batch)
            {
                if (byId.TryGetValue(p.Instance.Id, out var prediction)) p.Result.TrySetResult(prediction);
                else p.Result.TrySetException(new InferenceException($"The model returned no prediction for window '{p.Instance.Id}'."));
            }
            BatchSize.Record(batch.Length);
            Latency.Record(_time.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception ex)
        {
            Failures.Add(1);
            _logger.LogWarning(ex, "Inference request of {Count} windows failed", batch.Length);
            var error = ex as InferenceException ?? new InferenceException($"Inference request of {batch.Length} windows failed: {ex.Message}", ex);
            foreach (var p in batch) p.Result.TrySetException(error);
        }
        finally
        {
            lock (_busyKeys)
            {
                foreach (var p in batch)
                {
                    if (p.Instance.StreamKey is { } key) _busyKeys.Remove(key);
                }
            }
            Interlocked.Decrement(ref _inFlight);
            _slots.Release();
            _freed.Writer.TryWrite(true);
        }
    }

    /// <summary>Stops accepting windows, sends what is queued, and waits for requests in flight.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("Inference batcher did not drain within 30 s; abandoning queued windows");
        }
        _stop.Cancel();
        foreach (var p in _deferred) p.Result.TrySetException(new ObjectDisposedException(nameof(InferenceBatcher)));
        while (_queue.Reader.TryRead(out var p)) p.Result.TrySetException(new ObjectDisposedException(nameof(InferenceBatcher)));
        _stop.Dispose();
    }

    private sealed class Pending(InferenceInstance instance)
    {
        public InferenceInstance Instance { get; } = instance;
        public TaskCompletionSource<InferencePrediction> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>Thrown when an inference request fails or misses a window.</summary>
public sealed class InferenceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InferenceException(string message, Exception? inner = null) : base(message, inner) { }
}
