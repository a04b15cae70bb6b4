using System.Diagnostics;
using System.Globalization;
using KvsInference.Matroska;

namespace KvsInference.Benchmarks;

/// <summary>
/// <c>mkv-vs-ffmpeg [--file f] [--mb 80]</c>: on one big Opus WebM, prints the reader's in-process throughput and
/// allocations per frame, and the wall time of `KvsInference.Worker inspect --summary f` against
/// `ffmpeg -i f -c copy -f null -` as processes (median of 7 interleaved runs each).
/// </summary>
internal static class MkvVsFfmpegCommand
{
    public static int Run(string[] args)
    {
        string? file = Arg(args, "--file");
        int megabytes = int.Parse(Arg(args, "--mb") ?? "80", CultureInfo.InvariantCulture);
        file ??= MkvBenchMedia.BigOpusWebm(megabytes);
        byte[] data = File.ReadAllBytes(file);
        Console.WriteLine($"file: {file} ({data.Length / 1e6:F1} MB)");

        // In process, contiguous: warm up (tiered JIT), then the best and median of 15 runs.
        var counter = new MkvReaderBenchmarks.FrameCounter();
        for (int i = 0; i < 3; i++) new MkvStreamParser().Feed(data, true, counter = new MkvReaderBenchmarks.FrameCounter());
        var times = new List<double>();
        for (int i = 0; i < 15; i++)
        {
            long start = Stopwatch.GetTimestamp();
            new MkvStreamParser().Feed(data, true, counter = new MkvReaderBenchmarks.FrameCounter());
            times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        var allocCounter = new MkvReaderBenchmarks.FrameCounter();
        var parser = new MkvStreamParser();
        long before = GC.GetAllocatedBytesForCurrentThread();
        parser.Feed(data, true, allocCounter);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        times.Sort();
        Console.WriteLine($"frames: {counter.Frames}, payload bytes: {counter.Bytes}");
        Console.WriteLine($"in-process reader: {data.Length / times[times.Count / 2] / 1e9:F2} GB/s median, {data.Length / times[0] / 1e9:F2} GB/s best; " +
            $"allocated {allocated} B per parse = {(double)allocated / allocCounter.Frames:F3} B/frame");

        // Through a PipeReader over the file, in process.
        var pipeTimes = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            long start = Stopwatch.GetTimestamp();
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
            new MkvStreamParser().ParseAsync(stream, new MkvReaderBenchmarks.FrameCounter()).AsTask().GetAwaiter().GetResult();
            pipeTimes.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        pipeTimes.Sort();
        Console.WriteLine($"in-process Stream/PipeReader path: {data.Length / pipeTimes[2] / 1e9:F2} GB/s median");

        // As processes, interleaved so that machine load hits both alike.
        string worker = FindWorker();
        var ours = new List<double>();
        var ffmpeg = new List<double>();
        MkvBenchMedia.Run(worker, "inspect", file, "--summary");
        MkvBenchMedia.Run("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", file, "-c", "copy", "-f", "null", "-");
        for (int i = 0; i < 7; i++)
        {
            ours.Add(MkvBenchMedia.Run(worker, "inspect", file, "--summary").TotalSeconds);
            ffmpeg.Add(MkvBenchMedia.Run("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", file, "-c", "copy", "-f", "null", "-").TotalSeconds);
        }
        ours.Sort();
        ffmpeg.Sort();
        Console.WriteLine($"process `KvsInference.Worker inspect --summary`: {ours[3]:F3} s median ({ours[0]:F3} s best)");
        Console.WriteLine($"process `ffmpeg -i f -c copy -f null -`:        {ffmpeg[3]:F3} s median ({ffmpeg[0]:F3} s best)");
        Console.WriteLine($"inspect is {ffmpeg[3] / ours[3]:F2}x faster than ffmpeg (median), {ffmpeg[0] / ours[0]:F2}x (best)");
        return 0;
    }

    internal static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string FindWorker()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KvsInference.sln"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException("KvsInference.sln not found above " + AppContext.BaseDirectory);
        string exe = Path.Combine(dir.FullName, "src", "KvsInference.Worker", "bin", "Release", "net10.0", "KvsInference.Worker");
        if (!File.Exists(exe)) MkvBenchMedia.Run("dotnet", "build", Path.Combine(dir.FullName, "src", "KvsInference.Worker"), "-c", "Release");
        return exe;
    }
}
