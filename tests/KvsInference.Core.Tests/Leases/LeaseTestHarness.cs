using KvsInference.Leases;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KvsInference.Tests.Leases;

/// <summary>
/// Drives coordinators over one store on a shared fake clock (like KCL's TestHarnessBuilder) and checks the lease
/// invariants after every step.
/// </summary>
/// <remarks>
/// "Held" means: in a coordinator's <see cref="LeaseCoordinator.GetCurrentlyHeldLeases"/> (a belief whose last
/// successful conditional write started within the failover time on its clock). Invariants checked at every step:
/// (I1) per lease at most one believer is a writer: its copy matches the store's owner and counter, so only it can
/// renew or checkpoint; (I2) any other believer is a victim of a steal (the writer's session was acquired by stealing)
/// and its stale belief lasts at most one renew interval (plus one step); so a lease taken because it expired or was
/// unowned never has a second believer.
/// </remarks>
internal sealed class LeaseTestHarness : IAsyncDisposable
{
    private readonly Dictionary<(string Worker, string Lease), TimeSpan> _staleSince = [];
    private readonly Dictionary<(string Worker, string Lease), LeaseAcquisition> _sessions = [];
    private int _seed;

    public LeaseTestHarness(TimeSpan? failover = null, ILeaseStore? store = null, int seed = 1)
    {
        Failover = failover ?? TimeSpan.FromSeconds(10);
        Store = store ?? new InMemoryLeaseStore();
        _seed = seed;
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public ILeaseStore Store { get; }

    public TimeSpan Failover { get; }

    public Dictionary<string, LeaseCoordinator> Workers { get; } = new(StringComparer.Ordinal);

    public List<(string Worker, LeaseNotification Notification)> Notifications { get; } = [];

    public IEnumerable<LeaseAcquired> Acquisitions(string? worker = null) =>
        Notifications.Where(n => worker is null || n.Worker == worker).Select(n => n.Notification).OfType<LeaseAcquired>();

    public TimeSpan Elapsed { get; private set; }

    public LeaseTestHarness WithLeases(int count)
    {
        for (var i = 0; i < count; i++) WithLease($"arn:aws:kinesisvideo:us-east-1:1:stream/s{i:D3}/1", $"s{i:D3}");
        return this;
    }

    public LeaseTestHarness WithLease(string key, string streamName, string? owner = null)
    {
        var lease = new Lease(key, streamName);
        Assert.True(Store.CreateLeaseIfNotExistsAsync(lease, default).GetAwaiter().GetResult());
        if (owner is not null) Assert.True(Store.TakeLeaseAsync(lease, owner, default).GetAwaiter().GetResult());
        return this;
    }

    public LeaseCoordinatorOptions Options(string workerId) => new() { WorkerId = workerId, FailoverTime = Failover };

    public LeaseCoordinator NewCoordinator(string workerId, LeaseCoordinatorOptions? options = null) =>
        new(Store, options ?? Options(workerId), Time, NullLogger<LeaseCoordinator>.Instance, new Random(_seed++));

    public async Task<LeaseCoordinator> StartWorkerAsync(string workerId, LeaseCoordinatorOptions? options = null)
    {
        var c = NewCoordinator(workerId, options);
        Workers[workerId] = c;
        await c.StartAsync(default);
        await AfterStepAsync();
        return c;
    }

    public async Task StartWorkersAsync(int count)
    {
        for (var i = 0; i < count; i++) await StartWorkerAsync($"w{i}");
    }

    public async Task CrashAsync(string workerId)
    {
        await Workers[workerId].DisposeAsync();
        Workers.Remove(workerId);
        await AfterStepAsync();
    }

    /// <summary>Advances the clock in steps, letting timers fire, and checks the invariants after each step.</summary>
    public async Task PassTimeAsync(TimeSpan total, TimeSpan? step = null, Func<bool>? until = null)
    {
        var s = step ?? TimeSpan.FromMilliseconds(100);
        for (var passed = TimeSpan.Zero; passed < total; passed += s)
        {
            Time.Advance(s);
            Elapsed += s;
            await Task.WhenAll(Workers.Values.Select(w => w.WhenIdleAsync()));
            await AfterStepAsync();
            if (until?.Invoke() == true) return;
        }
    }

    public Dictionary<string, int> Counts() => Workers.ToDictionary(w => w.Key, w => w.Value.GetCurrentlyHeldLeases().Count);

    public bool IsBalanced(int totalLeases)
    {
        var counts = Counts().Values.ToList();
        return counts.Sum() == totalLeases && counts.Max() - counts.Min() <= 1;
    }

    public async Task AfterStepAsync()
    {
        foreach (var (id, w) in Workers)
        {
            while (w.Notifications.TryRead(out var n))
            {
                Notifications.Add((id, n));
                if (n is LeaseAcquired a) _sessions[(id, a.LeaseKey)] = a.Acquisition;
            }
        }
        await CheckInvariantsAsync();
    }

    private async Task CheckInvariantsAsync()
    {
        var stored = (await (Store is FlakyLeaseStore f ? f.Inner : Store).ListLeasesAsync(default)).ToDictionary(l => l.LeaseKey);
        var beliefs = Workers.SelectMany(w => w.Value.GetCurrentlyHeldLeases().Values.Select(l => (Worker: w.Key, Lease: l))).GroupBy(b => b.Lease.LeaseKey);
        var staleNow = new HashSet<(string, string)>();
        foreach (var group in beliefs)
        {
            stored.TryGetValue(group.Key, out var s);
            var writers = group.Where(b => s is not null && b.Lease.LeaseCounter == s.LeaseCounter && b.Lease.LeaseOwner == s.LeaseOwner && s.LeaseOwner == b.Worker).ToList();
            Assert.True(writers.Count <= 1, $"at {Elapsed}: lease {group.Key} has {writers.Count} writers");
            foreach (var stale in group.Except(writers))
            {
                var key = (stale.Worker, group.Key);
                staleNow.Add(key);
                if (!_staleSince.ContainsKey(key)) _staleSince[key] = Elapsed;
                Assert.True(writers.Count == 1 && _sessions.GetValueOrDefault((writers[0].Worker, group.Key)) == LeaseAcquisition.Stolen,
                    $"at {Elapsed}: {stale.Worker} believes it holds {group.Key} (store: {s}) but the writer did not steal it");
                var renew = Workers[stale.Worker].RenewInterval;
                Assert.True(Elapsed - _staleSince[key] <= renew + TimeSpan.FromMilliseconds(100),
                    $"at {Elapsed}: {stale.Worker}'s stale belief in {group.Key} outlived a renew interval");
            }
        }
        foreach (var key in _staleSince.Keys.Where(k => !staleNow.Contains(k)).ToList()) _staleSince.Remove(key);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var w in Workers.Values) await w.DisposeAsync();
    }
}
