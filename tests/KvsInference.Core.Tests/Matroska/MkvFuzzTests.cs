using System.Diagnostics;
using CsCheck;
using KvsInference.Matroska;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Matroska;

/// <summary>A bounded mutation fuzz run over real files; the long run is `bench ... fuzz-mkv --seconds N`.</summary>
public class MkvFuzzTests
{
    [Fact]
    public void Parse_MutatedRealFiles_OnlyFormatExceptionsAndNoHangs()
    {
        byte[][] seeds =
        [
            File.ReadAllBytes(MatroskaTestMedia.FfmpegOpus(16, 1, "webm")),
            File.ReadAllBytes(MatroskaTestMedia.MkvmergeVorbis(xiph: true)),
            File.ReadAllBytes(MatroskaTestMedia.MkvmergeAac()),
            Ebml.KvsGetMedia(3, 10, out _),
        ];
        var mutation = Gen.Select(Gen.Int[0, 3], Gen.Int[0, int.MaxValue], Gen.Byte, Gen.Int[1, 16]);
        var gen = Gen.Select(Gen.Int[0, seeds.Length - 1], mutation.Array[1, 8], Gen.Int[0, int.MaxValue]);
        long maxTicks = 0;
        int runs = 0, formatErrors = 0;

        gen.Sample(t =>
        {
            var (seedIndex, mutations, splitSeed) = t;
            byte[] data = Mutate(seeds[seedIndex], mutations);
            long start = Stopwatch.GetTimestamp();
            var (_, error) = MkvRecordingHandler.ParseChunked(data, data.Length > 2 ? [1 + splitSeed % (data.Length - 1)] : []);
            maxTicks = Math.Max(maxTicks, Stopwatch.GetTimestamp() - start);
            runs++;
            if (error is not null) formatErrors++;
        }, time: 15, threads: 1);

        Assert.True(runs > 100, $"only {runs} runs");
        Assert.True(formatErrors > 0, "mutations must hit format errors");
        // A guard against hangs and runaway loops, not a speed figure (fuzz-mkv in bench/ prints those): generous, so a
        // busy machine that stalls this thread for a few seconds cannot fail it.
        Assert.True(Stopwatch.GetElapsedTime(0, maxTicks) < TimeSpan.FromSeconds(20), $"an input took {Stopwatch.GetElapsedTime(0, maxTicks)}");
    }

    /// <summary>Applies byte flips, truncations, insertions and deletions.</summary>
    internal static byte[] Mutate(byte[] seed, (int Kind, int Position, byte Value, int Length)[] mutations)
    {
        var data = new List<byte>(seed);
        foreach (var (kind, position, value, length) in mutations)
        {
            if (data.Count == 0) break;
            int at = position % data.Count;
            switch (kind)
            {
                case 0: data[at] ^= (byte)(value | 1); break;
                case 1: data.RemoveRange(at, data.Count - at); break;
                case 2: for (int i = 0; i < length; i++) data.Insert(at, (byte)(value + i)); break;
                default: data.RemoveRange(at, Math.Min(length, data.Count - at)); break;
            }
        }
        return [.. data];
    }
}
