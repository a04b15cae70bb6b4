using System.ComponentModel.DataAnnotations;
using KvsInference.Validation;

namespace KvsInference.Leases;

/// <summary>Options of <see cref="LeaseCoordinator"/>; all timing derives from <see cref="FailoverTime"/>.</summary>
public sealed class LeaseCoordinatorOptions
{
    /// <summary>Gets or sets this worker's id, written as <c>leaseOwner</c>; must be unique in the fleet.</summary>
    /// <value>The default value is <c>{machine}-{process id}-{random}</c>.</value>
    [Required(AllowEmptyStrings = false)]
    public string WorkerId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Gets or sets the failover time (lease duration): a lease whose counter has not changed for this long is expired.</summary>
    /// <value>The default value is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan FailoverTime { get; set; } = LeaseConstants.DefaultFailoverTime;

    /// <summary>Gets or sets the epsilon subtracted from the renew interval and added to the take interval.</summary>
    /// <value>The default value is 25 ms.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan EpsilonTime { get; set; } = LeaseConstants.DefaultEpsilonTime;

    /// <summary>Gets or sets the most leases this worker holds.</summary>
    /// <value>The default value is <see cref="int.MaxValue"/> (no cap).</value>
    [Range(1, int.MaxValue)]
    public int MaxLeasesForWorker { get; set; } = LeaseConstants.DefaultMaxLeasesForWorker;

    /// <summary>Gets or sets the most leases one take cycle steals from the most loaded worker.</summary>
    /// <value>The default value is 1.</value>
    [Range(1, 1000)]
    public int MaxLeasesToStealAtOneTime { get; set; } = LeaseConstants.DefaultMaxLeasesToStealAtOneTime;

    /// <summary>Gets the renew interval: failover / 3 - epsilon.</summary>
    public TimeSpan RenewInterval => FailoverTime / 3 - EpsilonTime;

    /// <summary>Gets the take interval: failover / 2 - epsilon.</summary>
    /// <remarks>
    /// KCL scans every (failover + epsilon) * 2, which lets a dead worker's leases wait up to about 4x the failover
    /// time. A taker first sees the last counter value at most one interval T after it changed and declares it expired
    /// F later; the coordinator runs a take cycle at that moment (not at the next tick), so takeover &lt;= F + T + e
    /// after the last renewal. T = F/2 - e keeps that at 1.5F. The price is one table scan per worker every F/2.
    /// </remarks>
    public TimeSpan TakeInterval => FailoverTime / 2 - EpsilonTime;

    /// <summary>Validates the options and reports every error together.</summary>
    /// <exception cref="ValidationException">One or more values are invalid; the message lists them all.</exception>
    public void Validate() => OptionsValidator.Validate(this, Rules());

    /// <summary>The rules between members.</summary>
    internal IEnumerable<ValidationResult> Rules()
    {
        if (RenewInterval <= TimeSpan.Zero)
        {
            yield return OptionsValidator.Error(nameof(EpsilonTime), $"The EpsilonTime ({EpsilonTime}) must be less than a third of the FailoverTime ({FailoverTime}).");
        }
    }
}
