namespace KvsInference.Leases;

/// <summary>
/// The lease table (KCL's LeaseRefresher). Every mutation is conditional: on the stored <c>leaseCounter</c> equalling
/// the caller's copy (and, where stated, on the owner), or on absence for creation. A lost condition is a normal
/// outcome and returns false; only infrastructure failures throw <see cref="LeaseStoreException"/>.
/// </summary>
/// <remarks>
/// On success a mutation updates the caller's <see cref="Lease"/> in place (new counter, owner, checkpoint), so the
/// copy stays equal to the stored item and can be used as the condition of the next write.
/// </remarks>
public interface ILeaseStore
{
    /// <summary>Creates the table or storage when missing and allowed; waits until it is usable. Idempotent.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="LeaseStoreException">The table is missing and may not be created, or creation failed.</exception>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Creates the lease when no lease with its key exists.</summary>
    /// <param name="lease">The new lease (usually unowned, counter 0).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when created; false when a lease with that key already exists.</returns>
    /// <exception cref="LeaseStoreException">The store failed after retries.</exception>
    Task<bool> CreateLeaseIfNotExistsAsync(Lease lease, CancellationToken cancellationToken);

    /// <summary>Lists every lease with a strongly consistent read.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Fresh copies of all leases.</returns>
    /// <exception cref="LeaseStoreException">The store failed after retries.</exception>
    Task<IReadOnlyList<Lease>> ListLeasesAsync(CancellationToken cancellationToken);

    /// <summary>Reads one lease with a strongly consistent read.</summary>
    /// <param name="leaseKey">The lease key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A fresh copy, or null when absent.</returns>
    /// <exception cref="LeaseStoreException">The store failed after retries.</exception>
    Task<Lease?> GetLeaseAsync(string leaseKey, CancellationToken cancellationToken);

    /// <summary>Renews: increments the counter, conditional on counter and owner matching <paramref name="lease"/>.</summary>
    /// <param name="lease">The holder's copy; its counter is incremented on success.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when renewed; false when the lease was taken, released or deleted meanwhile (it is lost).</returns>
    /// <exception cref="LeaseStoreException">The store failed after retries.</exception>
    Task<bool> RenewLeaseAsync(Lease lease, CancellationToken cancellationToken);

    /// <summary>
    /// Takes (or steals): sets the owner, increments the counter and, when the owner changes, increments
    /// <c>ownerSwitchesSinceCheckpoint</c>; conditional on the counter matching <paramref name="lease"/>.
    /// </summary>
    /// <param name="lease">The taker's copy as last listed; updated on success.</param>
    /// <param name="newOwner">The taking worker id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when taken; false when someone else wrote the lease since it was listed.</returns>
    /// <exception cref="LeaseStoreException">The store failed after retries.</exception>
    Task<bool> TakeLeaseAsync(Lease lease, string newOwner, CancellationToken cancellationToken);

    /// <summary>
    /// Evicts (releases): removes the owner and increments the counter, conditional on counter and owner. An unowned
    /// lease is immediately takeable by any worker, so this is the graceful hand-off.
    /// </summary>
    /// <param name="lease">The holder's copy; updated on success.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when released; false when the lease was no longer held as in <paramref name="lease"/>.</returns>
    /// <exception cref="LeaseStoreException">The store failed after retries.</exception>
    Task<bool> EvictLeaseAsync(Lease lease, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a checkpoint: sets checkpoint and producer timestamp, resets <c>ownerSwitchesSinceCheckpoint</c> to 0 and
    /// increments the counter, conditional on counter and owner.
    /// </summary>
    /// <param name="lease">The holder's copy; updated on success.</param>
    /// <param name="checkpoint">The fragment number.</param>
    /// <param name="producerTimestamp">Its producer timestamp, or null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when written; false when the lease is no longer held as in <paramref name="lease"/> (lease lost).</returns>
    /// <exception cref="LeaseStoreException">The store failed after retries.</exception>
    Task<bool> UpdateCheckpointAsync(Lease lease, string checkpoint, DateTimeOffset? producerTimestamp, CancellationToken cancellationToken);

    /// <summary>Deletes the lease, conditional on the counter matching <paramref name="lease"/>.</summary>
    /// <param name="lease">The copy as last listed.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when deleted; false when it changed meanwhile or is already gone.</returns>
    /// <exception cref="LeaseStoreException">The store failed after retries.</exception>
    Task<bool> DeleteLeaseAsync(Lease lease, CancellationToken cancellationToken);
}
