using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace KvsInference.Leases;

/// <summary>
/// The lease instruments on the meter <c>KvsInference.Leases</c>. Every measurement carries the tag <c>worker.id</c>
/// (except store errors, tagged <c>error.type</c> and <c>retried</c>).
/// </summary>
/// <remarks>
/// Instruments: <c>kvsi.leases.held</c> (gauge), <c>kvsi.leases.total</c> (gauge), <c>kvsi.leases.workers_seen</c>
/// (gauge), <c>kvsi.leases.taken</c>, <c>kvsi.leases.stolen</c>, <c>kvsi.leases.lost</c>,
/// <c>kvsi.leases.renewal_failures</c>, <c>kvsi.leases.store_errors</c> (counters).
/// </remarks>
internal static class LeaseMetrics
{
    internal static readonly Meter Meter = new(LeaseConstants.MeterName);

    private static readonly ConcurrentDictionary<LeaseCoordinator, byte> Coordinators = new();

    internal static readonly Counter<long> Taken = Meter.CreateCounter<long>("kvsi.leases.taken", "{lease}", "Leases taken because they were expired or unowned.");
    internal static readonly Counter<long> Stolen = Meter.CreateCounter<long>("kvsi.leases.stolen", "{lease}", "Leases stolen from a more loaded worker to balance load.");
    internal static readonly Counter<long> Lost = Meter.CreateCounter<long>("kvsi.leases.lost", "{lease}", "Leases this worker lost (stolen, expired locally, deleted).");
    internal static readonly Counter<long> RenewalFailures = Meter.CreateCounter<long>("kvsi.leases.renewal_failures", "{renewal}", "Renewals that failed with an error (not a lost condition).");
    internal static readonly Counter<long> StoreErrors = Meter.CreateCounter<long>("kvsi.leases.store_errors", "{error}", "Lease store errors: throttling and 5xx (retried or not) and failed cycles.");

    static LeaseMetrics()
    {
        Meter.CreateObservableGauge("kvsi.leases.held", () => Observe(c => c.HeldLeaseCount), "{lease}", "Leases this worker holds.");
        Meter.CreateObservableGauge("kvsi.leases.total", () => Observe(c => c.LastTotalLeases), "{lease}", "Leases in the table at the last take cycle.");
        Meter.CreateObservableGauge("kvsi.leases.workers_seen", () => Observe(c => c.LastWorkersSeen), "{worker}", "Workers holding non-expired leases (self included) at the last take cycle.");
    }

    internal static KeyValuePair<string, object?> WorkerTag(string workerId) => new("worker.id", workerId);

    internal static void Register(LeaseCoordinator coordinator) => Coordinators.TryAdd(coordinator, 0);

    internal static void Unregister(LeaseCoordinator coordinator) => Coordinators.TryRemove(coordinator, out _);

    private static IEnumerable<Measurement<int>> Observe(Func<LeaseCoordinator, int> value) =>
        Coordinators.Keys.Select(c => new Measurement<int>(value(c), WorkerTag(c.WorkerId))).ToList();
}
