namespace KvsInference.Leases;

/// <summary>A unit of work that should have a lease: its key (a stream ARN) and the stream name stored beside it.</summary>
/// <param name="LeaseKey">The lease key.</param>
/// <param name="StreamName">The stream name.</param>
public sealed record LeaseTarget(string LeaseKey, string StreamName);

/// <summary>
/// Tells <see cref="LeaseSynchronizer"/> which leases should exist now (the role KCL's ShardDetector plays). Leases know
/// no media: the stream catalogue and its selection rules live above, in the pipeline.
/// </summary>
public interface ILeaseKeySource
{
    /// <summary>Lists the targets that should have a lease now.</summary>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The targets; a listing that failed must throw, never answer empty.</returns>
    Task<IReadOnlyList<LeaseTarget>> ListTargetsAsync(CancellationToken cancellationToken);
}
