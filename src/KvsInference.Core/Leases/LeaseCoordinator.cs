using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace KvsInference.Leases;

/// <summary>
/// One worker's lease coordinator (KCL's LeaseCoordinator): it only schedules an <see cref="ILeaseTaker"/> and an
/// <see cref="ILeaseRenewer"/> on <see cref="TimeProvider"/> timers, hands taken leases to the renewer, and tells the
/// worker what it acquired and lost.
/// </summary>
/// <remarks>
/// <para>Timing (all from <see cref="LeaseCoordinatorOptions.FailoverTime"/> F and epsilon e = 25 ms): renew every
/// F/3 - e, take every F/2 - e (and once at start), and once more when a lease watched by the taker is due to expire
/// (<see cref="ILeaseTaker.NextExpiryTimestamp"/> + e) rather than at the next fixed tick. A lease is expired for an observer when its counter has not
/// changed for F on the observer's own monotonic clock (<see cref="TimeProvider.GetTimestamp"/>); wall clocks of other
/// workers are never compared. An unowned lease (new, or released by a graceful shutdown) is takeable at once.</para>
/// <para>Safety.
/// (1) Every write (renew, take, release, checkpoint, delete) is conditional on the stored <c>leaseCounter</c>, so of
/// two writers with the same view exactly one succeeds, and after any take or steal the previous holder can write
/// nothing: its next renewal or checkpoint fails, the lease is dropped, its token cancelled and
/// <see cref="LeaseLost"/> published. At most one worker can therefore commit a checkpoint for a lease at any time.
/// (2) A lease taken because it expired was not held by anyone at that moment: the holder counts it held only until F
/// after the start of its last successful write, and the taker's expiry clock starts no earlier than that write.
/// (3) A steal is the one overlap KCL allows: the victim keeps processing until its next renewal (at most F/3 - e later),
/// but cannot checkpoint; processing is at least once, a fragment may be processed twice, never skipped.
/// (4) A checkpoint never moves backwards (fragment numbers compared numerically).</para>
/// <para>Liveness. Leases of a worker that stops renewing expire F after the first scan of another worker that saw the
/// last counter (that scan comes at most one take interval T after the last renewal) and are taken by the extra cycle
/// due then: within F + T + e of the last renewal, so within 1.5F of the crash; released leases are taken at the next take
/// cycle of another worker. With stable membership, each take cycle moves at most MaxLeasesToStealAtOneTime leases and
/// every steal reduces the imbalance, so counts converge to within one of each other. Store errors (after the retries of
/// <see cref="LeaseStoreResilience"/>) fail only the current cycle: they are logged, counted and retried next cycle.</para>
/// </remarks>
public sealed class LeaseCoordinator : IAsyncDisposable
{
    private readonly ILeaseRenewer _renewer;
    private readonly ILeaseTaker _taker;
    private readonly LeaseCoordinatorOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Channel<LeaseNotification> _notifications = Channel.CreateUnbounded<LeaseNotification>();
    private readonly CancellationTokenSource _disposeCts = new();
    private ITimer? _renewTimer;
    private ITimer? _takeTimer;
    private ITimer? _expiryTimer;
    private Task _renewTask = Task.CompletedTask;
    private Task _takeTask = Task.CompletedTask;
    private int _renewBusy;
    private int _takeBusy;
    private volatile bool _stopping;
    private long _failedCycles;
    private int _disposed;

    /// <summary>Creates a coordinator with the standard <see cref="LeaseRenewer"/> and <see cref="LeaseTaker"/>.</summary>
    /// <param name="store">The lease store.</param>
    /// <param name="options">The options; validated here.</param>
    /// <param name="timeProvider">The clock for timers and expiry.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="random">Randomness for the taker; <see cref="Random.Shared"/> when null.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid (all errors listed).</exception>
    public LeaseCoordinator(ILeaseStore store, LeaseCoordinatorOptions options, TimeProvider timeProvider, ILogger<LeaseCoordinator> logger, Random? random = null)
        : this(new LeaseRenewer(store, Validated(options).WorkerId, options.FailoverTime, timeProvider, logger),
               new LeaseTaker(store, options, timeProvider, logger, random), options, timeProvider, logger)
    {
    }

    /// <summary>Creates a coordinator over custom renewer and taker implementations.</summary>
    /// <param name="renewer">The renewer.</param>
    /// <param name="taker">The taker.</param>
    /// <param name="options">The options; validated here.</param>
    /// <param name="timeProvider">The clock for timers.</param>
    /// <param name="logger">The logger.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public LeaseCoordinator(ILeaseRenewer renewer, ILeaseTaker taker, LeaseCoordinatorOptions options, TimeProvider timeProvider, ILogger<LeaseCoordinator> logger)
    {
        ArgumentNullException.ThrowIfNull(renewer);
        ArgumentNullException.ThrowIfNull(taker);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        Validated(options);
        _renewer = renewer;
        _taker = taker;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        _renewer.LeaseLost += lost => _notifications.Writer.TryWrite(lost);
        _logger.LogInformation(
            "Lease coordinator for worker {Worker}: failover {Failover}, epsilon {Epsilon}, renew interval {RenewInterval}, take interval {TakeInterval}, max leases {MaxLeases}, max steal {MaxSteal}.",
            WorkerId, options.FailoverTime, options.EpsilonTime, RenewInterval, TakeInterval, options.MaxLeasesForWorker, options.MaxLeasesToStealAtOneTime);
        LeaseMetrics.Register(this);
    }

    /// <summary>Gets this worker's id.</summary>
    public string WorkerId => _options.WorkerId;

    /// <summary>Gets the renew interval: failover / 3 - epsilon.</summary>
    public TimeSpan RenewInterval => _options.RenewInterval;

    /// <summary>Gets the take interval: failover / 2 - epsilon.</summary>
    public TimeSpan TakeInterval => _options.TakeInterval;

    /// <summary>
    /// Gets the notifications: <see cref="LeaseAcquired"/> and <see cref="LeaseLost"/>, in order. Unbounded: read them
    /// continuously. Completed after <see cref="ShutdownAsync"/> or <see cref="DisposeAsync"/>.
    /// </summary>
    public ChannelReader<LeaseNotification> Notifications => _notifications.Reader;

    /// <summary>Gets the number of held, not locally expired leases.</summary>
    public int HeldLeaseCount => _renewer.HeldLeaseCount;

    /// <summary>Gets the number of leases in the table at the last take cycle.</summary>
    public int LastTotalLeases => _taker.LastTotalLeases;

    /// <summary>Gets the workers seen at the last take cycle (self included).</summary>
    public int LastWorkersSeen => _taker.LastWorkersSeen;

    /// <summary>Gets how many renew or take cycles failed (logged and retried next cycle).</summary>
    public long FailedCycles => Interlocked.Read(ref _failedCycles);

    /// <summary>Deep copies of the leases this worker holds (not locally expired), by key.</summary>
    /// <returns>The held leases.</returns>
    public IReadOnlyDictionary<string, Lease> GetCurrentlyHeldLeases() => _renewer.GetCurrentlyHeldLeases();

    /// <summary>Resumes leases still owned by this worker id, runs one take cycle, then starts the timers.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes when the timers run.</returns>
    /// <exception cref="InvalidOperationException">Already started or stopped.</exception>
    /// <remarks>Store errors here are logged and counted, not thrown; call <see cref="ILeaseStore.InitializeAsync"/> first to fail fast on a missing table.</remarks>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_stopping || _renewTimer is not null) throw new InvalidOperationException($"The lease coordinator of worker '{WorkerId}' was already started or stopped.");
        try
        {
            foreach (var resumed in await _renewer.InitializeAsync(cancellationToken).ConfigureAwait(false))
            {
                _notifications.Writer.TryWrite(resumed);
            }
        }
        catch (LeaseStoreException e)
        {
            // A store outage at start must not stop the worker: its leases expire and are taken back by the take cycle.
            CycleFailed(e, "initialize");
        }
        // One-shot, re-armed after every take cycle for the next watched expiry; it shares the take cycle's guard.
        _expiryTimer = _timeProvider.CreateTimer(_ => OnTakeTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        await RunTakeCycleAsync().ConfigureAwait(false);
        _renewTimer = _timeProvider.CreateTimer(_ => OnRenewTimer(), null, RenewInterval, RenewInterval);
        _takeTimer = _timeProvider.CreateTimer(_ => OnTakeTimer(), null, TakeInterval, TakeInterval);
    }

    // A slow cycle is never overlapped by the next tick of its timer: that tick is skipped.
    private void OnRenewTimer()
    {
        if (_stopping || Interlocked.CompareExchange(ref _renewBusy, 1, 0) != 0) return;
        Volatile.Write(ref _renewTask, RenewGuardedAsync());

        async Task RenewGuardedAsync()
        {
            try { await RunRenewCycleAsync().ConfigureAwait(false); }
            finally { Volatile.Write(ref _renewBusy, 0); }
        }
    }

    private void OnTakeTimer()
    {
        if (_stopping || Interlocked.CompareExchange(ref _takeBusy, 1, 0) != 0) return;
        Volatile.Write(ref _takeTask, TakeGuardedAsync());

        async Task TakeGuardedAsync()
        {
            try { await RunTakeCycleAsync().ConfigureAwait(false); }
            finally { Volatile.Write(ref _takeBusy, 0); }
        }
    }

    /// <summary>Runs one renew cycle now (the timer does this every <see cref="RenewInterval"/>). Never throws.</summary>
    /// <returns>A task that completes when the cycle is done.</returns>
    internal async Task RunRenewCycleAsync()
    {
        try
        {
            await _renewer.RenewLeasesAsync(_disposeCts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (!_disposeCts.IsCancellationRequested)
        {
            CycleFailed(e, "renew");
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Runs one take cycle now (the timer does this every <see cref="TakeInterval"/>). Never throws.</summary>
    /// <returns>A task that completes when the cycle is done.</returns>
    internal async Task RunTakeCycleAsync()
    {
        if (_stopping) return;
        try
        {
            foreach (var taken in await _taker.TakeLeasesAsync(_disposeCts.Token).ConfigureAwait(false))
            {
                if (_stopping)
                {
                    // Shutdown began while this take was in flight: hand the lease straight back.
                    _renewer.AddLeaseToRenew(taken.Lease, taken.TakeStartTimestamp, taken.Acquisition);
                    await _renewer.ReleaseLeaseAsync(taken.Lease.LeaseKey, _disposeCts.Token).ConfigureAwait(false);
                    continue;
                }
                var counter = taken.Acquisition == LeaseAcquisition.Stolen ? LeaseMetrics.Stolen : LeaseMetrics.Taken;
                counter.Add(1, LeaseMetrics.WorkerTag(WorkerId));
                _notifications.Writer.TryWrite(_renewer.AddLeaseToRenew(taken.Lease, taken.TakeStartTimestamp, taken.Acquisition));
            }
            // Only after a successful cycle: a failing store must not turn a past expiry into a tight retry loop.
            ScheduleExpiryCycle();
        }
        catch (Exception e) when (!_disposeCts.IsCancellationRequested)
        {
            CycleFailed(e, "take");
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void ScheduleExpiryCycle()
    {
        if (_stopping || _expiryTimer is null) return;
        var delay = Timeout.InfiniteTimeSpan;
        if (_taker.NextExpiryTimestamp is { } due)
        {
            var wait = _timeProvider.GetElapsedTime(_timeProvider.GetTimestamp(), due);
            // Expiry is "unchanged for more than F": come e (at least 1 ms) after the due time so the lease is expired then.
            delay = (wait > TimeSpan.Zero ? wait : TimeSpan.Zero) + _options.EpsilonTime + TimeSpan.FromMilliseconds(1);
        }
        try
        {
            _expiryTimer.Change(delay, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Stopped while the cycle ran.
        }
    }

    private void CycleFailed(Exception e, string cycle)
    {
        Interlocked.Increment(ref _failedCycles);
        LeaseMetrics.StoreErrors.Add(1, new("error.type", (e.InnerException ?? e).GetType().Name), new("retried", false));
        _logger.LogWarning(e, "Worker {Worker}: the {Cycle} cycle failed; retrying next cycle.", WorkerId, cycle);
    }

    /// <summary>Waits for in-flight timer cycles (tests drive a fake clock and then wait here).</summary>
    /// <returns>A task that completes when no cycle runs.</returns>
    internal Task WhenIdleAsync() => Task.WhenAll(Volatile.Read(ref _renewTask), Volatile.Read(ref _takeTask));

    /// <summary>
    /// Graceful hand-off: stops the timers, then for every held lease (in parallel) awaits <paramref name="beforeRelease"/>
    /// (stop the stream's processor, flush, checkpoint through its <see cref="Checkpointer"/>: the lease is still held),
    /// then releases it (owner removed, counter bumped) so another worker takes it at its next take cycle instead of after
    /// expiry. Finally completes <see cref="Notifications"/>.
    /// </summary>
    /// <param name="beforeRelease">Called per held lease before its release, or null; its failure is logged and the lease released anyway.</param>
    /// <param name="cancellationToken">Cancels the shutdown (unreleased leases then expire normally).</param>
    /// <returns>A task that completes when every lease is released.</returns>
    public async Task ShutdownAsync(Func<Lease, CancellationToken, Task>? beforeRelease, CancellationToken cancellationToken)
    {
        _stopping = true;
        await StopTimersAsync().ConfigureAwait(false);
        var held = _renewer.GetCurrentlyHeldLeases().Values.ToList();
        _logger.LogInformation("Worker {Worker} shutting down: handing off {Count} leases.", WorkerId, held.Count);
        await Task.WhenAll(held.Select(async lease =>
        {
            if (beforeRelease is not null)
            {
                try
                {
                    await beforeRelease(lease, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    _logger.LogError(e, "Worker {Worker}: the shutdown callback for lease {Lease} failed; releasing it anyway.", WorkerId, lease.LeaseKey);
                }
            }
            await _renewer.ReleaseLeaseAsync(lease.LeaseKey, cancellationToken).ConfigureAwait(false);
        })).ConfigureAwait(false);
        _renewer.DropAllLeases(LeaseLossReason.Released);
        _notifications.Writer.TryComplete();
        LeaseMetrics.Unregister(this);
    }

    private async Task StopTimersAsync()
    {
        if (_renewTimer is not null) await _renewTimer.DisposeAsync().ConfigureAwait(false);
        if (_takeTimer is not null) await _takeTimer.DisposeAsync().ConfigureAwait(false);
        if (_expiryTimer is not null) await _expiryTimer.DisposeAsync().ConfigureAwait(false);
        await WhenIdleAsync().ConfigureAwait(false);
    }

    /// <summary>Stops without releasing (as a crash would, but the local tokens are cancelled): the leases expire after the failover time.</summary>
    /// <returns>A task that completes when the timers stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stopping = true;
        await _disposeCts.CancelAsync().ConfigureAwait(false);
        await StopTimersAsync().ConfigureAwait(false);
        _renewer.DropAllLeases(LeaseLossReason.Disposed);
        _notifications.Writer.TryComplete();
        LeaseMetrics.Unregister(this);
        _disposeCts.Dispose();
    }

    private static LeaseCoordinatorOptions Validated(LeaseCoordinatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }
}
