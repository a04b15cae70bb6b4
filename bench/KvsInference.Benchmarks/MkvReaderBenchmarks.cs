using BenchmarkDotNet.Attributes;
using KvsInference.Matroska;

namespace KvsInference.Benchmarks;

/// <summary>
/// The Matroska reader over a 16+ MB in-memory Opus WebM: throughput (MB/s from the file size and the mean time)
/// and allocations (divide Allocated by <see cref="FrameCount"/> for bytes per frame).
/// </summary>
[MemoryDiagnoser]
public class MkvReaderBenchmarks
{
    private byte[] _data = [];

    /// <summary>Frames in the file (printed in the setup), to turn Allocated into bytes per frame.</summary>
    public long FrameCount { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = File.ReadAllBytes(MkvBenchMedia.BigOpusWebm(16));
        var counter = new FrameCounter();
        new MkvStreamParser().Feed(_data, true, counter);
        FrameCount = counter.Frames;
        Console.WriteLine($"// {_data.Length / 1e6:F1} MB, {FrameCount} frames");
    }

    [Benchmark(Description = "MkvStreamParser.Feed (contiguous)")]
    public long ParseContiguous()
    {
        var counter = new FrameCounter();
        new MkvStreamParser().Feed(_data, true, counter);
        return counter.Bytes;
    }

    [Benchmark(Description = "MkvReader.Read tokens only")]
    public long ReadTokens()
    {
        var reader = new MkvReader(_data, true, new MkvReaderState(null));
        long n = 0;
        while (reader.Read()) n += reader.ElementSize;
        return n;
    }

    internal sealed class FrameCounter : IMkvHandler
    {
        public long Frames;
        public long Bytes;

        public void OnFrame(in MkvFrame frame)
        {
            Frames++;
            Bytes += frame.PayloadLength;
        }
    }
}
