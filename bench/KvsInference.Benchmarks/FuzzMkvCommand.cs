using KvsInference.Audio;
using KvsInference.Matroska;

namespace KvsInference.Benchmarks;

/// <summary>
/// <c>fuzz-mkv --seconds N | --inputs N</c>: mutates real files and parses each in two random pieces; fails on any
/// exception other than <see cref="MkvFormatException"/>, on a slow or hanging input, or on memory growth
/// (<see cref="FuzzHarness"/>).
/// </summary>
internal static class FuzzMkvCommand
{
    public static int Run(string[] args)
    {
        var handler = new MkvReaderBenchmarks.FrameCounter();
        return FuzzHarness.Run("fuzz-mkv", args, MkvBenchMedia.FuzzSeeds(), (data, random) =>
        {
            try
            {
                var parser = new MkvStreamParser(frameTiming: AudioFrameTiming.Instance);
                int cut = data.Length == 0 ? 0 : random.Next(data.Length);
                int consumed = parser.Feed(data.AsSpan(0, cut), false, handler);
                parser.Feed(data.AsSpan(consumed), true, handler);
                return false;
            }
            catch (MkvFormatException)
            {
                return true;
            }
        });
    }
}
