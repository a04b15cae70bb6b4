namespace KvsInference.Leases;

/// <summary>The lease store failed for a reason other than a lost condition (after retries for transient errors).</summary>
public sealed class LeaseStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public LeaseStoreException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>
/// This worker no longer holds the lease (it was stolen, expired locally, released or deleted): the stream's processor
/// must stop at once without writing anything more.
/// </summary>
public sealed class LeaseLostException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="leaseKey">The lost lease.</param>
    /// <param name="workerId">The worker that lost it.</param>
    public LeaseLostException(string leaseKey, string workerId)
        : base($"Lease '{leaseKey}' is no longer held by worker '{workerId}'; stop processing it.")
    {
        LeaseKey = leaseKey;
        WorkerId = workerId;
    }

    /// <summary>Gets the lost lease key.</summary>
    public string LeaseKey { get; }

    /// <summary>Gets the worker that lost it.</summary>
    public string WorkerId { get; }
}
