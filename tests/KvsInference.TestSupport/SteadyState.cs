namespace KvsInference.TestSupport;

/// <summary>
/// Checks steady-state behaviour without timing or one-off noise: allocations measured over several rounds (the
/// cheapest counts), conditions awaited with a generous deadline.
/// </summary>
public static class SteadyState
{
    /// <summary>
    /// The fewest bytes the current thread allocated while running one round, over up to <paramref name="rounds"/>
    /// rounds (stopping at the first round that allocates nothing). A one-off allocation of the runtime (tiered JIT
    /// promotion, a lazily created static) lands in one round only, while code that allocates per call does so in every round.
    /// </summary>
    /// <param name="prepare">Not measured: sets up a round (a fresh object, warm-up calls) and returns the code to measure.</param>
    /// <param name="rounds">The most rounds to run.</param>
    /// <returns>The minimum over the rounds run.</returns>
    public static long MinAllocatedBytes(Func<Action> prepare, int rounds = 5)
    {
        ArgumentNullException.ThrowIfNull(prepare);
        long min = long.MaxValue;
        for (int r = 0; r < rounds && min > 0; r++)
        {
            var run = prepare();
            long before = GC.GetAllocatedBytesForCurrentThread();
            run();
            min = Math.Min(min, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return min;
    }

    /// <summary>Polls <paramref name="condition"/> every 10 ms until it holds or <paramref name="timeout"/> (default 30 s) passes.</summary>
    /// <param name="condition">The condition.</param>
    /// <param name="timeout">How long to wait at most: generous, so that a busy machine only makes the wait longer.</param>
    /// <returns>Whether the condition held.</returns>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(10).ConfigureAwait(false);
        }
        return true;
    }
}
