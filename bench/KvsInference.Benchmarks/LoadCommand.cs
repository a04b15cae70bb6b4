using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using KvsInference.Audio;
using KvsInference.Aws.KinesisVideo;
using KvsInference.Avatar.Model;
using KvsInference.Avatar.Serving;
using KvsInference.IO;
using KvsInference.Inference;
using KvsInference.Kvs;
using KvsInference.Matroska;
using KvsInference.Media;
using KvsInference.Pipeline;
using KvsInference.Sinks;
using KvsInference.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvsInference.Benchmarks;

/// <summary>
/// `load [--streams N] [--seconds S] [--find-max] [--soak-minutes M] [--report-seconds R]`: N synthetic live speech
/// streams against one worker with the in-process viseme model; prints whether it keeps real time, processing
/// latency (with and without model time), the model's share, CPU, working set and GC heap.
/// </summary>
/// <remarks>
/// <para>What the figure includes: media comes from an in-process <see cref="IMediaSource"/> that emits KVS
/// GetMedia-shaped fragments (EBML header + unknown-size Segment + Info + Tracks + fragment Tags + Cluster of 1 s of
/// 20 ms Opus blocks + trailing Tags), made from a real espeak-ng speech WebM encoded by ffmpeg (libopus 32 kb/s),
/// looped with continuing timestamps and paced in real time: each fragment is handed over whole once its last frame
/// is due. Stream starts are spread evenly over the first second. No HTTP: the local media store over loopback
/// (PutMedia + GetMedia for 500 streams) would spend this 2-core machine's CPU on the store, not the worker.</para>
/// <para>The worker: one <see cref="StreamProcessor"/> per stream (no lease coordinator), all sharing one
/// <see cref="InferenceBatcher"/> (default options) over <see cref="LocalVisemeInferenceClient"/>, one in-memory
/// counting <see cref="IRecordSink"/> and a checkpoint handler that only counts. Parsing, Opus decoding (libopus),
/// resampling to 16 kHz, windowing, batching, the model and record building are all real.</para>
/// </remarks>
internal static partial class LoadCommand
{
    private const int FragmentMs = 1000;
    private const int FrameMs = 20;
    private const int FramesPerFragment = FragmentMs / FrameMs;
    private const double WarmupSeconds = 5;

    public static int Run(string[] args)
    {
        var options = LoadOptions.Parse(args);
        if (options is null) return 2;
        var media = SpeechMedia.Make();
        Console.WriteLine($"load: {media.Describe()}; {Environment.ProcessorCount} cores; server GC {System.Runtime.GCSettings.IsServerGC}; load average {LoadAverage()}");
        Console.WriteLine("source: in-process KVS GetMedia-shaped fragments (1 s, whole fragment per read) paced in real time, starts spread over 1 s; " +
                          "worker: one StreamProcessor per stream, one shared InferenceBatcher (defaults), in-process viseme model, counting in-memory sink");
        var baseline = Baseline.Measure(media);
        Console.WriteLine($"baseline (one core, same audio): decode to 16 kHz mono {baseline.DecodeRealTime:F0}x real time; model {baseline.ModelRealTime:F0}x real time; " +
                          $"decode+model {baseline.CombinedRealTime:F0}x -> ceiling on {Environment.ProcessorCount} cores about {baseline.CombinedRealTime * Environment.ProcessorCount:F0} streams");

        if (options.FindMax)
        {
            int best = 0;
            StepResult? bestResult = null;
            foreach (int n in LoadOptions.Ramp())
            {
                var result = RunStep(media, n, options.Seconds, options.ReportSeconds, soakMinutes: 0);
                if (!result.KeepsRealTime) break;
                best = n;
                bestResult = result;
            }
            Console.WriteLine(best > 0
                ? $"find-max: largest N that keeps real time = {best} streams ({best}x real time = {best / baseline.DecodeRealTime:F2} of one core's decode-alone rate, {best / (baseline.CombinedRealTime * Environment.ProcessorCount):F2} of the decode+model ceiling); " +
                  $"p99 {bestResult!.P99:F1} ms, p99 excluding model {bestResult.P99ExcludingModel:F1} ms"
                : "find-max: not even the first step kept real time");
            return 0;
        }

        var single = RunStep(media, options.Streams, options.SoakMinutes > 0 ? options.SoakMinutes * 60 : options.Seconds, options.ReportSeconds, options.SoakMinutes);
        Console.WriteLine($"ratio: {options.Streams} streams = {options.Streams}x real time = {options.Streams / baseline.DecodeRealTime:F2} of one core's decode-alone rate, " +
                          $"{options.Streams / (baseline.CombinedRealTime * Environment.ProcessorCount):F2} of the decode+model ceiling; keeps real time: {(single.KeepsRealTime ? "yes" : "NO")}");
        return 0;
    }

    private static StepResult RunStep(SpeechMedia media, int streams, double seconds, double reportSeconds, int soakMinutes)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Console.WriteLine();
        Console.WriteLine($"== {streams} streams, {seconds:F0} s measured after {WarmupSeconds:F0} s warm-up ==");
        var measure = new Measurements();
        using var listener = measure.Listen();
        var model = new TimedInferenceClient(new LocalVisemeInferenceClient(VisemeModel.LoadDefault(modelDirectory: "/nonexistent")), measure);
        var batcher = new InferenceBatcher(model, new InferenceBatcherOptions(), TimeProvider.System, NullLogger<InferenceBatcher>.Instance);
        var sink = new CountingSink(model);
        var source = new LiveFragmentSource(media, streams, measure);
        var decoders = new AudioDecoderFactory();
        long checkpoints = 0;
        CheckpointHandler checkpoint = (_, _) =>
        {
            Interlocked.Increment(ref checkpoints);
            return Task.CompletedTask;
        };
        using var stop = new CancellationTokenSource();
        var processors = new StreamProcessor[streams];
        var runs = new Task[streams];
        for (int i = 0; i < streams; i++)
        {
            processors[i] = new StreamProcessor(LiveFragmentSource.StreamName(i), source, decoders, batcher, sink, new StreamProcessorOptions(), TimeProvider.System, NullLogger.Instance);
            var p = processors[i];
            runs[i] = Task.Run(() => p.RunAsync(null, checkpoint, stop.Token));
        }

        var process = Process.GetCurrentProcess();
        var wall = Stopwatch.StartNew();
        Thread.Sleep(TimeSpan.FromSeconds(WarmupSeconds));
        measure.Reset();
        var startFrames = processors.Select(p => p.Stats.FramesProcessed).ToArray();
        process.Refresh();
        var cpuStart = process.TotalProcessorTime;
        var cpuLast = cpuStart;
        var measured = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        var firstHalf = (P99: 0.0, Done: false);
        var minuteSamples = new List<(double Minute, double HeapMb, double WorkingSetMb)>();
        long lastRecords = sink.Records;
        Console.WriteLine("     t  streams  records/s  p50 ms  p99 ms  p99-model  model%  lag99 ms  cpu%  ws MB  heap MB  gen2");
        while (measured.Elapsed.TotalSeconds < seconds)
        {
            Thread.Sleep(TimeSpan.FromSeconds(Math.Min(reportSeconds, Math.Max(0.05, seconds - measured.Elapsed.TotalSeconds))));
            var elapsed = measured.Elapsed;
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            double cpuPercent = 100 * (cpu - cpuLast).TotalSeconds / (elapsed - lastReport).TotalSeconds / Environment.ProcessorCount;
            cpuLast = cpu;
            var interval = measure.TakeInterval();
            long records = sink.Records;
            double heapMb = GC.GetTotalMemory(false) / 1048576.0;
            double wsMb = process.WorkingSet64 / 1048576.0;
            int reading = processors.Count(p => p.Stats.State == "reading");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{elapsed.TotalSeconds,6:F0}  {reading,7}  {(records - lastRecords) / (elapsed - lastReport).TotalSeconds,9:F0}  {interval.P50,6:F1}  {interval.P99,6:F1}  {interval.P99ExcludingModel,9:F1}  {interval.ModelShare * 100,5:F0}  {interval.LagP99,8:F1}  {cpuPercent,4:F0}  {wsMb,5:F0}  {heapMb,7:F1}  {GC.CollectionCount(2),4}"));
            lastRecords = records;
            lastReport = elapsed;
            if (!firstHalf.Done && elapsed.TotalSeconds >= seconds / 2)
            {
                firstHalf = (measure.StartSecondHalf(), true);
            }
            if (soakMinutes > 0 && elapsed.TotalMinutes >= minuteSamples.Count + 1)
            {
                minuteSamples.Add((elapsed.TotalMinutes, heapMb, wsMb));
            }
        }
        var measuredSeconds = measured.Elapsed.TotalSeconds;
        process.Refresh();
        double cpuTotal = 100 * (process.TotalProcessorTime - cpuStart).TotalSeconds / measuredSeconds / Environment.ProcessorCount;
        var endFrames = processors.Select(p => p.Stats.FramesProcessed).ToArray();
        var total = measure.TakeTotal();
        var secondHalf = (FirstP99: firstHalf.P99, LatestP99: measure.SecondHalfP99());
        stop.Cancel();
        Task.WaitAll(runs, TimeSpan.FromSeconds(30));
        batcher.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(30));

        // Real time per stream: audio whose records were acknowledged during the measured period over wall time.
        var ratios = Enumerable.Range(0, streams).Select(i => (endFrames[i] - startFrames[i]) * FrameMs / 1000.0 / measuredSeconds).OrderBy(r => r).ToArray();
        double minRatio = ratios[0], medianRatio = ratios[ratios.Length / 2];
        bool latencyFlat = total.P99 < 1000 && (secondHalf.LatestP99 <= 2 * secondHalf.FirstP99 + 50);
        // Fragments arrive once a second, so a 20 s period can show 19/20 of it for a stream that keeps up.
        bool keeps = minRatio >= 0.9 && total.LagP99 < 250 && latencyFlat && source.Reopens == 0 && sink.Unmatched == 0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"result {streams} streams: real time per stream min {minRatio:F3} median {medianRatio:F3} (processed audio s / wall s); " +
            $"keeps real time: {(keeps ? "yes" : "NO")}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  processing latency per 200 ms window (bytes completing the window read by the worker -> record acknowledged by the sink), {total.Count} windows: " +
            $"p50 {total.P50:F1} ms, p99 {total.P99:F1} ms, max {total.Max:F1} ms; excluding model time (minus its batch's InferAsync duration): p50 {total.P50ExcludingModel:F1} ms, p99 {total.P99ExcludingModel:F1} ms; " +
            $"p99 first half {secondHalf.FirstP99:F1} ms, second half {secondHalf.LatestP99:F1} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  model: {total.ModelShare * 100:F0}% of the summed window latency; inside InferAsync {total.ModelSeconds:F1} s over {measuredSeconds:F0} s wall ({total.ModelSeconds / measuredSeconds / Environment.ProcessorCount * 100:F0}% of the machine), " +
            $"{total.Batches} batches, {total.BatchWindowsMean:F1} windows/batch, batch p99 {total.BatchP99:F1} ms; source lag (fragment due -> read by the worker) p99 {total.LagP99:F1} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  process CPU {cpuTotal:F0}% of {Environment.ProcessorCount} cores; working set {process.WorkingSet64 / 1048576.0:F0} MB; GC heap {GC.GetTotalMemory(false) / 1048576.0:F1} MB; " +
            $"records {sink.Records}, checkpoints {Interlocked.Read(ref checkpoints)}, reconnects {source.Reopens}, load average {LoadAverage()}"));
        if (minuteSamples.Count >= 2)
        {
            foreach (var s in minuteSamples) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  soak minute {s.Minute:F0}: GC heap {s.HeapMb:F1} MB, working set {s.WorkingSetMb:F0} MB"));
            var tail = minuteSamples.Skip(1).ToList();  // the first minute still fills pools and tiers up the JIT
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  soak slope after minute 1: GC heap {Slope(tail.Select(s => (s.Minute, s.HeapMb)).ToList()):F2} MB/min, working set {Slope(tail.Select(s => (s.Minute, s.WorkingSetMb)).ToList()):F2} MB/min"));
        }
        return new StepResult(keeps, total.P99, total.P99ExcludingModel);
    }

    private static double Slope(List<(double X, double Y)> points)
    {
        if (points.Count < 2) return double.NaN;
        double mx = points.Average(p => p.X), my = points.Average(p => p.Y);
        double num = points.Sum(p => (p.X - mx) * (p.Y - my)), den = points.Sum(p => (p.X - mx) * (p.X - mx));
        return den == 0 ? double.NaN : num / den;
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    private sealed record StepResult(bool KeepsRealTime, double P99, double P99ExcludingModel);

    private sealed class LoadOptions
    {
        public int Streams { get; private set; } = 100;
        public double Seconds { get; private set; } = 30;
        public bool FindMax { get; private set; }
        public int SoakMinutes { get; private set; }
        public double ReportSeconds { get; private set; } = 5;
        private bool _secondsGiven;

        public static IEnumerable<int> Ramp() => [50, 100, 200, 300, 400, 500, 600, 800, 1000, 1200, 1500, 2000];

        public static LoadOptions? Parse(string[] args)
        {
            var o = new LoadOptions();
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                try
                {
                    switch (args[i])
                    {
                        case "--streams": o.Streams = PositiveInt(Next(), "--streams"); break;
                        case "--seconds": o.Seconds = PositiveInt(Next(), "--seconds"); o._secondsGiven = true; break;
                        case "--find-max": o.FindMax = true; break;
                        case "--soak-minutes": o.SoakMinutes = PositiveInt(Next(), "--soak-minutes"); break;
                        case "--report-seconds": o.ReportSeconds = PositiveInt(Next(), "--report-seconds"); break;
                        default: throw new ArgumentException($"unknown option '{args[i]}'");
                    }
                }
                catch (ArgumentException e)
                {
                    Console.Error.WriteLine($"load: {e.Message}. Usage: load [--streams N] [--seconds S] [--find-max] [--soak-minutes M] [--report-seconds R]");
                    return null;
                }
            }
            if (o.FindMax && !o._secondsGiven) o.Seconds = 20;
            if (o.SoakMinutes > 0 && o.ReportSeconds < 60 && !args.Contains("--report-seconds")) o.ReportSeconds = 30;
            return o;
        }

        private static int PositiveInt(string value, string name) =>
            int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new ArgumentException($"{name} must be a positive integer, not '{value}'");
    }
}
