using Microsoft.Extensions.Logging;

namespace KvsInference.Leases;

/// <summary>The result of one synchronization.</summary>
/// <param name="Selected">Lease targets listed.</param>
/// <param name="Created">Leases created.</param>
/// <param name="Deleted">Leases deleted.</param>
public readonly record struct LeaseSyncResult(int Selected, int Created, int Deleted);

/// <summary>
/// Keeps the lease table in step with an <see cref="ILeaseKeySource"/> (stream discovery): creates a lease (unowned,
/// counter 0) for each new target, conditional on absence, and deletes the lease of a target missing for longer than
/// <see cref="StreamDiscoveryOptions.DeletedStreamGracePeriod"/>, conditional on its counter. Every worker may run one:
/// the conditions make concurrent synchronizers safe. A failed listing changes nothing.
/// </summary>
public sealed class LeaseSynchronizer : IAsyncDisposable
{
    private readonly ILeaseStore _store;
    private readonly ILeaseKeySource _source;
    private readonly StreamDiscoveryOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Dictionary<string, long> _missingSince = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ITimer? _timer;
    private Task _running = Task.CompletedTask;
    private int _busy;

    /// <summary>Creates the synchronizer.</summary>
    /// <param name="store">The lease store.</param>
    /// <param name="source">The source of lease targets (the selected streams).</param>
    /// <param name="options">The discovery options (refresh period, grace period); validated here.</param>
    /// <param name="timeProvider">The clock for the timer and the grace period.</param>
    /// <param name="logger">The logger.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public LeaseSynchronizer(ILeaseStore store, ILeaseKeySource source, StreamDiscoveryOptions options, TimeProvider timeProvider, ILogger<LeaseSynchronizer> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        _store = store;
        _source = source;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>Gets how many synchronizations failed (logged and retried next period).</summary>
    public long FailedSyncs { get; private set; }

    /// <summary>Runs one synchronization, then one every <see cref="StreamDiscoveryOptions.RefreshPeriod"/>.</summary>
    /// <param name="cancellationToken">Cancels the first synchronization.</param>
    /// <returns>The result of the first synchronization, or null when it failed (it is retried on the timer).</returns>
    public async Task<LeaseSyncResult?> StartAsync(CancellationToken cancellationToken)
    {
        var first = await TrySyncAsync(cancellationToken).ConfigureAwait(false);
        _timer = _timeProvider.CreateTimer(_ =>
        {
            if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) return;
            Volatile.Write(ref _running, Tick());

            async Task Tick()
            {
                try { await TrySyncAsync(CancellationToken.None).ConfigureAwait(false); }
                finally { Volatile.Write(ref _busy, 0); }
            }
        }, null, _options.RefreshPeriod, _options.RefreshPeriod);
        return first;
    }

    private async Task<LeaseSyncResult?> TrySyncAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await SyncOnceAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            FailedSyncs++;
            LeaseMetrics.StoreErrors.Add(1, new("error.type", e.GetType().Name), new("retried", false));
            _logger.LogWarning(e, "Lease synchronization failed; retrying in {Period}.", _options.RefreshPeriod);
            return null;
        }
    }

    /// <summary>Lists the targets, creates missing leases and deletes leases of targets missing beyond the grace period.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What changed.</returns>
    /// <exception cref="LeaseStoreException">The store failed.</exception>
    public async Task<LeaseSyncResult> SyncOnceAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var targets = await _source.ListTargetsAsync(cancellationToken).ConfigureAwait(false);
            var leases = await _store.ListLeasesAsync(cancellationToken).ConfigureAwait(false);
            var now = _timeProvider.GetTimestamp();
            var existing = leases.ToDictionary(l => l.LeaseKey, StringComparer.Ordinal);
            var wanted = new HashSet<string>(targets.Select(t => t.LeaseKey), StringComparer.Ordinal);
            int created = 0, deleted = 0;
            foreach (var target in targets)
            {
                if (existing.ContainsKey(target.LeaseKey)) continue;
                if (await _store.CreateLeaseIfNotExistsAsync(new Lease(target.LeaseKey, target.StreamName), cancellationToken).ConfigureAwait(false))
                {
                    created++;
                    _logger.LogInformation("Created lease for stream {Stream} ({Arn}).", target.StreamName, target.LeaseKey);
                }
            }
            foreach (var key in _missingSince.Keys.Where(k => wanted.Contains(k) || !existing.ContainsKey(k)).ToList()) _missingSince.Remove(key);
            foreach (var lease in leases)
            {
                if (wanted.Contains(lease.LeaseKey)) continue;
                if (!_missingSince.TryGetValue(lease.LeaseKey, out var since))
                {
                    _missingSince[lease.LeaseKey] = now;
                    continue;
                }
                if (_timeProvider.GetElapsedTime(since, now) <= _options.DeletedStreamGracePeriod) continue;
                // Conditional on the counter just listed; a holder's renewal in between makes this fail, so it is retried next period.
                if (await _store.DeleteLeaseAsync(lease, cancellationToken).ConfigureAwait(false))
                {
                    deleted++;
                    _missingSince.Remove(lease.LeaseKey);
                    _logger.LogInformation("Deleted lease {Lease} of stream {Stream}: missing for more than {Grace}.", lease.LeaseKey, lease.StreamName, _options.DeletedStreamGracePeriod);
                }
            }
            return new LeaseSyncResult(targets.Count, created, deleted);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Waits for an in-flight timer synchronization.</summary>
    /// <returns>A task that completes when none runs.</returns>
    internal Task WhenIdleAsync() => Volatile.Read(ref _running);

    /// <summary>Stops the timer and waits for an in-flight synchronization.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_timer is not null) await _timer.DisposeAsync().ConfigureAwait(false);
        await WhenIdleAsync().ConfigureAwait(false);
    }
}
