namespace KvsInference.Leases;

/// <summary>Defaults, attribute names and instrument names of the lease subsystem.</summary>
public static class LeaseConstants
{
    /// <summary>The default failover time (lease duration): 10 seconds, as in KCL.</summary>
    public static readonly TimeSpan DefaultFailoverTime = TimeSpan.FromSeconds(10);

    /// <summary>The default epsilon subtracted from the renew interval and added to the take interval: 25 ms, as in KCL.</summary>
    public static readonly TimeSpan DefaultEpsilonTime = TimeSpan.FromMilliseconds(25);

    /// <summary>The default number of leases one take cycle may steal: 1.</summary>
    public const int DefaultMaxLeasesToStealAtOneTime = 1;

    /// <summary>The default cap of leases per worker: unlimited.</summary>
    public const int DefaultMaxLeasesForWorker = int.MaxValue;

    /// <summary>The default period between stream discovery refreshes: 30 seconds.</summary>
    public static readonly TimeSpan DefaultDiscoveryRefreshPeriod = TimeSpan.FromSeconds(30);

    /// <summary>How long a stream must be missing before its lease is deleted: 5 minutes.</summary>
    public static readonly TimeSpan DefaultDeletedStreamGracePeriod = TimeSpan.FromMinutes(5);

    /// <summary>The default number of attempts (first call included) for throttled or 5xx DynamoDB calls.</summary>
    public const int DefaultStoreMaxAttempts = 5;

    /// <summary>The default base delay of the store's exponential jittered backoff: 100 ms.</summary>
    public static readonly TimeSpan DefaultStoreRetryBaseDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>The default time to wait for a newly created table to become ACTIVE: 2 minutes.</summary>
    public static readonly TimeSpan DefaultTableActiveTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> publishing lease metrics.</summary>
    public const string MeterName = "KvsInference.Leases";

    /// <summary>Hash key attribute (S): the stream ARN.</summary>
    public const string LeaseKeyAttribute = "leaseKey";

    /// <summary>Owner attribute (S): the worker id; absent when the lease is unowned.</summary>
    public const string LeaseOwnerAttribute = "leaseOwner";

    /// <summary>Counter attribute (N): incremented by every write; the condition of every write.</summary>
    public const string LeaseCounterAttribute = "leaseCounter";

    /// <summary>Checkpoint attribute (S): the last fragment number fully processed and acknowledged.</summary>
    public const string CheckpointAttribute = "checkpoint";

    /// <summary>Producer timestamp of the checkpointed fragment (N, Unix epoch milliseconds).</summary>
    public const string CheckpointProducerTimestampAttribute = "checkpointProducerTimestamp";

    /// <summary>Owner switches since the last checkpoint (N).</summary>
    public const string OwnerSwitchesSinceCheckpointAttribute = "ownerSwitchesSinceCheckpoint";

    /// <summary>Stream name attribute (S).</summary>
    public const string StreamNameAttribute = "streamName";
}
