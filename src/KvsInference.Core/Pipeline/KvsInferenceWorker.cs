using System.Collections.Concurrent;
using KvsInference.Leases;
using Microsoft.Extensions.Logging;

namespace KvsInference.Pipeline;

/// <summary>Options of the <see cref="KvsInferenceWorker"/>.</summary>
public sealed class KvsInferenceWorkerOptions
{
    /// <summary>Gets or sets how long a graceful shutdown may take to drain, checkpoint and release every stream.</summary>
    /// <value>The default value is 25 s, inside ECS's 30 s stop timeout.</value>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(25);
}

/// <summary>
/// The worker loop: runs a <see cref="StreamProcessor"/> for every lease the <see cref="LeaseCoordinator"/> holds,
/// stops it when the lease is lost, and hands every stream off gracefully on shutdown.
/// </summary>
/// <remarks>
/// <para>A stream's processor stops at once when its lease is lost (its token is cancelled by the coordinator, and a
/// checkpoint by a worker without the lease fails), so two workers never both write checkpoints of one stream.</para>
/// <para>Shutdown (the token of <see cref="RunAsync"/>, SIGTERM on ECS): every processor stops reading, finishes the
/// windows it has read, writes them and checkpoints; then its lease is released so another worker takes it at its
/// next take cycle. Whatever is not done within <see cref="KvsInferenceWorkerOptions.ShutdownTimeout"/> is abandoned
/// and redone by the next owner from the checkpoint.</para>
/// <para>A stream that fails does not stop the others: its processor reconnects on its own.</para>
/// </remarks>
public sealed class KvsInferenceWorker
{
    private readonly LeaseCoordinator _coordinator;
    private readonly Func<string, StreamProcessor> _createProcessor;
    private readonly KvsInferenceWorkerOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Running> _running = new(StringComparer.Ordinal);

    /// <summary>Creates the worker.</summary>
    /// <param name="coordinator">The lease coordinator (not yet started).</param>
    /// <param name="createProcessor">Makes the processor of a stream, by stream name.</param>
    /// <param name="options">Shutdown settings.</param>
    /// <param name="logger">The logger.</param>
    public KvsInferenceWorker(LeaseCoordinator coordinator, Func<string, StreamProcessor> createProcessor, KvsInferenceWorkerOptions options, ILogger<KvsInferenceWorker> logger)
    {
        _coordinator = coordinator ?? throw new ArgumentNullException(nameof(coordinator));
        _createProcessor = createProcessor ?? throw new ArgumentNullException(nameof(createProcessor));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _logger = logger;
    }

    /// <summary>Gets the processors of the streams this worker holds now, by stream name.</summary>
    public IReadOnlyCollection<StreamProcessor> Processors => _running.Values.Select(r => r.Processor).ToList();

    /// <summary>Gets the worker id of the lease coordinator.</summary>
    public string WorkerId => _coordinator.WorkerId;

    /// <summary>Runs until <paramref name="stoppingToken"/> is cancelled, then shuts down gracefully.</summary>
    /// <param name="stoppingToken">Starts the graceful shutdown.</param>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        await _coordinator.StartAsync(stoppingToken).ConfigureAwait(false);
        try
        {
            await foreach (var notification in _coordinator.Notifications.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                switch (notification)
                {
                    case LeaseAcquired acquired:
                        Start(acquired);
                        break;
                    case LeaseLost lost when _running.TryGetValue(lost.LeaseKey, out var running):
                        _logger.LogInformation("Lease {Lease} lost ({Reason}): stopping its processor", lost.LeaseKey, lost.Reason);
                        running.Stop.Cancel();
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await ShutdownAsync().ConfigureAwait(false);
    }

    private void Start(LeaseAcquired acquired)
    {
        var lease = acquired.Lease;
        if (_running.TryRemove(lease.LeaseKey, out var stale)) stale.Stop.Cancel();
        var processor = _createProcessor(lease.StreamName);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(acquired.LeaseToken);
        var drain = new CancellationTokenSource();
        var running = new Running(processor, stop, drain);
        _running[lease.LeaseKey] = running;
        _logger.LogInformation("Processing stream {Stream} from checkpoint {Checkpoint} ({How})", lease.StreamName, lease.Checkpoint ?? "(none)", acquired.Acquisition);
        running.Task = Task.Run(async () =>
        {
            try
            {
                await processor.RunAsync(lease.Checkpoint,
                    (checkpoint, ct) => acquired.Checkpointer.CheckpointAsync(checkpoint.FragmentNumber, checkpoint.ProducerTimestamp, ct),
                    stop.Token, drain.Token).ConfigureAwait(false);
            }
            catch (LeaseLostException e)
            {
                _logger.LogWarning("Stream {Stream}: {Message}; stopped", lease.StreamName, e.Message);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Stream {Stream}: processor failed", lease.StreamName);
            }
            finally
            {
                _running.TryRemove(new KeyValuePair<string, Running>(lease.LeaseKey, running));
            }
        });
    }

    private async Task ShutdownAsync()
    {
        using var timeout = new CancellationTokenSource(_options.ShutdownTimeout);
        _logger.LogInformation("Worker {Worker} shutting down: draining {Count} streams", WorkerId, _running.Count);
        try
        {
            await _coordinator.ShutdownAsync(async (lease, ct) =>
            {
                if (!_running.TryGetValue(lease.LeaseKey, out var running) || running.Task is null) return;
                running.Drain.Cancel();
                await running.Task.WaitAsync(ct).ConfigureAwait(false);
            }, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _logger.LogWarning("Shutdown did not finish within {Timeout}; remaining leases will expire", _options.ShutdownTimeout);
        }
        foreach (var running in _running.Values)
        {
            running.Stop.Cancel();
        }
        var left = _running.Values.Select(r => r.Task).OfType<Task>().ToArray();
        await Task.WhenAll(left).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private sealed class Running(StreamProcessor processor, CancellationTokenSource stop, CancellationTokenSource drain)
    {
        public StreamProcessor Processor { get; } = processor;
        public CancellationTokenSource Stop { get; } = stop;
        public CancellationTokenSource Drain { get; } = drain;
        public Task? Task { get; set; }
    }
}
