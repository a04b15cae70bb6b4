using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace KvsInference.Benchmarks;

/// <summary>
/// The mutation engine and loop the fuzz commands share (<c>fuzz-mkv</c>, <c>fuzz-decode</c>, <c>fuzz-putmedia</c>):
/// mutates seed files (byte flips, truncations, insertions, deletions, copies of a span elsewhere), runs each input
/// through a target, and reports inputs/s, documented format errors, crashes, hangs and memory.
/// </summary>
/// <remarks>
/// Arguments: <c>--seconds N</c> (default 30; 0 with <c>--inputs</c> for no time limit), <c>--inputs N</c> (stop after
/// N inputs), <c>--seed N</c>, <c>--timeout-ms N</c> (per-input wall-clock limit,
/// default 10000: generous, because a machine shared with builds can stall a thread for a second or two), <c>--replay FILE</c> (run one
/// saved input, unmutated, <c>--inputs</c> times with random read sizes, and print its outcome and slowest time). A crash is any exception the
/// target lets out (each target catches only its documented format errors); the input is saved and the run fails.
/// A watchdog thread catches an input that never returns: it reports a hang, saves the input and exits 1.
/// Memory: the managed heap after 1000 inputs and at the end (fails on growth over 64 MB), and the peak resident
/// set of the process.
/// </remarks>
internal static class FuzzHarness
{
    /// <summary>Runs the loop; <paramref name="target"/> returns true when the input ended in a documented format error.</summary>
    public static int Run(string name, string[] args, IReadOnlyList<byte[]> seeds, Func<byte[], Random, bool> target)
    {
        double seconds = double.Parse(MkvVsFfmpegCommand.Arg(args, "--seconds") ?? (MkvVsFfmpegCommand.Arg(args, "--inputs") is null ? "30" : "0"), CultureInfo.InvariantCulture);
        long maxInputs = long.Parse(MkvVsFfmpegCommand.Arg(args, "--inputs") ?? "0", CultureInfo.InvariantCulture);
        int seed = int.Parse(MkvVsFfmpegCommand.Arg(args, "--seed") ?? Environment.TickCount.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        var timeout = TimeSpan.FromMilliseconds(double.Parse(MkvVsFfmpegCommand.Arg(args, "--timeout-ms") ?? "10000", CultureInfo.InvariantCulture));
        if (seconds <= 0 && maxInputs <= 0 && MkvVsFfmpegCommand.Arg(args, "--replay") is null)
        {
            Console.Error.WriteLine($"{name}: give --seconds N or --inputs N");
            return 2;
        }

        var random = new Random(seed);
        if (MkvVsFfmpegCommand.Arg(args, "--replay") is { } replay)
        {
            byte[] saved = File.ReadAllBytes(replay);
            bool formatError = false;
            TimeSpan slowestReplay = TimeSpan.Zero;
            for (long i = 0; i < Math.Max(1, maxInputs); i++)
            {
                long began = Stopwatch.GetTimestamp();
                formatError = target(saved, random);
                if (Stopwatch.GetElapsedTime(began) is var took && took > slowestReplay) slowestReplay = took;
            }
            Console.WriteLine($"{name}: {replay}: {(formatError ? "documented format error" : "accepted")}, slowest of {Math.Max(1, maxInputs)} runs {slowestReplay.TotalMilliseconds:F1} ms");
            return 0;
        }
        long inputs = 0, formatErrors = 0, startHeap = 0;
        TimeSpan slowest = TimeSpan.Zero;
        byte[] current = [];
        long currentStart = 0;   // Stopwatch timestamp of the running input, 0 between inputs
        using var stopWatchdog = new CancellationTokenSource();
        var watchdog = new Thread(() =>
        {
            while (!stopWatchdog.Token.WaitHandle.WaitOne(100))
            {
                long start = Interlocked.Read(ref currentStart);
                if (start == 0 || Stopwatch.GetElapsedTime(start) <= timeout) continue;
                string path = Save(name, seed, Interlocked.Read(ref inputs), Volatile.Read(ref current));
                Console.WriteLine($"HANG: input {Interlocked.Read(ref inputs)} has run for more than {timeout.TotalSeconds:0.###} s; input saved to {path}");
                Environment.Exit(1);
            }
        }) { IsBackground = true, Name = name + " watchdog" };
        watchdog.Start();

        // SIGTERM or Ctrl-C ends the loop after the running input, and the figures so far are printed.
        var stop = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

        var clock = Stopwatch.StartNew();
        Console.WriteLine($"{name}: {seeds.Count} seed files, seed {seed}, " +
            (seconds > 0 ? $"{seconds} s" : "no time limit") + (maxInputs > 0 ? $", at most {maxInputs} inputs" : "") + $", {timeout.TotalMilliseconds:0} ms per input");
        while (!stop.IsCancellationRequested && (seconds <= 0 || clock.Elapsed.TotalSeconds < seconds) && (maxInputs <= 0 || inputs < maxInputs))
        {
            byte[] data = Mutate(seeds[random.Next(seeds.Count)], random);
            Volatile.Write(ref current, data);
            long start = Stopwatch.GetTimestamp();
            Interlocked.Exchange(ref currentStart, start);
            try
            {
                if (target(data, random)) formatErrors++;
            }
            catch (Exception e)
            {
                stopWatchdog.Cancel();
                Console.WriteLine($"CRASH: {e.GetType().Name}: {e.Message}; input saved to {Save(name, seed, inputs, data)}\n{e}");
                return 1;
            }
            Interlocked.Exchange(ref currentStart, 0);
            TimeSpan took = Stopwatch.GetElapsedTime(start);
            if (took > slowest) slowest = took;
            if (took > timeout)
            {
                stopWatchdog.Cancel();
                Console.WriteLine($"HANG: input {inputs} took {took.TotalSeconds:F1} s; input saved to {Save(name, seed, inputs, data)}");
                return 1;
            }
            Interlocked.Increment(ref inputs);
            if (inputs == 1000) startHeap = GC.GetTotalMemory(forceFullCollection: true);
        }
        stopWatchdog.Cancel();
        long endHeap = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        Console.WriteLine($"inputs: {inputs} ({inputs / clock.Elapsed.TotalSeconds:F0}/s in {clock.Elapsed.TotalSeconds:F0} s), documented format errors: {formatErrors}, accepted: {inputs - formatErrors}");
        Console.WriteLine($"slowest input: {slowest.TotalMilliseconds:F1} ms; managed heap after 1000 inputs {startHeap / 1e6:F1} MB, at the end {endHeap / 1e6:F1} MB; " +
            $"peak resident set {process.PeakWorkingSet64 / 1e6:F0} MB");
        bool grew = startHeap > 0 && endHeap > startHeap + 64_000_000;
        Console.WriteLine(grew ? "FAIL: memory grew" : "OK: no crash, no hang, no memory growth");
        return grew ? 1 : 0;
    }

    private static string Save(string name, int seed, long input, byte[] data)
    {
        Directory.CreateDirectory(MkvBenchMedia.Folder);
        string path = Path.Combine(MkvBenchMedia.Folder, $"{name}-crash-{seed}-{input}.mkv");
        File.WriteAllBytes(path, data);
        return path;
    }

    /// <summary>1 to 8 mutations of a copy of <paramref name="seed"/>.</summary>
    public static byte[] Mutate(byte[] seed, Random random)
    {
        var data = new List<byte>(seed);
        int count = random.Next(1, 9);
        for (int m = 0; m < count && data.Count > 0; m++)
        {
            int at = random.Next(data.Count);
            switch (random.Next(5))
            {
                case 0: data[at] ^= (byte)random.Next(1, 256); break;
                case 1: data.RemoveRange(at, data.Count - at); break;
                case 2:
                    var insert = new byte[random.Next(1, 17)];
                    random.NextBytes(insert);
                    data.InsertRange(at, insert);
                    break;
                case 3: data.RemoveRange(at, Math.Min(random.Next(1, 17), data.Count - at)); break;
                default:
                    // A span copied elsewhere: repeats elements (a second Tracks, a duplicated block) as producers do.
                    int length = Math.Min(random.Next(1, 257), data.Count - at);
                    data.InsertRange(random.Next(data.Count), data.GetRange(at, length));
                    break;
            }
        }
        return [.. data];
    }
}
