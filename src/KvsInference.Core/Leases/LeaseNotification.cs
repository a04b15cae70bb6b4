namespace KvsInference.Leases;

/// <summary>A change in the set of leases a worker holds, read from <see cref="LeaseCoordinator.Notifications"/>.</summary>
public abstract record LeaseNotification(string LeaseKey);

/// <summary>How a lease was acquired.</summary>
public enum LeaseAcquisition
{
    /// <summary>Taken because it was unowned (new or handed off) or expired.</summary>
    Taken,

    /// <summary>Stolen from a more loaded worker to balance load; its old holder stops at its next renewal.</summary>
    Stolen,

    /// <summary>Already owned by this worker id at start (a quick restart) and renewed.</summary>
    Resumed,
}

/// <summary>Why a lease was lost.</summary>
public enum LeaseLossReason
{
    /// <summary>A conditional write failed: another worker took (stole) it or it was deleted.</summary>
    Lost,

    /// <summary>It could not be renewed for the failover time (store errors), so another worker may take it.</summary>
    Expired,

    /// <summary>This worker released it on graceful shutdown.</summary>
    Released,

    /// <summary>The coordinator was disposed without releasing.</summary>
    Disposed,
}

/// <summary>This worker now holds a lease: start processing its stream from <see cref="Lease.Checkpoint"/>.</summary>
/// <param name="Lease">A deep copy of the lease as taken.</param>
/// <param name="Acquisition">How it was acquired.</param>
/// <param name="LeaseToken">Cancelled the moment the lease is lost or released: the processor must stop at once.</param>
/// <param name="Checkpointer">Writes this lease's checkpoints.</param>
public sealed record LeaseAcquired(Lease Lease, LeaseAcquisition Acquisition, CancellationToken LeaseToken, Checkpointer Checkpointer)
    : LeaseNotification(Lease.LeaseKey);

/// <summary>This worker no longer holds a lease; its <see cref="LeaseAcquired.LeaseToken"/> is already cancelled.</summary>
/// <param name="LeaseKey">The lease key.</param>
/// <param name="Reason">Why.</param>
public sealed record LeaseLost(string LeaseKey, LeaseLossReason Reason) : LeaseNotification(LeaseKey);
