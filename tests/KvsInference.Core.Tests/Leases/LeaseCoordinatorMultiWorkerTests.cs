using KvsInference.Leases;

namespace KvsInference.Tests.Leases;

public sealed class LeaseCoordinatorMultiWorkerTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 20)]
    [InlineData(2, 1)]
    [InlineData(2, 10)]
    [InlineData(3, 7)]
    [InlineData(4, 10)]
    [InlineData(5, 100)]
    [InlineData(8, 3)]
    [InlineData(8, 100)]
    public async Task Start_ManyWorkers_ConvergeToEvenBalanceWithOneWriterPerLease(int workers, int streams)
    {
        await using var h = new LeaseTestHarness(seed: workers * 1000 + streams).WithLeases(streams);
        await h.StartWorkersAsync(workers);
        await h.PassTimeAsync(TimeSpan.FromMinutes(20), until: () => h.IsBalanced(streams));
        Assert.True(h.IsBalanced(streams), $"not balanced after {h.Elapsed}: {string.Join(", ", h.Counts())}");
        // Stays balanced (no thrashing) for a while longer.
        var steals = h.Acquisitions().Count(a => a.Acquisition == LeaseAcquisition.Stolen);
        await h.PassTimeAsync(TimeSpan.FromMinutes(2));
        Assert.True(h.IsBalanced(streams));
        Assert.Equal(steals, h.Acquisitions().Count(a => a.Acquisition == LeaseAcquisition.Stolen));
    }

    [Theory]
    [InlineData(3, 10)]
    [InlineData(8, 100)]
    public async Task Crash_WorkerStopsRenewing_OthersTakeAllItsLeasesWithinFailoverPlusOneTakeInterval(int workers, int streams)
    {
        await using var h = new LeaseTestHarness(seed: workers + streams).WithLeases(streams);
        await h.StartWorkersAsync(workers);
        await h.PassTimeAsync(TimeSpan.FromMinutes(20), until: () => h.IsBalanced(streams));
        Assert.True(h.IsBalanced(streams));

        var crashedAt = h.Elapsed;
        await h.CrashAsync("w0");
        await h.PassTimeAsync(TimeSpan.FromMinutes(2), until: () => h.Counts().Values.Sum() == streams);
        var takeover = h.Elapsed - crashedAt;
        var takeInterval = h.Workers.Values.First().TakeInterval;
        Assert.Equal(streams, h.Counts().Values.Sum());
        // The first scan that sees the last renewal comes within one take interval; the take cycle due F after it (+ e)
        // takes the lease then, not at the next fixed tick (which would make it F + 2 take intervals, near 2F).
        Assert.True(takeover <= h.Failover + takeInterval + LeaseConstants.DefaultEpsilonTime + TimeSpan.FromMilliseconds(100), $"takeover took {takeover}");
        Assert.True(takeover <= 1.5 * h.Failover, $"takeover took {takeover}, more than 1.5 times the failover time");
        Assert.True(takeover >= h.Failover, $"taken before expiry: {takeover}");
    }

    [Fact]
    public async Task Restart_CrashedWorkerReturns_GetsItsShareBackByStealing()
    {
        const int streams = 30;
        await using var h = new LeaseTestHarness(seed: 7).WithLeases(streams);
        await h.StartWorkersAsync(3);
        await h.PassTimeAsync(TimeSpan.FromMinutes(20), until: () => h.IsBalanced(streams));
        await h.CrashAsync("w1");
        await h.PassTimeAsync(TimeSpan.FromMinutes(2), until: () => h.Counts().Values.Sum() == streams);
        Assert.Equal(streams, h.Counts().Values.Sum());

        await h.StartWorkerAsync("w1");
        await h.PassTimeAsync(TimeSpan.FromMinutes(20), until: () => h.IsBalanced(streams));
        Assert.True(h.IsBalanced(streams), string.Join(", ", h.Counts()));
        Assert.Equal(10, h.Counts()["w1"]);
        var restarted = h.Acquisitions("w1").Where(a => !a.LeaseToken.IsCancellationRequested).ToList();
        Assert.Equal(10, restarted.Count);
        Assert.All(restarted, a => Assert.Equal(LeaseAcquisition.Stolen, a.Acquisition));
    }

    [Fact]
    public async Task Shutdown_GracefulHandOff_OthersTakeAtNextTakeCycleBeforeExpiry()
    {
        const int streams = 12;
        await using var h = new LeaseTestHarness(seed: 3).WithLeases(streams);
        await h.StartWorkersAsync(3);
        await h.PassTimeAsync(TimeSpan.FromMinutes(20), until: () => h.IsBalanced(streams));
        var leaving = h.Workers["w2"];
        var held = leaving.GetCurrentlyHeldLeases();
        Assert.Equal(4, held.Count);
        var callbacks = new List<string>();
        await leaving.ShutdownAsync((lease, _) => { callbacks.Add(lease.LeaseKey); return Task.CompletedTask; }, default);
        Assert.Equal(held.Keys.Order(), callbacks.Order());
        h.Workers.Remove("w2");
        foreach (var lease in await h.Store.ListLeasesAsync(default))
        {
            if (held.ContainsKey(lease.LeaseKey)) Assert.Null(lease.LeaseOwner);
        }
        var releasedAt = h.Elapsed;
        await h.PassTimeAsync(TimeSpan.FromMinutes(2), until: () => h.Counts().Values.Sum() == streams);
        // Taken at the next take cycle, which comes at most one take interval later and no later than the first
        // take cycle that could see an expiry, because unowned leases are takeable at once.
        Assert.True(h.Elapsed - releasedAt <= h.Workers["w0"].TakeInterval, $"hand-off took {h.Elapsed - releasedAt}");
        Assert.True(h.IsBalanced(streams));
    }

    [Fact]
    public async Task MaxLeasesForWorker_Cap_IsRespected()
    {
        await using var h = new LeaseTestHarness().WithLeases(10);
        var options = h.Options("capped");
        options.MaxLeasesForWorker = 4;
        await h.StartWorkerAsync("capped", options);
        await h.PassTimeAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(4, h.Counts()["capped"]);
    }
}
