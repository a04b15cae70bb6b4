using System.Diagnostics;
using System.Globalization;
using KvsInference.Matroska;

namespace KvsInference.Benchmarks;

/// <summary>
/// <c>fuzz-mkv --seconds N</c>: mutates real files (byte flips, truncations, insertions, deletions) and parses each
/// whole and in random pieces for N seconds; prints iterations/s and fails on any exception other than
/// <see cref="MkvFormatException"/>, on an input slower than 2 s, or on memory growth.
/// </summary>
internal static class FuzzMkvCommand
{
    public static int Run(string[] args)
    {
        double seconds = double.Parse(MkvVsFfmpegCommand.Arg(args, "--seconds") ?? "30", CultureInfo.InvariantCulture);
        int seed = int.Parse(MkvVsFfmpegCommand.Arg(args, "--seed") ?? Environment.TickCount.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        List<byte[]> seeds = MkvBenchMedia.FuzzSeeds();
        var random = new Random(seed);
        var handler = new MkvReaderBenchmarks.FrameCounter();
        long iterations = 0, formatErrors = 0, frames = 0;
        TimeSpan slowest = TimeSpan.Zero;
        long startMemory = 0;
        var clock = Stopwatch.StartNew();
        Console.WriteLine($"fuzz-mkv: {seeds.Count} seed files, seed {seed}, {seconds} s");
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            byte[] data = Mutate(seeds[random.Next(seeds.Count)], random);
            long start = Stopwatch.GetTimestamp();
            try
            {
                var parser = new MkvStreamParser();
                int consumed = 0, cut = data.Length == 0 ? 0 : random.Next(data.Length);
                consumed += parser.Feed(data.AsSpan(0, cut), false, handler);
                parser.Feed(data.AsSpan(consumed), true, handler);
            }
            catch (MkvFormatException)
            {
                formatErrors++;
            }
            catch (Exception e)
            {
                string path = Path.Combine(MkvBenchMedia.Folder, $"fuzz-crash-{seed}-{iterations}.mkv");
                File.WriteAllBytes(path, data);
                Console.WriteLine($"CRASH: {e.GetType().Name}: {e.Message}; input saved to {path}\n{e}");
                return 1;
            }
            TimeSpan took = Stopwatch.GetElapsedTime(start);
            if (took > slowest) slowest = took;
            if (took > TimeSpan.FromSeconds(2))
            {
                Console.WriteLine($"HANG: an input took {took.TotalSeconds:F1} s");
                return 1;
            }
            iterations++;
            if (iterations == 1000) startMemory = GC.GetTotalMemory(forceFullCollection: true);
        }
        frames = handler.Frames;
        long endMemory = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"iterations: {iterations} ({iterations / clock.Elapsed.TotalSeconds:F0}/s), format errors: {formatErrors}, frames delivered: {frames}");
        Console.WriteLine($"slowest input: {slowest.TotalMilliseconds:F1} ms; managed heap after 1000 iterations {startMemory / 1e6:F1} MB, at the end {endMemory / 1e6:F1} MB");
        bool grew = startMemory > 0 && endMemory > startMemory + 64_000_000;
        Console.WriteLine(grew ? "FAIL: memory grew" : "OK: no crash, no hang, no memory growth");
        return grew ? 1 : 0;
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var data = new List<byte>(seed);
        int count = random.Next(1, 9);
        for (int m = 0; m < count && data.Count > 0; m++)
        {
            int at = random.Next(data.Count);
            switch (random.Next(4))
            {
                case 0: data[at] ^= (byte)random.Next(1, 256); break;
                case 1: data.RemoveRange(at, data.Count - at); break;
                case 2:
                    var insert = new byte[random.Next(1, 17)];
                    random.NextBytes(insert);
                    data.InsertRange(at, insert);
                    break;
                default: data.RemoveRange(at, Math.Min(random.Next(1, 17), data.Count - at)); break;
            }
        }
        return [.. data];
    }
}
