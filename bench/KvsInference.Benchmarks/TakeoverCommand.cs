using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using KvsInference.Leases;
using KvsInference.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvsInference.Benchmarks;

/// <summary>
/// `takeover [--kills N] [--failover-seconds F]`: how long a crashed worker's lease takes to move, over N kills of each schedule
/// against the dynalite emulator (KVSI_DYNAMODB_URL, or started from tools/emulators for this process); prints
/// min/median/p90/max in units of F for the coordinator as shipped and, as the baseline of the same run, for the same
/// coordinator with take cycles at the fixed ticks only (its taker's expiry time hidden).
/// </summary>
/// <remarks>
/// Each kill: a fresh one-lease table; the victim coordinator takes the lease, then the survivor starts (with one lease
/// for two workers it steals nothing); after a random wait in [F, 2F) (so the kill falls at a random phase of the
/// renew and take timers) the victim is disposed, which stops it without releasing (a crash as far as the table is
/// concerned). The figure is from the kill to the survivor's <see cref="LeaseAcquired"/>, on the real clock. Every kill
/// is bounded (10F) and the whole run stops on SIGTERM or Ctrl+C, printing what it has. The two schedules alternate
/// kill by kill, so a change of machine load touches both alike.
/// </remarks>
internal static class TakeoverCommand
{
    private const string Usage = "Usage: takeover [--kills N] [--failover-seconds F]";

    public static int Run(string[] args)
    {
        int kills = 20;
        double failoverSeconds = 3;
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--kills" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k is > 0 and <= 1000:
                    kills = k; i++; break;
                case "--failover-seconds" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && f is >= 0.5 and <= 60:
                    failoverSeconds = f; i++; break;
                default:
                    Console.Error.WriteLine($"takeover: bad or unknown option '{args[i]}' {value} (--kills 1..1000, --failover-seconds 0.5..60). {Usage}");
                    return 2;
            }
        }

        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        return RunAsync(kills, TimeSpan.FromSeconds(failoverSeconds), stop.Token).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int kills, TimeSpan failover, CancellationToken stop)
    {
        var options = new LeaseCoordinatorOptions { WorkerId = "probe", FailoverTime = failover };
        Console.WriteLine($"takeover: {kills} kills, F = {failover.TotalSeconds:0.###} s (renew every {options.RenewInterval.TotalSeconds:0.###} s, " +
                          $"take every {options.TakeInterval.TotalSeconds:0.###} s), dynalite at {Emulators.DynamoDbUrl}; {Environment.ProcessorCount} cores");
        Console.WriteLine($"design: a crash is seen at most one take interval after the last renewal and taken F later: <= F + T + e = " +
                          $"{(failover + options.TakeInterval + options.EpsilonTime) / failover:0.00} F after the last renewal (which was up to F/3 before the kill)");
        using var client = new AmazonDynamoDBClient(new BasicAWSCredentials("test", "test"),
            new AmazonDynamoDBConfig { ServiceURL = Emulators.DynamoDbUrl, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        var random = new Random(12345);
        var shipped = new List<double>();
        var fixedTicks = new List<double>();
        try
        {
            for (int k = 1; k <= kills; k++)
            {
                foreach (var (name, atExpiry, results) in new[] { ("expiry-time cycle", true, shipped), ("fixed ticks only", false, fixedTicks) })
                {
                    var ratio = await OneKillAsync(client, failover, atExpiry, random, stop);
                    if (ratio is null)
                    {
                        Console.WriteLine($"  kill {k} ({name}): the survivor did not take the lease within 10 F");
                        return 1;
                    }
                    results.Add(ratio.Value);
                    Console.WriteLine($"  kill {k} ({name}): taken after {ratio.Value * failover.TotalSeconds:0.00} s = {ratio.Value:0.00} F");
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Console.WriteLine("takeover: stopped by a signal");
        }
        Summary("as shipped (take cycle when a watched lease expires)", shipped);
        Summary("baseline (take cycles at the fixed ticks only)", fixedTicks);
        return shipped.Count > 0 || stop.IsCancellationRequested ? 0 : 1;
    }

    private static void Summary(string name, List<double> inF)
    {
        if (inF.Count == 0) return;
        inF.Sort();
        Console.WriteLine($"takeover after a kill, in F, {name}, {inF.Count} kills: min {inF[0]:0.00}, median {Quantile(inF, 0.5):0.00}, " +
                          $"p90 {Quantile(inF, 0.9):0.00}, max {inF[^1]:0.00}");
    }

    /// <summary>One kill; the takeover time in units of F, or null when it did not happen within 10F.</summary>
    private static async Task<double?> OneKillAsync(AmazonDynamoDBClient client, TimeSpan failover, bool atExpiry, Random random, CancellationToken stop)
    {
        string table = $"kvsi-takeover-{Guid.NewGuid():N}"[..32];
        var store = new DynamoDbLeaseStore(client, new DynamoDbLeaseStoreOptions { TableName = table }, TimeProvider.System, NullLogger<DynamoDbLeaseStore>.Instance);
        try
        {
            await store.InitializeAsync(stop);
            await store.CreateLeaseIfNotExistsAsync(new Lease("arn:aws:kinesisvideo:us-east-1:1:stream/takeover/1", "takeover"), stop);
            var victim = NewCoordinator(store, "victim", failover, atExpiry: true);
            await using var survivor = NewCoordinator(store, "survivor", failover, atExpiry);
            try
            {
                await victim.StartAsync(stop);
                if (await NextAcquiredAsync(victim, 10 * failover, stop) is null) throw new InvalidOperationException("the victim did not take the free lease");
                await survivor.StartAsync(stop);
                await Task.Delay(failover * (1 + random.NextDouble()), stop);
            }
            finally
            {
                await victim.DisposeAsync();
            }
            var killed = Stopwatch.GetTimestamp();
            var acquired = await NextAcquiredAsync(survivor, 10 * failover, stop);
            return acquired is null ? null : Stopwatch.GetElapsedTime(killed) / failover;
        }
        finally
        {
            try { await client.DeleteTableAsync(table, CancellationToken.None); }
            catch (AmazonServiceException) { }   // the run's result does not depend on the clean-up
        }
    }

    private static LeaseCoordinator NewCoordinator(ILeaseStore store, string worker, TimeSpan failover, bool atExpiry)
    {
        var options = new LeaseCoordinatorOptions { WorkerId = worker, FailoverTime = failover };
        ILeaseTaker taker = new LeaseTaker(store, options, TimeProvider.System, NullLogger.Instance);
        if (!atExpiry) taker = new FixedTicksTaker(taker);
        return new(new LeaseRenewer(store, worker, failover, TimeProvider.System, NullLogger.Instance), taker, options, TimeProvider.System,
            NullLogger<LeaseCoordinator>.Instance);
    }

    // The baseline: the same taker with its expiry time hidden, so the coordinator takes at its fixed ticks only.
    private sealed class FixedTicksTaker(ILeaseTaker inner) : ILeaseTaker
    {
        public int LastTotalLeases => inner.LastTotalLeases;

        public int LastWorkersSeen => inner.LastWorkersSeen;

        public long? NextExpiryTimestamp => null;

        public Task<IReadOnlyList<TakenLease>> TakeLeasesAsync(CancellationToken cancellationToken) => inner.TakeLeasesAsync(cancellationToken);
    }

    private static async Task<LeaseAcquired?> NextAcquiredAsync(LeaseCoordinator coordinator, TimeSpan timeout, CancellationToken stop)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(timeout);
        try
        {
            while (true)
            {
                if (await coordinator.Notifications.ReadAsync(deadline.Token) is LeaseAcquired acquired) return acquired;
            }
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            return null;
        }
    }

    private static double Quantile(List<double> sorted, double q) => sorted[(int)Math.Clamp(Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}
