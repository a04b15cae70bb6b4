namespace KvsInference.Leases;

/// <summary>
/// Holds this worker's leases and keeps them alive (KCL's LeaseRenewer): renewals, checkpoints and releases of one
/// lease are serialized and each is conditional on the lease counter; a failed condition means the lease was lost.
/// </summary>
public interface ILeaseRenewer
{
    /// <summary>Gets this worker's id.</summary>
    string WorkerId { get; }

    /// <summary>Gets how many leases are held and not locally expired.</summary>
    int HeldLeaseCount { get; }

    /// <summary>Raised after a lease was dropped (its token is already cancelled).</summary>
    event Action<LeaseLost>? LeaseLost;

    /// <summary>Renews the leases the table already shows as owned by this worker id (a quick restart) and holds those that renew.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The resumed leases.</returns>
    /// <exception cref="LeaseStoreException">Listing failed.</exception>
    Task<IReadOnlyList<LeaseAcquired>> InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Renews every held lease once; drops the lost ones and the ones not renewed for the failover time. Never throws for store errors.</summary>
    /// <param name="cancellationToken">Cancels the cycle.</param>
    /// <returns>A task that completes when every renewal finished.</returns>
    Task RenewLeasesAsync(CancellationToken cancellationToken);

    /// <summary>Starts holding a lease just taken.</summary>
    /// <param name="lease">The lease as written by the take.</param>
    /// <param name="takeStartTimestamp">The local timestamp taken before the take call: the lease counts as renewed then.</param>
    /// <param name="acquisition">How it was acquired.</param>
    /// <returns>The acquisition notification (deep copy, token, checkpointer).</returns>
    LeaseAcquired AddLeaseToRenew(Lease lease, long takeStartTimestamp, LeaseAcquisition acquisition);

    /// <summary>Deep copies of the held leases that are not locally expired, by key.</summary>
    /// <returns>The held leases.</returns>
    IReadOnlyDictionary<string, Lease> GetCurrentlyHeldLeases();

    /// <summary>Writes a checkpoint for the holding session <paramref name="concurrencyToken"/>; see <see cref="Checkpointer"/>.</summary>
    /// <param name="leaseKey">The lease key.</param>
    /// <param name="concurrencyToken">The holding session.</param>
    /// <param name="checkpoint">The fragment number.</param>
    /// <param name="producerTimestamp">Its producer timestamp.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The outcome.</returns>
    /// <exception cref="ArgumentException">The fragment number is not decimal digits.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The checkpoint would move backwards.</exception>
    /// <exception cref="LeaseStoreException">The store failed after retries.</exception>
    Task<CheckpointOutcome> UpdateCheckpointAsync(string leaseKey, Guid concurrencyToken, string checkpoint, DateTimeOffset? producerTimestamp, CancellationToken cancellationToken);

    /// <summary>Releases a held lease (owner removed, counter bumped) so another worker takes it at once; drops it either way.</summary>
    /// <param name="leaseKey">The lease key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when the release was written.</returns>
    Task<bool> ReleaseLeaseAsync(string leaseKey, CancellationToken cancellationToken);

    /// <summary>Drops every held lease without writing (their tokens are cancelled); they expire in the table.</summary>
    /// <param name="reason">The reason reported.</param>
    void DropAllLeases(LeaseLossReason reason);
}
