namespace KvsInference.Leases;

/// <summary>
/// A thread-safe in-process <see cref="ILeaseStore"/> with the same conditional semantics as the DynamoDB table; for
/// the single-process default and for tests.
/// </summary>
public sealed class InMemoryLeaseStore : ILeaseStore
{
    private readonly Dictionary<string, Lease> _leases = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <inheritdoc/>
    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task<bool> CreateLeaseIfNotExistsAsync(Lease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        lock (_lock)
        {
            return Task.FromResult(_leases.TryAdd(lease.LeaseKey, Persisted(lease)));
        }
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<Lease>> ListLeasesAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<Lease>>(_leases.Values.Select(Persisted).ToList());
        }
    }

    /// <inheritdoc/>
    public Task<Lease?> GetLeaseAsync(string leaseKey, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_leases.TryGetValue(leaseKey, out var l) ? Persisted(l) : null);
        }
    }

    /// <inheritdoc/>
    public Task<bool> RenewLeaseAsync(Lease lease, CancellationToken cancellationToken) =>
        Mutate(lease, requireOwner: true, stored => { });

    /// <inheritdoc/>
    public Task<bool> TakeLeaseAsync(Lease lease, string newOwner, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(newOwner);
        return Mutate(lease, requireOwner: false, stored =>
        {
            if (!string.Equals(stored.LeaseOwner, newOwner, StringComparison.Ordinal)) stored.OwnerSwitchesSinceCheckpoint++;
            stored.LeaseOwner = newOwner;
        });
    }

    /// <inheritdoc/>
    public Task<bool> EvictLeaseAsync(Lease lease, CancellationToken cancellationToken) =>
        Mutate(lease, requireOwner: true, stored => stored.LeaseOwner = null);

    /// <inheritdoc/>
    public Task<bool> UpdateCheckpointAsync(Lease lease, string checkpoint, DateTimeOffset? producerTimestamp, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpoint);
        return Mutate(lease, requireOwner: true, stored =>
        {
            stored.Checkpoint = checkpoint;
            stored.CheckpointProducerTimestamp = producerTimestamp;
            stored.OwnerSwitchesSinceCheckpoint = 0;
        });
    }

    /// <inheritdoc/>
    public Task<bool> DeleteLeaseAsync(Lease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        lock (_lock)
        {
            if (!_leases.TryGetValue(lease.LeaseKey, out var stored) || stored.LeaseCounter != lease.LeaseCounter) return Task.FromResult(false);
            _leases.Remove(lease.LeaseKey);
            return Task.FromResult(true);
        }
    }

    private Task<bool> Mutate(Lease lease, bool requireOwner, Action<Lease> change)
    {
        ArgumentNullException.ThrowIfNull(lease);
        lock (_lock)
        {
            if (!_leases.TryGetValue(lease.LeaseKey, out var stored)
                || stored.LeaseCounter != lease.LeaseCounter
                || (requireOwner && (lease.LeaseOwner is null || !string.Equals(stored.LeaseOwner, lease.LeaseOwner, StringComparison.Ordinal))))
            {
                return Task.FromResult(false);
            }
            var next = Persisted(stored);
            change(next);
            next.LeaseCounter++;
            _leases[lease.LeaseKey] = next;
            CopyPersisted(next, lease);
            return Task.FromResult(true);
        }
    }

    // Only persisted attributes live in the store, as in DynamoDB.
    private static Lease Persisted(Lease l)
    {
        var c = l.Copy();
        c.ConcurrencyToken = null;
        c.LastCounterIncrementTimestamp = null;
        return c;
    }

    internal static void CopyPersisted(Lease from, Lease to)
    {
        to.LeaseOwner = from.LeaseOwner;
        to.LeaseCounter = from.LeaseCounter;
        to.Checkpoint = from.Checkpoint;
        to.CheckpointProducerTimestamp = from.CheckpointProducerTimestamp;
        to.OwnerSwitchesSinceCheckpoint = from.OwnerSwitchesSinceCheckpoint;
    }
}
