using KvsInference.Leases;

namespace KvsInference.Tests.Leases;

/// <summary>The conditional semantics every <see cref="ILeaseStore"/> must have; run against each implementation.</summary>
public abstract class LeaseStoreContractTests
{
    protected abstract ILeaseStore CreateStore();

    private static Lease NewLease(string key = "arn:stream/a") => new(key, "a");

    [Fact]
    public async Task CreateLeaseIfNotExists_Twice_SecondReturnsFalse()
    {
        var store = CreateStore();
        Assert.True(await store.CreateLeaseIfNotExistsAsync(NewLease(), default));
        Assert.False(await store.CreateLeaseIfNotExistsAsync(NewLease(), default));
        var listed = Assert.Single(await store.ListLeasesAsync(default));
        Assert.Equal(("arn:stream/a", "a", null, 0L, 0L), (listed.LeaseKey, listed.StreamName, listed.LeaseOwner, listed.LeaseCounter, listed.OwnerSwitchesSinceCheckpoint));
    }

    [Fact]
    public async Task TakeLease_StaleCounter_ReturnsFalseAndLeavesOwner()
    {
        var store = CreateStore();
        await store.CreateLeaseIfNotExistsAsync(NewLease(), default);
        var a = (await store.GetLeaseAsync("arn:stream/a", default))!;
        var b = a.Copy();
        Assert.True(await store.TakeLeaseAsync(a, "w1", default));
        Assert.Equal((1L, "w1", 1L), (a.LeaseCounter, a.LeaseOwner, a.OwnerSwitchesSinceCheckpoint));
        Assert.False(await store.TakeLeaseAsync(b, "w2", default));
        var stored = (await store.GetLeaseAsync("arn:stream/a", default))!;
        Assert.Equal(("w1", 1L), (stored.LeaseOwner, stored.LeaseCounter));
    }

    [Fact]
    public async Task RenewLease_AfterSteal_ReturnsFalse()
    {
        var store = CreateStore();
        await store.CreateLeaseIfNotExistsAsync(NewLease(), default);
        var holder = (await store.GetLeaseAsync("arn:stream/a", default))!;
        await store.TakeLeaseAsync(holder, "w1", default);
        Assert.True(await store.RenewLeaseAsync(holder, default));
        Assert.Equal(2, holder.LeaseCounter);
        var thief = (await store.GetLeaseAsync("arn:stream/a", default))!;
        Assert.True(await store.TakeLeaseAsync(thief, "w2", default));
        Assert.Equal(2, thief.OwnerSwitchesSinceCheckpoint);
        Assert.False(await store.RenewLeaseAsync(holder, default));
        Assert.False(await store.UpdateCheckpointAsync(holder, "5", null, default));
        Assert.False(await store.EvictLeaseAsync(holder, default));
        Assert.Null((await store.GetLeaseAsync("arn:stream/a", default))!.Checkpoint);
    }

    [Fact]
    public async Task UpdateCheckpoint_Holder_WritesAndResetsOwnerSwitches()
    {
        var store = CreateStore();
        await store.CreateLeaseIfNotExistsAsync(NewLease(), default);
        var lease = (await store.GetLeaseAsync("arn:stream/a", default))!;
        await store.TakeLeaseAsync(lease, "w1", default);
        var ts = new DateTimeOffset(2025, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);
        var fragment = "91343852333181432392682062607743920146264440123";
        Assert.True(await store.UpdateCheckpointAsync(lease, fragment, ts, default));
        var stored = (await store.GetLeaseAsync("arn:stream/a", default))!;
        Assert.Equal((fragment, ts, 0L, 2L, "w1"), (stored.Checkpoint, stored.CheckpointProducerTimestamp, stored.OwnerSwitchesSinceCheckpoint, stored.LeaseCounter, stored.LeaseOwner));
        Assert.Equal(stored.LeaseCounter, lease.LeaseCounter);
    }

    [Fact]
    public async Task EvictLease_Holder_RemovesOwnerSoAnyoneCanTake()
    {
        var store = CreateStore();
        await store.CreateLeaseIfNotExistsAsync(NewLease(), default);
        var lease = (await store.GetLeaseAsync("arn:stream/a", default))!;
        await store.TakeLeaseAsync(lease, "w1", default);
        Assert.True(await store.EvictLeaseAsync(lease, default));
        var stored = (await store.GetLeaseAsync("arn:stream/a", default))!;
        Assert.Null(stored.LeaseOwner);
        Assert.Equal(2, stored.LeaseCounter);
        Assert.False(await store.RenewLeaseAsync(stored, default)); // an unowned lease has no holder to renew it
        Assert.True(await store.TakeLeaseAsync(stored, "w2", default));
    }

    [Fact]
    public async Task DeleteLease_StaleCounter_ReturnsFalse_CurrentCounter_Deletes()
    {
        var store = CreateStore();
        await store.CreateLeaseIfNotExistsAsync(NewLease(), default);
        var listed = (await store.GetLeaseAsync("arn:stream/a", default))!;
        var holder = listed.Copy();
        await store.TakeLeaseAsync(holder, "w1", default);
        Assert.False(await store.DeleteLeaseAsync(listed, default));
        Assert.True(await store.DeleteLeaseAsync(holder, default));
        Assert.Null(await store.GetLeaseAsync("arn:stream/a", default));
        Assert.False(await store.RenewLeaseAsync(holder, default));
    }

    [Fact]
    public async Task TakeLease_ManyRacers_ExactlyOneWins()
    {
        var store = CreateStore();
        await store.CreateLeaseIfNotExistsAsync(NewLease(), default);
        var listed = (await store.GetLeaseAsync("arn:stream/a", default))!;
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => store.TakeLeaseAsync(listed.Copy(), $"w{i}", default))));
        Assert.Equal(1, results.Count(r => r));
        var winner = $"w{Array.IndexOf(results, true)}";
        Assert.Equal(winner, (await store.GetLeaseAsync("arn:stream/a", default))!.LeaseOwner);
    }

    [Fact]
    public async Task ListLeases_ManyLeases_ReturnsAll()
    {
        var store = CreateStore();
        for (var i = 0; i < 25; i++) await store.CreateLeaseIfNotExistsAsync(NewLease($"k{i}"), default);
        var keys = (await store.ListLeasesAsync(default)).Select(l => l.LeaseKey).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"k{i}").Order(), keys);
    }
}

public sealed class InMemoryLeaseStoreTests : LeaseStoreContractTests
{
    protected override ILeaseStore CreateStore() => new InMemoryLeaseStore();
}
