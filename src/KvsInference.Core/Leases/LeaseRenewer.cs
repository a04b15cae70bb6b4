using System.Collections.Concurrent;
using KvsInference.Kvs;
using Microsoft.Extensions.Logging;

namespace KvsInference.Leases;

/// <summary>The <see cref="ILeaseRenewer"/> over an <see cref="ILeaseStore"/>.</summary>
/// <remarks>
/// A held lease counts as held until <c>failover time</c> has passed since the start of its last successful
/// conditional write (take, renewal or checkpoint), on this worker's monotonic clock. Other workers start their
/// expiry clock no earlier than that write, so they cannot take it before this worker stops believing it holds it.
/// </remarks>
public sealed class LeaseRenewer : ILeaseRenewer
{
    private readonly ILeaseStore _store;
    private readonly TimeSpan _failoverTime;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Held> _held = new(StringComparer.Ordinal);

    /// <summary>Creates the renewer.</summary>
    /// <param name="store">The lease store.</param>
    /// <param name="workerId">This worker's id.</param>
    /// <param name="failoverTime">The lease duration.</param>
    /// <param name="timeProvider">The local monotonic clock.</param>
    /// <param name="logger">The logger.</param>
    /// <exception cref="ArgumentException">The worker id is empty or the failover time not positive.</exception>
    public LeaseRenewer(ILeaseStore store, string workerId, TimeSpan failoverTime, TimeProvider timeProvider, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(workerId);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(failoverTime, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _store = store;
        WorkerId = workerId;
        _failoverTime = failoverTime;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <inheritdoc/>
    public string WorkerId { get; }

    /// <inheritdoc/>
    public int HeldLeaseCount
    {
        get
        {
            var now = _timeProvider.GetTimestamp();
            return _held.Values.Count(h => !h.IsLocallyExpired(now, _failoverTime, _timeProvider));
        }
    }

    /// <inheritdoc/>
    public event Action<LeaseLost>? LeaseLost;

    /// <inheritdoc/>
    public async Task<IReadOnlyList<LeaseAcquired>> InitializeAsync(CancellationToken cancellationToken)
    {
        var resumed = new List<LeaseAcquired>();
        foreach (var lease in await _store.ListLeasesAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!string.Equals(lease.LeaseOwner, WorkerId, StringComparison.Ordinal) || _held.ContainsKey(lease.LeaseKey)) continue;
            // The table's word is not enough: a renewal proves this worker still holds it (nobody wrote since).
            var start = _timeProvider.GetTimestamp();
            try
            {
                if (await _store.RenewLeaseAsync(lease, cancellationToken).ConfigureAwait(false))
                {
                    resumed.Add(AddLeaseToRenew(lease, start, LeaseAcquisition.Resumed));
                }
            }
            catch (LeaseStoreException e)
            {
                _logger.LogWarning(e, "Worker {Worker} could not resume lease {Lease}; it will expire and be taken normally.", WorkerId, lease.LeaseKey);
            }
        }
        return resumed;
    }

    /// <inheritdoc/>
    public Task RenewLeasesAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_held.Values.Select(h => RenewAsync(h, cancellationToken)));

    private async Task RenewAsync(Held held, CancellationToken cancellationToken)
    {
        await held.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!IsCurrent(held)) return;
            var start = _timeProvider.GetTimestamp();
            if (held.IsLocallyExpired(start, _failoverTime, _timeProvider))
            {
                Drop(held, LeaseLossReason.Expired);
                return;
            }
            var copy = held.Lease.Copy();
            bool renewed;
            try
            {
                renewed = await _store.RenewLeaseAsync(copy, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Keep the lease: the next cycle retries; it is dropped once the failover time passes without renewal.
                LeaseMetrics.RenewalFailures.Add(1, LeaseMetrics.WorkerTag(WorkerId));
                _logger.LogWarning(e, "Worker {Worker} failed to renew lease {Lease}; retrying next cycle.", WorkerId, held.Lease.LeaseKey);
                return;
            }
            if (renewed)
            {
                held.Lease = copy;
                held.LastRenewalStartTimestamp = start;
            }
            else
            {
                _logger.LogInformation("Worker {Worker} lost lease {Lease}: its counter or owner changed.", WorkerId, held.Lease.LeaseKey);
                Drop(held, LeaseLossReason.Lost);
            }
        }
        finally
        {
            held.Gate.Release();
        }
    }

    /// <inheritdoc/>
    public LeaseAcquired AddLeaseToRenew(Lease lease, long takeStartTimestamp, LeaseAcquisition acquisition)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var copy = lease.Copy();
        copy.ConcurrencyToken = Guid.NewGuid();
        var held = new Held(copy, takeStartTimestamp);
        if (_held.TryRemove(copy.LeaseKey, out var previous))
        {
            // A stale session of the same lease (lost meanwhile and taken again): end it first.
            Drop(previous, LeaseLossReason.Lost, alreadyRemoved: true);
        }
        _held[copy.LeaseKey] = held;
        return new LeaseAcquired(copy.Copy(), acquisition, held.Cts.Token, new Checkpointer(this, copy.LeaseKey, copy.ConcurrencyToken.Value));
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, Lease> GetCurrentlyHeldLeases()
    {
        var now = _timeProvider.GetTimestamp();
        var result = new Dictionary<string, Lease>(StringComparer.Ordinal);
        foreach (var (key, held) in _held)
        {
            if (!held.IsLocallyExpired(now, _failoverTime, _timeProvider)) result[key] = held.Lease.Copy();
        }
        return result;
    }

    /// <inheritdoc/>
    public async Task<CheckpointOutcome> UpdateCheckpointAsync(string leaseKey, Guid concurrencyToken, string checkpoint, DateTimeOffset? producerTimestamp, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(leaseKey);
        if (!FragmentNumber.IsValid(checkpoint))
        {
            throw new ArgumentException($"The checkpoint '{checkpoint}' of lease '{leaseKey}' is not a fragment number (decimal digits).", nameof(checkpoint));
        }
        if (!_held.TryGetValue(leaseKey, out var held) || held.Lease.ConcurrencyToken != concurrencyToken) return CheckpointOutcome.LeaseLost;
        await held.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!IsCurrent(held)) return CheckpointOutcome.LeaseLost;
            var start = _timeProvider.GetTimestamp();
            if (held.IsLocallyExpired(start, _failoverTime, _timeProvider))
            {
                Drop(held, LeaseLossReason.Expired);
                return CheckpointOutcome.LeaseLost;
            }
            if (held.Lease.Checkpoint is { } current)
            {
                var order = FragmentNumber.Compare(checkpoint, current);
                if (order < 0)
                {
                    throw new ArgumentOutOfRangeException(nameof(checkpoint), checkpoint,
                        $"The checkpoint of lease '{leaseKey}' would move backwards from {current} to {checkpoint}.");
                }
                // An unchanged checkpoint is still written: success must prove that this worker holds the lease now
                // (a thief's steal is only visible in the store), or the processor would go on as a second writer.
            }
            var copy = held.Lease.Copy();
            if (await _store.UpdateCheckpointAsync(copy, checkpoint, producerTimestamp, cancellationToken).ConfigureAwait(false))
            {
                held.Lease = copy;
                // A successful conditional write proves ownership as a renewal does.
                held.LastRenewalStartTimestamp = start;
                return CheckpointOutcome.Succeeded;
            }
            _logger.LogInformation("Worker {Worker} lost lease {Lease} at checkpoint {Checkpoint}.", WorkerId, leaseKey, checkpoint);
            Drop(held, LeaseLossReason.Lost);
            return CheckpointOutcome.LeaseLost;
        }
        finally
        {
            held.Gate.Release();
        }
    }

    /// <inheritdoc/>
    public async Task<bool> ReleaseLeaseAsync(string leaseKey, CancellationToken cancellationToken)
    {
        if (!_held.TryGetValue(leaseKey, out var held)) return false;
        await held.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!IsCurrent(held)) return false;
            var copy = held.Lease.Copy();
            var released = false;
            try
            {
                released = await _store.EvictLeaseAsync(copy, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogWarning(e, "Worker {Worker} could not release lease {Lease}; it will expire instead.", WorkerId, leaseKey);
            }
            Drop(held, LeaseLossReason.Released);
            return released;
        }
        finally
        {
            held.Gate.Release();
        }
    }

    /// <inheritdoc/>
    public void DropAllLeases(LeaseLossReason reason)
    {
        foreach (var held in _held.Values) Drop(held, reason);
    }

    private bool IsCurrent(Held held) => _held.TryGetValue(held.Lease.LeaseKey, out var current) && ReferenceEquals(current, held);

    private void Drop(Held held, LeaseLossReason reason, bool alreadyRemoved = false)
    {
        if (!alreadyRemoved && !_held.TryRemove(new KeyValuePair<string, Held>(held.Lease.LeaseKey, held))) return;
        if (reason is LeaseLossReason.Lost or LeaseLossReason.Expired) LeaseMetrics.Lost.Add(1, LeaseMetrics.WorkerTag(WorkerId));
        try
        {
            held.Cts.Cancel();
        }
        catch (AggregateException e)
        {
            _logger.LogError(e, "A cancellation callback of lease {Lease} threw.", held.Lease.LeaseKey);
        }
        LeaseLost?.Invoke(new LeaseLost(held.Lease.LeaseKey, reason));
    }

    private sealed class Held(Lease lease, long lastRenewalStartTimestamp)
    {
        public Lease Lease { get; set; } = lease;

        public long LastRenewalStartTimestamp { get; set; } = lastRenewalStartTimestamp;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public CancellationTokenSource Cts { get; } = new();

        public bool IsLocallyExpired(long now, TimeSpan failover, TimeProvider clock) =>
            clock.GetElapsedTime(LastRenewalStartTimestamp, now) > failover;
    }
}
