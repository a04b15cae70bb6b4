using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using KvsInference.Matroska;

namespace KvsInference.Benchmarks;

/// <summary>
/// <c>mkv-vs-ffmpeg [--file f] [--mb 80]</c>: on one big Opus WebM, prints the reader's in-process throughput and
/// allocations per frame, and the wall time of `KvsInference.Worker inspect --summary f` (published ReadyToRun, as it
/// ships, and the plain build output) against `ffmpeg -i f -c copy -f null -` as processes (median of 11 interleaved runs).
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

        // Over a FileStream, in process: through a PipeReader (ParseAsync) and on the calling thread (Parse, as inspect does).
        var pipeTimes = new List<double>();
        var syncTimes = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            long start = Stopwatch.GetTimestamp();
            using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan))
                new MkvStreamParser().ParseAsync(stream, new MkvReaderBenchmarks.FrameCounter()).AsTask().GetAwaiter().GetResult();
            pipeTimes.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
            start = Stopwatch.GetTimestamp();
            using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan))
                new MkvStreamParser().Parse(stream, new MkvReaderBenchmarks.FrameCounter());
            syncTimes.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        pipeTimes.Sort();
        syncTimes.Sort();
        Console.WriteLine($"in-process Stream path: {data.Length / pipeTimes[2] / 1e9:F2} GB/s median through PipeReader, " +
            $"{data.Length / syncTimes[2] / 1e9:F2} GB/s synchronous Parse(Stream)");

        // As processes, interleaved so that machine load hits all alike. The measured worker is the one that ships:
        // published ReadyToRun (framework-dependent). The plain build output (JIT only) is timed too, for comparison.
        string published = PublishWorker();
        string built = BuildWorker();
        string summary = Capture(published, "inspect", file, "--summary");
        if (!summary.Contains($"\"frames\":{counter.Frames},", StringComparison.Ordinal))
            throw new InvalidOperationException($"inspect --summary disagrees with the in-process parse ({counter.Frames} frames): {summary}");
        var runs = new (string Name, string Exe, string[] Args, List<double> Times)[]
        {
            ("`KvsInference.Worker inspect --summary` (published, ReadyToRun)", published, ["inspect", file, "--summary"], []),
            ("`KvsInference.Worker inspect --summary` (build output, JIT)", built, ["inspect", file, "--summary"], []),
            ("`ffmpeg -i f -c copy -f null -`", "ffmpeg", ["-hide_banner", "-loglevel", "error", "-i", file, "-c", "copy", "-f", "null", "-"], []),
        };
        foreach (var run in runs) MkvBenchMedia.Run(run.Exe, run.Args);
        const int Repeats = 11;
        for (int i = 0; i < Repeats; i++)
        {
            foreach (var run in runs) run.Times.Add(MkvBenchMedia.Run(run.Exe, run.Args).TotalSeconds);
        }
        foreach (var run in runs)
        {
            run.Times.Sort();
            Console.WriteLine($"process {run.Name}: {run.Times[Repeats / 2]:F3} s median ({run.Times[0]:F3} s best) of {Repeats}");
        }
        var (ours, jit, ffmpeg) = (runs[0].Times, runs[1].Times, runs[2].Times);
        Console.WriteLine($"inspect (published) is {ffmpeg[Repeats / 2] / ours[Repeats / 2]:F2}x faster than ffmpeg (median), {ffmpeg[0] / ours[0]:F2}x (best); " +
            $"build output: {ffmpeg[Repeats / 2] / jit[Repeats / 2]:F2}x (median)");
        Console.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    internal static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KvsInference.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("KvsInference.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>
    /// Publishes the worker as it ships (Release, this machine's runtime identifier, framework-dependent, ReadyToRun
    /// from the project file) into a cache folder; incremental, so a re-run with unchanged sources takes seconds.
    /// </summary>
    private static string PublishWorker()
    {
        string output = Path.Combine(MkvBenchMedia.Folder, "worker-publish");
        Console.WriteLine($"publishing the worker to {output} ...");
        MkvBenchMedia.Run("dotnet", "publish", Path.Combine(RepoRoot(), "src", "KvsInference.Worker"), "-c", "Release",
            "-r", RuntimeInformation.RuntimeIdentifier, "--self-contained", "false", "-o", output);
        return Path.Combine(output, "KvsInference.Worker");
    }

    private static string BuildWorker()
    {
        string project = Path.Combine(RepoRoot(), "src", "KvsInference.Worker");
        MkvBenchMedia.Run("dotnet", "build", project, "-c", "Release");
        return Path.Combine(project, "bin", "Release", "net10.0", "KvsInference.Worker");
    }

    private static string Capture(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }
}
