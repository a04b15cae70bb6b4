using System.Numerics;
using CsCheck;
using KvsInference.Leases;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KvsInference.Tests.Leases;

public sealed class LeaseCoordinatorPropertyTests
{
    private const int Leases = 6;

    /// <summary>
    /// Random interleavings of renew / take (and so steal) / time passing / crash / graceful shutdown / checkpoint across
    /// 2..5 workers. After every operation: at most one worker per lease is a writer (its held copy matches the store's
    /// owner and counter); any other believer exists only because the writer stole the lease; a checkpoint call that
    /// succeeded left the caller as the stored owner; the stored checkpoint never moves backwards.
    /// </summary>
    [Fact]
    public void RandomInterleavings_NeverTwoWritersNorBackwardCheckpoints()
    {
        var op = Gen.Select(Gen.Int[0, 9], Gen.Int[0, 4], Gen.Int[0, 99]);
        Gen.Select(Gen.Int[2, 5], op.Array[10, 60], Gen.Int[0, 1000])
            .Sample(t => Run(t.Item1, t.Item2, t.Item3).GetAwaiter().GetResult(), iter: 200, threads: 1);
    }

    /// <summary>The interleaving that found an unchanged checkpoint reported as written after a steal.</summary>
    [Fact]
    public void RandomInterleavings_SeedOfUnwrittenCheckpointAfterSteal_Holds()
    {
        var op = Gen.Select(Gen.Int[0, 9], Gen.Int[0, 4], Gen.Int[0, 99]);
        Gen.Select(Gen.Int[2, 5], op.Array[10, 60], Gen.Int[0, 1000])
            .Sample(t => Run(t.Item1, t.Item2, t.Item3).GetAwaiter().GetResult(), seed: "9joZqMu0N421", iter: 1, threads: 1);
    }

    private static async Task Run(int workerCount, (int Kind, int Worker, int Arg)[] ops, int seed)
    {
        var time = new FakeTimeProvider();
        var store = new InMemoryLeaseStore();
        for (var i = 0; i < Leases; i++) await store.CreateLeaseIfNotExistsAsync(new Lease($"k{i}", $"s{i}"), default);
        var failover = TimeSpan.FromSeconds(10);
        var random = new Random(seed);
        LeaseCoordinator NewWorker(int i) => new(store, new LeaseCoordinatorOptions { WorkerId = $"w{i}", FailoverTime = failover, MaxLeasesToStealAtOneTime = 2 }, time, NullLogger<LeaseCoordinator>.Instance, new Random(random.Next()));
        var workers = Enumerable.Range(0, workerCount).Select(NewWorker).ToArray();
        var sessions = new Dictionary<(int, string), LeaseAcquired>();
        var maxCheckpoint = new Dictionary<string, BigInteger>();
        var everStolen = new HashSet<string>();
        foreach (var (kind, w0, arg) in ops)
        {
            var w = w0 % workerCount;
            switch (kind)
            {
                case 0: case 1: await workers[w].RunRenewCycleAsync(); break;
                case 2: case 3: await workers[w].RunTakeCycleAsync(); break;
                case 4: case 5: time.Advance(TimeSpan.FromMilliseconds(arg * 150)); break;
                case 6:
                    await workers[w].DisposeAsync(); // crash: nothing released
                    workers[w] = NewWorker(w);
                    break;
                case 7:
                    await workers[w].ShutdownAsync(null, default);
                    workers[w] = NewWorker(w);
                    break;
                default:
                    var mine = sessions.Where(s => s.Key.Item1 == w && !s.Value.LeaseToken.IsCancellationRequested).Select(s => s.Value).ToList();
                    if (mine.Count == 0) break;
                    var session = mine[arg % mine.Count];
                    var current = maxCheckpoint.GetValueOrDefault(session.LeaseKey);
                    // 40+ digit fragment numbers, sometimes below the current checkpoint (must be refused).
                    var proposed = BigInteger.Max(BigInteger.Pow(10, 40), current + arg - 30);
                    try
                    {
                        var outcome = await session.Checkpointer.TryCheckpointAsync(proposed.ToString(), null, default);
                        var stored = (await store.GetLeaseAsync(session.LeaseKey, default))!;
                        if (outcome == CheckpointOutcome.Succeeded) Assert.Equal($"w{w}", stored.LeaseOwner);
                        else Assert.True(session.LeaseToken.IsCancellationRequested);
                    }
                    catch (ArgumentOutOfRangeException)
                    {
                        // Refused: it would have moved backwards.
                    }
                    break;
            }
            for (var i = 0; i < workerCount; i++)
            {
                while (workers[i].Notifications.TryRead(out var n)) if (n is LeaseAcquired a) { sessions[(i, a.LeaseKey)] = a; if (a.Acquisition == LeaseAcquisition.Stolen) everStolen.Add(a.LeaseKey); }
            }
            await CheckAsync(store, workers, everStolen, maxCheckpoint);
        }
        foreach (var worker in workers) await worker.DisposeAsync();
    }

    private static async Task CheckAsync(InMemoryLeaseStore store, LeaseCoordinator[] workers, HashSet<string> everStolen, Dictionary<string, BigInteger> maxCheckpoint)
    {
        foreach (var stored in await store.ListLeasesAsync(default))
        {
            if (stored.Checkpoint is { } cp)
            {
                var value = BigInteger.Parse(cp);
                Assert.True(value >= maxCheckpoint.GetValueOrDefault(stored.LeaseKey), $"checkpoint of {stored.LeaseKey} moved backwards to {cp}");
                maxCheckpoint[stored.LeaseKey] = value;
            }
            var believers = Enumerable.Range(0, workers.Length)
                .Select(i => (Index: i, Lease: workers[i].GetCurrentlyHeldLeases().GetValueOrDefault(stored.LeaseKey)))
                .Where(b => b.Lease is not null).ToList();
            var writers = believers.Where(b => b.Lease!.LeaseCounter == stored.LeaseCounter && stored.LeaseOwner == $"w{b.Index}").ToList();
            Assert.True(writers.Count <= 1, $"{stored.LeaseKey} has {writers.Count} writers");
            if (believers.Count > writers.Count)
            {
                // A stale believer (it cannot write) only arises from a steal; the thief may since have crashed, or
                // released the lease, which a third worker may then take as unowned.
                Assert.Contains(stored.LeaseKey, everStolen);
            }
        }
    }
}
