using Microsoft.Extensions.Logging;

namespace KvsInference.Leases;

/// <summary>The <see cref="ILeaseTaker"/> with KCL's rules.</summary>
/// <remarks>
/// Each cycle lists the table and, for every lease, remembers the local time its counter was first seen with its
/// current value. A lease is expired when that counter has not changed for the failover time on this worker's clock,
/// or when it has no owner (new or handed off: takeable at once). Then:
/// <list type="number">
/// <item>target = min(ceil(total / workers), MaxLeasesForWorker), workers = distinct owners of non-expired leases plus self.</item>
/// <item>If this worker holds fewer than the target and expired leases exist, take up to the shortfall of them,
/// unowned ones first, otherwise in random order, moving on to the next after a lost race; nothing is stolen in such a cycle.</item>
/// <item>Otherwise steal from the most loaded other worker, at most MaxLeasesToStealAtOneTime and the shortfall, when that
/// worker holds more than the target, or (so that counts end within one of each other) at least two more than this
/// worker, then at most half the difference. Each steal strictly reduces the sum of squared counts, so stealing stops.</item>
/// </list>
/// Every take is conditional on the counter as listed; a lost race is skipped.
/// <para>After each cycle <see cref="NextExpiryTimestamp"/> is the earliest time a watched lease of another worker
/// expires (its counter first seen + F). The coordinator runs a cycle then, which lists again: a lease whose counter
/// moved meanwhile is not expired, so the extra cycle only saves waiting for the next fixed tick. A live owner renews
/// every F/3 - e, more often than the take interval, so each scan sees a new counter and the extra cycle of a live
/// lease never comes due; a dead owner's lease is taken at about F after the first scan that saw its last counter.</para>
/// </remarks>
public sealed class LeaseTaker : ILeaseTaker
{
    private readonly ILeaseStore _store;
    private readonly LeaseCoordinatorOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Random _random;
    private readonly Dictionary<string, Lease> _allLeases = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Creates the taker.</summary>
    /// <param name="store">The lease store.</param>
    /// <param name="options">The coordinator options (worker id, failover time, limits); validated here.</param>
    /// <param name="timeProvider">The local monotonic clock.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="random">Randomness for choosing among candidates; <see cref="Random.Shared"/> when null.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public LeaseTaker(ILeaseStore store, LeaseCoordinatorOptions options, TimeProvider timeProvider, ILogger logger, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        _store = store;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        _random = random ?? Random.Shared;
    }

    /// <inheritdoc/>
    public int LastTotalLeases { get; private set; }

    /// <inheritdoc/>
    public int LastWorkersSeen { get; private set; } = 1;

    /// <inheritdoc/>
    public long? NextExpiryTimestamp { get; private set; }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<TakenLease>> TakeLeasesAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var listed = await _store.ListLeasesAsync(cancellationToken).ConfigureAwait(false);
            // Read the clock after the list returns: the observed counters were written no later than this.
            var scanTime = _timeProvider.GetTimestamp();
            UpdateAllLeases(listed, scanTime);

            var self = _options.WorkerId;
            var expired = new List<Lease>();
            var counts = new Dictionary<string, List<Lease>>(StringComparer.Ordinal);
            foreach (var lease in _allLeases.Values)
            {
                if (lease.IsExpired(_options.FailoverTime, scanTime, _timeProvider))
                {
                    expired.Add(lease);
                }
                else
                {
                    (counts.TryGetValue(lease.LeaseOwner!, out var list) ? list : counts[lease.LeaseOwner!] = []).Add(lease);
                }
            }
            NextExpiryTimestamp = EarliestExpiry(counts, self);
            var workers = counts.Count + (counts.ContainsKey(self) ? 0 : 1);
            var total = _allLeases.Count;
            LastTotalLeases = total;
            LastWorkersSeen = workers;
            var target = Math.Min(total == 0 ? 0 : (total + workers - 1) / workers, _options.MaxLeasesForWorker);
            var mine = counts.TryGetValue(self, out var own) ? own.Count : 0;
            var shortfall = target - mine;
            if (shortfall <= 0) return [];

            List<(Lease Lease, LeaseAcquisition How)> candidates;
            if (expired.Count > 0)
            {
                // All expired leases are candidates: when a race for one is lost (another worker took it), the next is tried.
                candidates = Shuffle(expired.Where(l => l.IsUnowned)).Concat(Shuffle(expired.Where(l => !l.IsUnowned)))
                    .Select(l => (l, LeaseAcquisition.Taken)).ToList();
            }
            else
            {
                candidates = ChooseLeasesToSteal(counts, self, target, mine, shortfall).Select(l => (l, LeaseAcquisition.Stolen)).ToList();
            }

            var taken = new List<TakenLease>();
            foreach (var (lease, how) in candidates)
            {
                if (taken.Count >= shortfall) break;
                var copy = lease.Copy();
                var start = _timeProvider.GetTimestamp();
                try
                {
                    if (await _store.TakeLeaseAsync(copy, self, cancellationToken).ConfigureAwait(false))
                    {
                        copy.LastCounterIncrementTimestamp = start;
                        _allLeases[copy.LeaseKey] = copy.Copy();
                        taken.Add(new TakenLease(copy, how, start));
                        _logger.LogInformation("Worker {Worker} {How} lease {Lease} (previous owner {Previous}).",
                            self, how == LeaseAcquisition.Stolen ? "stole" : "took", copy.LeaseKey, lease.LeaseOwner ?? "none");
                    }
                    else
                    {
                        _logger.LogDebug("Worker {Worker} lost the race for lease {Lease}.", self, lease.LeaseKey);
                    }
                }
                catch (LeaseStoreException e)
                {
                    LeaseMetrics.StoreErrors.Add(1, new("error.type", e.InnerException?.GetType().Name ?? nameof(LeaseStoreException)), new("retried", false));
                    _logger.LogWarning(e, "Worker {Worker} could not take lease {Lease}.", self, lease.LeaseKey);
                }
            }
            return taken;
        }
        finally
        {
            _gate.Release();
        }
    }

    // The earliest moment a non-expired lease of another worker expires if its counter stays as seen.
    private long? EarliestExpiry(Dictionary<string, List<Lease>> counts, string self)
    {
        var failoverTicks = (long)Math.Ceiling(_options.FailoverTime.TotalSeconds * _timeProvider.TimestampFrequency);
        long? earliest = null;
        foreach (var (owner, leases) in counts)
        {
            if (owner == self) continue;
            foreach (var lease in leases)
            {
                if (lease.LastCounterIncrementTimestamp is not { } seen) continue;
                var due = seen + failoverTicks;
                if (earliest is null || due < earliest) earliest = due;
            }
        }
        return earliest;
    }

    private IEnumerable<Lease> ChooseLeasesToSteal(Dictionary<string, List<Lease>> counts, string self, int target, int mine, int shortfall)
    {
        List<Lease>? mostLoaded = null;
        foreach (var (owner, leases) in counts.OrderBy(_ => _random.Next()))
        {
            if (owner != self && (mostLoaded is null || leases.Count > mostLoaded.Count)) mostLoaded = leases;
        }
        if (mostLoaded is null) return [];
        int n;
        if (mostLoaded.Count > target) n = Math.Min(_options.MaxLeasesToStealAtOneTime, shortfall);
        else if (mostLoaded.Count >= mine + 2) n = Math.Min(Math.Min(_options.MaxLeasesToStealAtOneTime, shortfall), (mostLoaded.Count - mine) / 2);
        else return [];
        return Shuffle(mostLoaded).Take(n);
    }

    private void UpdateAllLeases(IReadOnlyList<Lease> listed, long scanTime)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var lease in listed)
        {
            seen.Add(lease.LeaseKey);
            lease.LastCounterIncrementTimestamp =
                _allLeases.TryGetValue(lease.LeaseKey, out var old) && old.LeaseCounter == lease.LeaseCounter
                    ? old.LastCounterIncrementTimestamp
                    : scanTime;
            _allLeases[lease.LeaseKey] = lease;
        }
        foreach (var key in _allLeases.Keys.Where(k => !seen.Contains(k)).ToList()) _allLeases.Remove(key);
    }

    private List<Lease> Shuffle(IEnumerable<Lease> leases)
    {
        var list = leases.ToList();
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = _random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
        return list;
    }
}
