using System.ComponentModel.DataAnnotations;
using System.Diagnostics.Metrics;
using KvsInference.Leases;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KvsInference.Tests.Leases;

public sealed class LeaseCoordinatorTests
{
    [Fact]
    public void Constructor_DefaultOptions_DerivesKclIntervals()
    {
        var c = new LeaseCoordinator(new InMemoryLeaseStore(), new LeaseCoordinatorOptions { WorkerId = "w" }, new FakeTimeProvider(), NullLogger<LeaseCoordinator>.Instance);
        Assert.Equal(TimeSpan.FromMilliseconds(10_000.0 / 3 - 25), c.RenewInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(4_975), c.TakeInterval);
    }

    [Fact]
    public void Validate_SeveralBadValues_ReportsAllTogether()
    {
        var options = new LeaseCoordinatorOptions { WorkerId = "", FailoverTime = TimeSpan.FromMilliseconds(150), EpsilonTime = TimeSpan.FromMilliseconds(60), MaxLeasesForWorker = 0, MaxLeasesToStealAtOneTime = 0 };
        var e = Assert.Throws<ValidationException>(options.Validate);
        foreach (var name in new[] { "WorkerId", "MaxLeasesForWorker", "MaxLeasesToStealAtOneTime", "EpsilonTime" }) Assert.Contains(name, e.Message);
        Assert.Throws<ValidationException>(() => new LeaseCoordinator(new InMemoryLeaseStore(), options, TimeProvider.System, NullLogger<LeaseCoordinator>.Instance));
    }

    [Fact]
    public async Task Steal_VictimRenews_LosesLeaseCancelsTokenAndPublishesLost()
    {
        await using var h = new LeaseTestHarness().WithLeases(2);
        var w0 = await h.StartWorkerAsync("w0");
        Assert.Equal(2, w0.HeldLeaseCount);
        var acquired = h.Acquisitions("w0").ToList();
        Assert.All(acquired, a => Assert.Equal(LeaseAcquisition.Taken, a.Acquisition));

        await h.StartWorkerAsync("w1");
        await h.PassTimeAsync(h.Workers["w1"].TakeInterval, until: () => h.Acquisitions("w1").Any());
        var stolen = Assert.Single(h.Acquisitions("w1"));
        Assert.Equal(LeaseAcquisition.Stolen, stolen.Acquisition);
        var victim = acquired.Single(a => a.LeaseKey == stolen.LeaseKey);
        // Until its next renewal the victim still believes; it cannot write a checkpoint though.
        Assert.Equal(CheckpointOutcome.LeaseLost, await victim.Checkpointer.TryCheckpointAsync("10", null, default));
        Assert.True(victim.LeaseToken.IsCancellationRequested);
        var lost = h.Notifications.Where(n => n.Worker == "w0").Select(n => n.Notification).OfType<LeaseLost>().ToList();
        await h.AfterStepAsync();
        lost = h.Notifications.Where(n => n.Worker == "w0").Select(n => n.Notification).OfType<LeaseLost>().ToList();
        Assert.Equal((stolen.LeaseKey, LeaseLossReason.Lost), (Assert.Single(lost).LeaseKey, lost[0].Reason));
        await Assert.ThrowsAsync<LeaseLostException>(() => victim.Checkpointer.CheckpointAsync("11", null, default));
        Assert.Equal(1, h.Workers["w0"].HeldLeaseCount);
    }

    [Fact]
    public async Task Checkpoint_Holder_WritesResetsSwitchesAndNeverMovesBackwards()
    {
        await using var h = new LeaseTestHarness().WithLeases(1);
        await h.StartWorkerAsync("w0");
        var a = Assert.Single(h.Acquisitions("w0"));
        Assert.Equal(1, a.Lease.OwnerSwitchesSinceCheckpoint);
        var ts = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);
        await a.Checkpointer.CheckpointAsync("91343852333181432392682062607743920146264440123", ts, default);
        // Numerically larger although ordinally smaller ("9..." vs "1...").
        await a.Checkpointer.CheckpointAsync("100000000000000000000000000000000000000000000000", ts, default);
        var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.Checkpointer.CheckpointAsync("91343852333181432392682062607743920146264440124", ts, default));
        Assert.Contains("backwards", e.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => a.Checkpointer.CheckpointAsync("12a", ts, default));
        var stored = (await h.Store.GetLeaseAsync(a.LeaseKey, default))!;
        Assert.Equal(("100000000000000000000000000000000000000000000000", ts, 0L), (stored.Checkpoint, stored.CheckpointProducerTimestamp, stored.OwnerSwitchesSinceCheckpoint));
        // Checkpoints count as renewals and the holder keeps the lease through many renew cycles.
        await h.PassTimeAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(1, h.Workers["w0"].HeldLeaseCount);
    }

    [Fact]
    public async Task RenewCycle_StoreFailsLongerThanFailover_DropsLeaseAsExpiredWithoutCrashing()
    {
        var store = new FlakyLeaseStore(new InMemoryLeaseStore());
        await using var h = new LeaseTestHarness(store: store).WithLeases(3);
        var w0 = await h.StartWorkerAsync("w0");
        Assert.Equal(3, w0.HeldLeaseCount);
        store.Failing = true;
        await h.PassTimeAsync(h.Failover + TimeSpan.FromMilliseconds(100));
        Assert.Equal(0, w0.HeldLeaseCount); // no longer counted as held the moment the failover time passes
        await h.PassTimeAsync(w0.RenewInterval); // the next renew cycle drops them and cancels their tokens
        Assert.Equal(0, w0.HeldLeaseCount); // not renewed for the failover time: it must stop, others may take
        var lost = h.Notifications.Select(n => n.Notification).OfType<LeaseLost>().ToList();
        Assert.Equal(3, lost.Count(l => l.Reason is LeaseLossReason.Expired));
        store.Failing = false;
        await h.PassTimeAsync(TimeSpan.FromMinutes(2), until: () => w0.HeldLeaseCount == 3);
        Assert.Equal(3, w0.HeldLeaseCount); // the coordinator kept running and took them back
    }

    [Fact]
    public async Task TakeCycle_StoreFails_CountsFailedCycleAndRecovers()
    {
        var store = new FlakyLeaseStore(new InMemoryLeaseStore()) { Failing = true };
        await using var h = new LeaseTestHarness(store: store).WithLeases(2);
        var w0 = await h.StartWorkerAsync("w0");
        Assert.Equal(2, w0.FailedCycles); // initialize and the first take cycle
        store.Failing = false;
        await h.PassTimeAsync(w0.TakeInterval);
        Assert.Equal(2, w0.HeldLeaseCount);
    }

    [Fact]
    public async Task Metrics_TakeAndHold_PublishedOnKvsInferenceLeasesMeter()
    {
        var measured = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) => { if (i.Meter.Name == LeaseConstants.MeterName) l.EnableMeasurementEvents(i); };
        void Record(Instrument i, long v, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var t in tags) if (t.Key == "worker.id" && (string?)t.Value == "metrics-w") lock (measured) measured[i.Name] = measured.GetValueOrDefault(i.Name) + v;
        }
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        listener.Start();
        await using var h = new LeaseTestHarness().WithLeases(4);
        await h.StartWorkerAsync("metrics-w");
        listener.RecordObservableInstruments();
        Assert.Equal(4, measured["kvsi.leases.taken"]);
        Assert.Equal(4, measured["kvsi.leases.held"]);
        Assert.Equal(4, measured["kvsi.leases.total"]);
        Assert.Equal(1, measured["kvsi.leases.workers_seen"]);
    }
}

/// <summary>A store that throws transient-looking errors while <see cref="Failing"/> is set.</summary>
internal sealed class FlakyLeaseStore(ILeaseStore inner) : ILeaseStore
{
    public volatile bool Failing;

    public ILeaseStore Inner => inner;

    private T Check<T>(T value) => Failing ? throw new LeaseStoreException("injected outage") : value;

    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    public Task<bool> CreateLeaseIfNotExistsAsync(Lease lease, CancellationToken cancellationToken) => inner.CreateLeaseIfNotExistsAsync(lease, cancellationToken);

    public Task<IReadOnlyList<Lease>> ListLeasesAsync(CancellationToken cancellationToken) => Failing ? Check(inner.ListLeasesAsync(cancellationToken)) : inner.ListLeasesAsync(cancellationToken);

    public Task<Lease?> GetLeaseAsync(string leaseKey, CancellationToken cancellationToken) => inner.GetLeaseAsync(leaseKey, cancellationToken);

    public Task<bool> RenewLeaseAsync(Lease lease, CancellationToken cancellationToken) => Failing ? Check(Task.FromResult(false)) : inner.RenewLeaseAsync(lease, cancellationToken);

    public Task<bool> TakeLeaseAsync(Lease lease, string newOwner, CancellationToken cancellationToken) => Failing ? Check(Task.FromResult(false)) : inner.TakeLeaseAsync(lease, newOwner, cancellationToken);

    public Task<bool> EvictLeaseAsync(Lease lease, CancellationToken cancellationToken) => inner.EvictLeaseAsync(lease, cancellationToken);

    public Task<bool> UpdateCheckpointAsync(Lease lease, string checkpoint, DateTimeOffset? producerTimestamp, CancellationToken cancellationToken) =>
        Failing ? Check(Task.FromResult(false)) : inner.UpdateCheckpointAsync(lease, checkpoint, producerTimestamp, cancellationToken);

    public Task<bool> DeleteLeaseAsync(Lease lease, CancellationToken cancellationToken) => inner.DeleteLeaseAsync(lease, cancellationToken);
}
