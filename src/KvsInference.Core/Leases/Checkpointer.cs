namespace KvsInference.Leases;

/// <summary>The outcome of a checkpoint write.</summary>
public enum CheckpointOutcome
{
    /// <summary>Written (or equal to the stored checkpoint, so nothing to write).</summary>
    Succeeded,

    /// <summary>This worker no longer holds the lease; nothing was written and the processor must stop.</summary>
    LeaseLost,
}

/// <summary>
/// Writes the checkpoint of one held lease: the last fragment number fully processed and acknowledged by the sink,
/// with its producer timestamp. Bound to one holding session: after the lease is lost, every call reports
/// <see cref="CheckpointOutcome.LeaseLost"/>, even if this worker takes the lease again later.
/// </summary>
public sealed class Checkpointer
{
    private readonly ILeaseRenewer _renewer;
    private readonly Guid _concurrencyToken;

    /// <summary>Creates a checkpointer for one holding session.</summary>
    /// <param name="renewer">The renewer holding the lease.</param>
    /// <param name="leaseKey">The lease key.</param>
    /// <param name="concurrencyToken">The session's <see cref="Lease.ConcurrencyToken"/>.</param>
    public Checkpointer(ILeaseRenewer renewer, string leaseKey, Guid concurrencyToken)
    {
        ArgumentNullException.ThrowIfNull(renewer);
        ArgumentException.ThrowIfNullOrEmpty(leaseKey);
        _renewer = renewer;
        LeaseKey = leaseKey;
        _concurrencyToken = concurrencyToken;
    }

    /// <summary>Gets the lease key.</summary>
    public string LeaseKey { get; }

    /// <summary>
    /// Writes a checkpoint, conditional on this session still holding the lease. A checkpoint never moves backwards.
    /// On <see cref="CheckpointOutcome.LeaseLost"/> the lease's token has been cancelled and <see cref="LeaseLost"/> published.
    /// </summary>
    /// <param name="fragmentNumber">The fragment number (decimal digits).</param>
    /// <param name="producerTimestamp">Its producer timestamp, or null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The outcome.</returns>
    /// <exception cref="ArgumentException"><paramref name="fragmentNumber"/> is not a decimal digit string.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fragmentNumber"/> is below the stored checkpoint.</exception>
    /// <exception cref="LeaseStoreException">The store failed after retries; the lease may still be held, so retry later.</exception>
    public Task<CheckpointOutcome> TryCheckpointAsync(string fragmentNumber, DateTimeOffset? producerTimestamp, CancellationToken cancellationToken) =>
        _renewer.UpdateCheckpointAsync(LeaseKey, _concurrencyToken, fragmentNumber, producerTimestamp, cancellationToken);

    /// <summary>Writes a checkpoint like <see cref="TryCheckpointAsync"/> but throws when the lease is lost.</summary>
    /// <param name="fragmentNumber">The fragment number (decimal digits).</param>
    /// <param name="producerTimestamp">Its producer timestamp, or null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the checkpoint is stored.</returns>
    /// <exception cref="LeaseLostException">This worker no longer holds the lease.</exception>
    /// <exception cref="ArgumentException"><paramref name="fragmentNumber"/> is not a decimal digit string.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fragmentNumber"/> is below the stored checkpoint.</exception>
    /// <exception cref="LeaseStoreException">The store failed after retries.</exception>
    public async Task CheckpointAsync(string fragmentNumber, DateTimeOffset? producerTimestamp, CancellationToken cancellationToken)
    {
        if (await TryCheckpointAsync(fragmentNumber, producerTimestamp, cancellationToken).ConfigureAwait(false) == CheckpointOutcome.LeaseLost)
        {
            throw new LeaseLostException(LeaseKey, _renewer.WorkerId);
        }
    }
}
