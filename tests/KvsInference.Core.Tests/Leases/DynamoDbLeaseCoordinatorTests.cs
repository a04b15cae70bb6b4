using KvsInference.Leases;

namespace KvsInference.Tests.Leases;

/// <summary>Coordinators over the DynamoDB store against dynalite, on a fake clock.</summary>
public sealed class DynamoDbLeaseCoordinatorTests
{
    private static LeaseTestHarness NewHarness(string name) =>
        new(store: DynamoDbLeaseTestSupport.NewStore(DynamoDbLeaseTestSupport.UniqueTable(name)));

    [Fact]
    public async Task ThreeWorkersTenStreams_Converge_ThenCrashAndHandOff()
    {
        await using var h = NewHarness("multi").WithLeases(10);
        await h.StartWorkersAsync(3);
        var step = TimeSpan.FromMilliseconds(250);
        await h.PassTimeAsync(TimeSpan.FromMinutes(10), step, () => h.IsBalanced(10));
        Assert.True(h.IsBalanced(10), string.Join(", ", h.Counts()));

        // Graceful hand-off: released leases are unowned and taken at the next take cycle, not after expiry.
        var leaving = h.Workers["w2"];
        var held = leaving.GetCurrentlyHeldLeases();
        await leaving.ShutdownAsync(null, default);
        h.Workers.Remove("w2");
        Assert.All(await h.Store.ListLeasesAsync(default), l => Assert.True(!held.ContainsKey(l.LeaseKey) || l.LeaseOwner is null));
        var releasedAt = h.Elapsed;
        await h.PassTimeAsync(TimeSpan.FromMinutes(2), step, () => h.Counts().Values.Sum() == 10);
        Assert.Equal(10, h.Counts().Values.Sum());
        Assert.True(h.Elapsed - releasedAt <= h.Workers["w0"].TakeInterval + step, $"hand-off took {h.Elapsed - releasedAt}");
        Assert.All(h.Acquisitions().Where(a => held.ContainsKey(a.LeaseKey) && a.LeaseToken.IsCancellationRequested == false),
            a => Assert.Equal(LeaseAcquisition.Taken, a.Acquisition));
    }

    [Fact]
    public async Task Checkpoint_AfterLeaseStolen_FailsWithLeaseLost()
    {
        await using var h = NewHarness("cp").WithLeases(2);
        await h.StartWorkerAsync("w0");
        var mine = h.Acquisitions("w0").ToList();
        await mine[0].Checkpointer.CheckpointAsync("1000", DateTimeOffset.UnixEpoch.AddSeconds(5), default);
        await h.StartWorkerAsync("w1");
        await h.PassTimeAsync(TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(500), () => h.Acquisitions("w1").Any());
        var stolen = Assert.Single(h.Acquisitions("w1"));
        var victim = mine.Single(a => a.LeaseKey == stolen.LeaseKey);
        await Assert.ThrowsAsync<LeaseLostException>(() => victim.Checkpointer.CheckpointAsync("2000", null, default));
        Assert.True(victim.LeaseToken.IsCancellationRequested);
        var stored = (await h.Store.GetLeaseAsync(stolen.LeaseKey, default))!;
        Assert.Equal("w1", stored.LeaseOwner);
        Assert.NotEqual("2000", stored.Checkpoint);
        await stolen.Checkpointer.CheckpointAsync("2000", null, default);
        Assert.Equal(("2000", 0L), ((await h.Store.GetLeaseAsync(stolen.LeaseKey, default))!.Checkpoint, (await h.Store.GetLeaseAsync(stolen.LeaseKey, default))!.OwnerSwitchesSinceCheckpoint));
    }
}
