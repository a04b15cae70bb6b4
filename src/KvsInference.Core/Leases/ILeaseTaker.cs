namespace KvsInference.Leases;

/// <summary>A lease won by a take cycle.</summary>
/// <param name="Lease">The lease as written by the take.</param>
/// <param name="Acquisition"><see cref="LeaseAcquisition.Taken"/> or <see cref="LeaseAcquisition.Stolen"/>.</param>
/// <param name="TakeStartTimestamp">The local timestamp before the take call.</param>
public sealed record TakenLease(Lease Lease, LeaseAcquisition Acquisition, long TakeStartTimestamp);

/// <summary>Finds and takes leases this worker should hold (KCL's LeaseTaker).</summary>
public interface ILeaseTaker
{
    /// <summary>Gets the number of leases in the table at the last cycle.</summary>
    int LastTotalLeases { get; }

    /// <summary>Gets the workers seen at the last cycle: distinct owners of non-expired leases plus this worker.</summary>
    int LastWorkersSeen { get; }

    /// <summary>Lists the table, updates the local expiry view and takes leases by the rules of <see cref="LeaseTaker"/>.</summary>
    /// <param name="cancellationToken">Cancels the cycle.</param>
    /// <returns>The leases won; individual lost races are skipped.</returns>
    /// <exception cref="LeaseStoreException">Listing failed.</exception>
    Task<IReadOnlyList<TakenLease>> TakeLeasesAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Gets the local timestamp (<see cref="TimeProvider.GetTimestamp"/>) at which the first lease watched by the last
    /// cycle expires (owned by another worker, counter unchanged since first seen, plus the failover time), or null when
    /// no such lease exists. The coordinator runs an extra take cycle then instead of waiting for the next fixed tick.
    /// </summary>
    long? NextExpiryTimestamp => null;
}
