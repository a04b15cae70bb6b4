using System.Globalization;

namespace KvsInference.Leases;

/// <summary>
/// One stream's lease as stored in the lease table, plus two values that are never persisted: the
/// <see cref="ConcurrencyToken"/> of the holding session and the local monotonic time the counter was last seen to change.
/// </summary>
/// <remarks>
/// Instances are mutable and not thread-safe; every component hands out deep copies (<see cref="Copy"/>) so a
/// caller never observes another component's working copy.
/// </remarks>
public sealed class Lease
{
    /// <summary>Creates an unowned lease with counter 0 and no checkpoint.</summary>
    /// <param name="leaseKey">The lease key (the stream ARN).</param>
    /// <param name="streamName">The stream name.</param>
    /// <exception cref="ArgumentException">A value is null or empty.</exception>
    public Lease(string leaseKey, string streamName)
    {
        ArgumentException.ThrowIfNullOrEmpty(leaseKey);
        ArgumentException.ThrowIfNullOrEmpty(streamName);
        LeaseKey = leaseKey;
        StreamName = streamName;
    }

    /// <summary>Gets the lease key (hash key <c>leaseKey</c>): the stream ARN.</summary>
    public string LeaseKey { get; }

    /// <summary>Gets the stream name (<c>streamName</c>).</summary>
    public string StreamName { get; }

    /// <summary>Gets or sets the owning worker id (<c>leaseOwner</c>), or null when the lease is unowned (immediately takeable).</summary>
    public string? LeaseOwner { get; set; }

    /// <summary>Gets or sets the lease counter (<c>leaseCounter</c>); every write increments it and is conditional on it.</summary>
    public long LeaseCounter { get; set; }

    /// <summary>Gets or sets the checkpoint (<c>checkpoint</c>): the last fragment number fully processed and acknowledged, or null.</summary>
    public string? Checkpoint { get; set; }

    /// <summary>Gets or sets the producer timestamp of the checkpointed fragment (<c>checkpointProducerTimestamp</c>).</summary>
    public DateTimeOffset? CheckpointProducerTimestamp { get; set; }

    /// <summary>Gets or sets how many times the owner changed since the last checkpoint (<c>ownerSwitchesSinceCheckpoint</c>).</summary>
    public long OwnerSwitchesSinceCheckpoint { get; set; }

    /// <summary>Gets or sets the token of the holding session (not persisted): a new one per take, so a stale session cannot checkpoint.</summary>
    public Guid? ConcurrencyToken { get; set; }

    /// <summary>
    /// Gets or sets the local <see cref="TimeProvider.GetTimestamp"/> value when this observer last saw the counter change
    /// (not persisted), or null when never observed.
    /// </summary>
    public long? LastCounterIncrementTimestamp { get; set; }

    /// <summary>Gets a value indicating whether the lease has no owner.</summary>
    public bool IsUnowned => LeaseOwner is null;

    /// <summary>
    /// Whether the counter has not been seen to change for <paramref name="leaseDuration"/> on the observer's own clock.
    /// An unowned lease, or one never observed, counts as expired.
    /// </summary>
    /// <param name="leaseDuration">The failover time.</param>
    /// <param name="nowTimestamp">The observer's current <see cref="TimeProvider.GetTimestamp"/>.</param>
    /// <param name="timeProvider">The observer's clock (for its timestamp frequency).</param>
    /// <returns>True when another worker may take the lease.</returns>
    public bool IsExpired(TimeSpan leaseDuration, long nowTimestamp, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (IsUnowned || LastCounterIncrementTimestamp is not { } seen) return true;
        return timeProvider.GetElapsedTime(seen, nowTimestamp) > leaseDuration;
    }

    /// <summary>Returns a deep copy, non-persisted values included.</summary>
    /// <returns>The copy.</returns>
    public Lease Copy() => new(LeaseKey, StreamName)
    {
        LeaseOwner = LeaseOwner,
        LeaseCounter = LeaseCounter,
        Checkpoint = Checkpoint,
        CheckpointProducerTimestamp = CheckpointProducerTimestamp,
        OwnerSwitchesSinceCheckpoint = OwnerSwitchesSinceCheckpoint,
        ConcurrencyToken = ConcurrencyToken,
        LastCounterIncrementTimestamp = LastCounterIncrementTimestamp,
    };

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"Lease({LeaseKey}, owner={LeaseOwner ?? "none"}, counter={LeaseCounter}, checkpoint={Checkpoint ?? "none"}, switches={OwnerSwitchesSinceCheckpoint})");
}
