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
internal static class LoadCommand
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

    /// <summary>The speech the streams carry: espeak-ng -> ffmpeg libopus 32 kb/s mono WebM, cut to whole 1 s fragments.</summary>
    private sealed class SpeechMedia
    {
        public required WebmTestTrack Track { get; init; }
        public required List<byte[]> Packets { get; init; }
        public required string Path { get; init; }

        public int Fragments => Packets.Count / FramesPerFragment;

        public string Describe() => $"speech {Fragments} s looped ({System.IO.Path.GetFileName(Path)}, {Track.CodecId}, {Packets.Average(p => p.Length) * 8 * 1000 / FrameMs / 1000:F0} kb/s)";

        public static SpeechMedia Make()
        {
            string dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kvsi-load");
            Directory.CreateDirectory(dir);
            string wav = System.IO.Path.Combine(dir, "speech.wav"), webm = System.IO.Path.Combine(dir, "speech-32k.webm");
            if (!File.Exists(webm))
            {
                ProcessRunner.Run("espeak-ng", ["-v", "en-us", "-w", wav,
                    "The meeting master speaks and the avatar answers. Kinesis video streams carry the audio in fragments of one second. " +
                    "Every worker leases its streams, reads each frame as it arrives, decodes the Opus packets, and sends short windows to the model. " +
                    "The records go to Kinesis, and the face moves its lips in time with the voice."]);
                ProcessRunner.Ffmpeg("-i", wav, "-ac", "1", "-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20", webm + ".tmp.webm");
                File.Move(webm + ".tmp.webm", webm, overwrite: true);
            }
            var file = WebmTestFile.Read(webm);
            var track = file.Tracks.Single();
            var packets = file.FramesOf(track.Number).Select(f => f.Data).ToList();
            packets = packets.Take(packets.Count / FramesPerFragment * FramesPerFragment).ToList();
            if (packets.Count < FramesPerFragment) throw new InvalidOperationException($"{webm}: under 1 s of 20 ms Opus packets");
            return new SpeechMedia { Track = track, Packets = packets, Path = webm };
        }

        public MkvTrackInfo TrackInfo() => new()
        {
            Number = Track.Number, Type = MkvTrackType.Audio, CodecId = Track.CodecId, CodecPrivate = Track.CodecPrivate,
            CodecDelayNs = Track.CodecDelayNs, SeekPreRollNs = Track.SeekPreRollNs, SamplingFrequency = Track.SamplingFrequency,
            Channels = Track.Channels,
        };
    }

    /// <summary>One-core rates of the two heavy stages on the same audio: the ceiling the pipeline is compared with.</summary>
    private sealed record Baseline(double DecodeRealTime, double ModelRealTime)
    {
        public double CombinedRealTime => 1 / (1 / DecodeRealTime + 1 / ModelRealTime);

        public static Baseline Measure(SpeechMedia media)
        {
            var pcm = new PcmCollector();
            var factory = new AudioDecoderFactory();
            double audioSeconds = 0, decodeSeconds = 0;
            for (int pass = 0; pass < 2; pass++)  // the first pass warms up (JIT); the second is measured
            {
                pcm.Samples.Clear();
                if (!AudioTrackDecoder.TryCreate(media.TrackInfo(), new AudioTrackOptions { OutputSampleRate = 16000, Mono = true }, pcm, factory, out var decoder, out var error))
                {
                    throw new InvalidOperationException("baseline: " + error);
                }
                using (decoder)
                {
                    var clock = Stopwatch.StartNew();
                    int loops = pass == 0 ? 1 : 20;
                    long t = 0;
                    for (int l = 0; l < loops; l++)
                    {
                        foreach (var packet in media.Packets)
                        {
                            decoder!.Decode(t, packet);
                            t += FrameMs * 1_000_000L;
                        }
                    }
                    decodeSeconds = clock.Elapsed.TotalSeconds;
                    audioSeconds = t / 1e9;
                }
            }
            double decodeRt = audioSeconds / decodeSeconds;

            var model = VisemeModel.LoadDefault(modelDirectory: "/nonexistent");
            var samples = pcm.Samples.ToArray();
            var frames = new VisemeFrame[model.GetMaxFrameCount(3200)];
            double modelSeconds = 0;
            for (int pass = 0; pass < 2; pass++)
            {
                var state = model.CreateState();
                var clock = Stopwatch.StartNew();
                for (int start = 0; start + 3200 <= samples.Length; start += 3200) model.Process(samples.AsSpan(start, 3200), state, frames);
                modelSeconds = clock.Elapsed.TotalSeconds;
            }
            double modelRt = samples.Length / 16000.0 / modelSeconds;
            return new Baseline(decodeRt, modelRt);
        }

        private sealed class PcmCollector : IPcmSink
        {
            public List<short> Samples { get; } = new();
            public void OnPcm(ReadOnlySpan<short> samples, long timestampNs) => Samples.AddRange(samples);
            public void OnDiscontinuity(long endNs, long nextStartNs) { }
            public void OnEndOfStream() { }
        }
    }

    /// <summary>Live streams of KVS GetMedia-shaped fragments, paced in real time, one per stream index.</summary>
    private sealed class LiveFragmentSource(SpeechMedia media, int streams, Measurements measure) : IMediaSource
    {
        private readonly long _origin = Stopwatch.GetTimestamp();
        private readonly byte[] _segmentStart = Ebml.Concat(
            Ebml.Header("matroska"),
            Ebml.Id(0x18538067), Ebml.UnknownSize,
            Ebml.Master(0x1549A966, Ebml.UInt(0x2AD7B1, 1_000_000)),
            Ebml.Master(0x1654AE6B, Ebml.Master(0xAE,
                Ebml.UInt(0xD7, media.Track.Number), Ebml.UInt(0x73C5, 1), Ebml.UInt(0x83, 2), Ebml.String(0x86, media.Track.CodecId),
                Ebml.Binary(0x63A2, media.Track.CodecPrivate ?? []), Ebml.UInt(0x56AA, media.Track.CodecDelayNs), Ebml.UInt(0x56BB, media.Track.SeekPreRollNs),
                Ebml.Master(0xE1, Ebml.Float(0xB5, media.Track.SamplingFrequency), Ebml.UInt(0x9F, (ulong)media.Track.Channels)))));
        private readonly byte[][] _blocks = Enumerable.Range(0, media.Fragments).Select(f => Ebml.Concat(
            Enumerable.Range(0, FramesPerFragment).Select(k => Ebml.SimpleBlock(media.Track.Number, (short)(k * FrameMs), media.Packets[f * FramesPerFragment + k])).ToArray())).ToArray();
        private int _opens;

        public static string StreamName(int index) => "load-" + index.ToString("D5", CultureInfo.InvariantCulture);

        public int Reopens => Math.Max(0, Volatile.Read(ref _opens) - streams);

        public bool IsLive => true;

        public Task<Stream> OpenAsync(string streamName, KvsStartSelector start, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _opens);
            int index = int.Parse(streamName.AsSpan("load-".Length), CultureInfo.InvariantCulture);
            // Starts spread evenly over the first second, so fragments of different streams arrive evenly.
            long startAt = _origin + (long)(Stopwatch.Frequency * (double)index / streams);
            // A reopened stream (after an error) continues at the fragment now being produced, as GetMedia NOW would.
            long first = Math.Max(0, (long)Stopwatch.GetElapsedTime(startAt).TotalSeconds);
            return Task.FromResult<Stream>(new FragmentStream(this, index, startAt, first));
        }

        private void RecordLag(double ms) => measure.RecordLag(ms);

        private int Write(byte[] buffer, int index, long fragment, double lagMs)
        {
            string number = (91_343_852_333_181_000_000m + index * 1_000_000_000m + fragment).ToString(CultureInfo.InvariantCulture);
            long clusterMs = fragment * FragmentMs;
            string producer = ((1_700_000_000_000 + clusterMs) / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);
            string server = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);
            int n = 0;
            Append(_segmentStart);
            Append(Ebml.Tags(("AWS_KINESISVIDEO_FRAGMENT_NUMBER", number), ("AWS_KINESISVIDEO_SERVER_TIMESTAMP", server), ("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP", producer)));
            Append(Ebml.Id(0x1F43B675));
            Append(Ebml.UnknownSize);
            Append(Ebml.UInt(0xE7, (ulong)clusterMs));
            Append(_blocks[fragment % _blocks.Length]);
            Append(Ebml.Tags(("AWS_KINESISVIDEO_MILLIS_BEHIND_NOW", ((long)lagMs).ToString(CultureInfo.InvariantCulture)), ("AWS_KINESISVIDEO_CONTINUATION_TOKEN", number)));
            return n;

            void Append(byte[] part)
            {
                part.CopyTo(buffer, n);
                n += part.Length;
            }
        }

        private sealed class FragmentStream(LiveFragmentSource owner, int index, long startAt, long fragment) : ReadOnlyStream
        {
            private readonly byte[] _buffer = new byte[16 * 1024];  // one fragment: about 5 KB at 32 kb/s
            private int _length;
            private int _position;
            private long _fragment = fragment;

            public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            {
                if (_position == _length)
                {
                    // Fragment k (stream time k..k+1 s) is complete, and handed over whole, at k+1 s after the stream's start.
                    long due = startAt + (long)(Stopwatch.Frequency * (double)(_fragment + 1) * FragmentMs / 1000);
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                    if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                    double lagMs = Math.Max(0, Stopwatch.GetElapsedTime(due).TotalMilliseconds);
                    owner.RecordLag(lagMs);
                    _length = owner.Write(_buffer, index, _fragment, lagMs);
                    _position = 0;
                    _fragment++;
                }
                int n = Math.Min(buffer.Length, _length - _position);
                _buffer.AsSpan(_position, n).CopyTo(buffer.Span);
                _position += n;
                return n;
            }
        }
    }

    /// <summary>The in-process model, timed: duration of every InferAsync call, and per stream the model time of each window in order.</summary>
    private sealed class TimedInferenceClient(IInferenceClient inner, Measurements measure) : IInferenceClient
    {
        private readonly ConcurrentDictionary<string, ConcurrentQueue<double>> _modelMsByStream = new(StringComparer.Ordinal);

        public string ModelName => inner.ModelName;

        public async Task<IReadOnlyList<InferencePrediction>> InferAsync(IReadOnlyList<InferenceInstance> instances, CancellationToken cancellationToken)
        {
            long started = Stopwatch.GetTimestamp();
            var result = await inner.InferAsync(instances, cancellationToken).ConfigureAwait(false);
            double ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            measure.RecordBatch(ms, instances.Count);
            // Windows of one stream reach the model in order and their records reach the sink in the same order.
            foreach (var instance in instances) _modelMsByStream.GetOrAdd(instance.StreamKey ?? "", _ => new ConcurrentQueue<double>()).Enqueue(ms);
            return result;
        }

        public bool TryTakeModelMs(string stream, out double ms)
        {
            ms = 0;
            return _modelMsByStream.TryGetValue(stream, out var queue) && queue.TryDequeue(out ms);
        }
    }

    /// <summary>
    /// Counts acknowledged records and completes synchronously, so the pipeline records each window's latency on this
    /// thread right after the write: the model times of the records just written are handed to the latency listener
    /// through a thread-local queue, in the same order.
    /// </summary>
    private sealed class CountingSink(TimedInferenceClient model) : IRecordSink
    {
        [ThreadStatic] private static Queue<double>? t_modelMs;
        private long _records;
        private long _unmatched;

        public long Records => Interlocked.Read(ref _records);

        public long Unmatched => Interlocked.Read(ref _unmatched);

        public Task WriteAsync(IReadOnlyList<InferenceRecord> records, CancellationToken cancellationToken)
        {
            var queue = t_modelMs ??= new Queue<double>();
            queue.Clear();
            foreach (var r in records)
            {
                if (model.TryTakeModelMs(r.StreamName, out double ms)) queue.Enqueue(ms);
                else Interlocked.Increment(ref _unmatched);
            }
            Interlocked.Add(ref _records, records.Count);
            return Task.CompletedTask;
        }

        public static bool TryTakeModelMs(out double ms)
        {
            ms = 0;
            return t_modelMs is { } q && q.TryDequeue(out ms);
        }
    }

    /// <summary>Fixed-size histograms (0.1 ms buckets up to 10 s), cleared in place, so a soak run does not grow or churn the heap.</summary>
    private sealed class Measurements
    {
        private readonly Lock _gate = new();
        private readonly Histograms _total = new();
        private readonly Histograms _interval = new();
        private readonly Histograms _half = new();

        public MeterListener Listen()
        {
            var listener = new MeterListener
            {
                InstrumentPublished = (instrument, l) =>
                {
                    if (instrument.Meter.Name == PipelineMetrics.MeterName && instrument.Name == "kvsi.pipeline.process_latency") l.EnableMeasurementEvents(instrument);
                },
            };
            listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
            {
                double model = CountingSink.TryTakeModelMs(out double ms) ? ms : 0;
                lock (_gate)
                {
                    _total.AddLatency(value, model);
                    _interval.AddLatency(value, model);
                    _half.AddLatency(value, model);
                }
            });
            listener.Start();
            return listener;
        }

        public void RecordLag(double ms)
        {
            lock (_gate)
            {
                _total.Lag.Add(ms);
                _interval.Lag.Add(ms);
            }
        }

        public void RecordBatch(double ms, int windows)
        {
            lock (_gate)
            {
                _total.AddBatch(ms, windows);
                _interval.AddBatch(ms, windows);
            }
        }

        public void Reset()
        {
            lock (_gate)
            {
                _total.Clear();
                _interval.Clear();
                _half.Clear();
            }
        }

        public Figures TakeInterval()
        {
            lock (_gate)
            {
                var figures = _interval.Figures();
                _interval.Clear();
                return figures;
            }
        }

        public Figures TakeTotal()
        {
            lock (_gate) return _total.Figures();
        }

        /// <summary>Returns the p99 so far and starts the second half.</summary>
        public double StartSecondHalf()
        {
            lock (_gate)
            {
                _half.Clear();
                return _total.Latency.Percentile(0.99);
            }
        }

        public double SecondHalfP99()
        {
            lock (_gate) return _half.Latency.Percentile(0.99);
        }
    }

    private sealed record Figures(long Count, double P50, double P99, double Max, double P50ExcludingModel, double P99ExcludingModel,
        double LagP99, double BatchP99, double BatchWindowsMean, long Batches, double ModelSeconds, double ModelShare);

    private sealed class Histograms
    {
        public Histogram Latency { get; } = new();
        public Histogram LatencyExcludingModel { get; } = new();
        public Histogram Lag { get; } = new();
        public Histogram Batch { get; } = new();
        public double ModelSeconds { get; private set; }
        public long Batches { get; private set; }
        private long _batchWindows;
        private double _latencySumMs;
        private double _modelSumMs;

        /// <summary>Computes the figures; the model share is the model's part of the summed window latencies.</summary>
        public Figures Figures() => new(Latency.Count, Latency.Percentile(0.50), Latency.Percentile(0.99), Latency.Max,
            LatencyExcludingModel.Percentile(0.50), LatencyExcludingModel.Percentile(0.99), Lag.Percentile(0.99), Batch.Percentile(0.99),
            Batches == 0 ? 0 : (double)_batchWindows / Batches, Batches, ModelSeconds, _latencySumMs == 0 ? 0 : _modelSumMs / _latencySumMs);

        public void Clear()
        {
            Latency.Clear();
            LatencyExcludingModel.Clear();
            Lag.Clear();
            Batch.Clear();
            ModelSeconds = 0;
            Batches = 0;
            _batchWindows = 0;
            _latencySumMs = 0;
            _modelSumMs = 0;
        }

        public void AddLatency(double ms, double modelMs)
        {
            Latency.Add(ms);
            LatencyExcludingModel.Add(Math.Max(0, ms - modelMs));
            _latencySumMs += ms;
            _modelSumMs += Math.Min(ms, modelMs);
        }

        public void AddBatch(double ms, int windows)
        {
            Batch.Add(ms);
            ModelSeconds += ms / 1000;
            Batches++;
            _batchWindows += windows;
        }
    }

    private sealed class Histogram
    {
        private const int Buckets = 100_000;  // 0.1 ms each: 0..10 s, the last one open-ended
        private readonly long[] _counts = new long[Buckets];

        public long Count { get; private set; }
        public double Max { get; private set; }

        public void Add(double ms)
        {
            _counts[Math.Clamp((int)(ms * 10), 0, Buckets - 1)]++;
            Count++;
            if (ms > Max) Max = ms;
        }

        public void Clear()
        {
            Array.Clear(_counts);
            Count = 0;
            Max = 0;
        }

        public double Percentile(double p)
        {
            if (Count == 0) return double.NaN;
            long rank = (long)Math.Ceiling(p * Count);
            long seen = 0;
            for (int i = 0; i < Buckets; i++)
            {
                seen += _counts[i];
                if (seen >= rank) return (i + 1) / 10.0;  // the bucket's upper edge: never under-reports
            }
            return Max;
        }
    }
}
