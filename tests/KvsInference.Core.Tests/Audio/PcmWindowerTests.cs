using KvsInference.TestSupport;
using KvsInference.Audio;

namespace KvsInference.Tests.Audio;

public class PcmWindowerTests
{
    [Fact]
    public void OnPcm_ChunksOfAnySize_GiveFullWindowsWithExactTimestamps()
    {
        var windows = new List<(long Ts, short[] Samples, bool Partial, long Seq)>();
        var windower = new PcmWindower(16000, 1, new PcmWindowerOptions(), w => windows.Add((w.TimestampNs, w.Samples.ToArray(), w.IsPartial, w.Sequence)));
        Assert.Equal(3200, windower.WindowFrames);
        var rng = new Random(3);
        long t0 = 5_000_000_000;
        int total = 0;
        while (total < 16000 + 1000)
        {
            int n = rng.Next(1, 900);
            var chunk = Enumerable.Range(total, n).Select(i => (short)(i % 30000)).ToArray();
            windower.OnPcm(chunk, t0 + total * 1_000_000_000L / 16000);
            total += n;
        }
        Assert.Equal(5, windows.Count); // full windows arrive without waiting for any end
        windower.OnEndOfStream();
        Assert.Equal(6, windows.Count);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(t0 + i * 200_000_000L, windows[i].Ts);
            Assert.Equal(3200, windows[i].Samples.Length);
            Assert.False(windows[i].Partial);
            Assert.Equal(i, windows[i].Seq);
            Assert.Equal((short)(i * 3200), windows[i].Samples[0]);
        }
        Assert.True(windows[5].Partial);
        Assert.Equal(total - 16000, windows[5].Samples.Length);
        Assert.Equal(t0 + 1_000_000_000L, windows[5].Ts);
    }

    [Fact]
    public void OnDiscontinuity_DeliversThePartialWindowAndRestartsAtTheNewTime()
    {
        var windows = new List<(long Ts, int Frames, bool Partial)>();
        var windower = new PcmWindower(48000, 2, new PcmWindowerOptions { WindowDuration = TimeSpan.FromMilliseconds(100) },
            w => windows.Add((w.TimestampNs, w.Frames, w.IsPartial)));
        windower.OnPcm(new short[2 * 7000], 0);
        windower.OnDiscontinuity(7000 * 1_000_000_000L / 48000, 900_000_000);
        windower.OnPcm(new short[2 * 4800], 900_000_000);
        Assert.Equal([(0L, 4800, false), (100_000_000L, 2200, true), (900_000_000L, 4800, false)], windows);
    }

    [Fact]
    public void OnPcm_SteadyState_AllocatesNothingPerWindow()
    {
        long count = 0;
        var windower = new PcmWindower(16000, 1, new PcmWindowerOptions(), w => count += w.Frames);
        var chunk = new short[320];
        windower.OnPcm(chunk, 0);
        long next = 1;
        long allocated = SteadyState.MinAllocatedBytes(() => () =>
        {
            for (int i = 0; i < 1000; i++, next++) windower.OnPcm(chunk, next * 20_000_000L);
        });
        Assert.Equal(0, allocated);
        // `next` chunks of 20 ms so far (the one at 0 included): a 200 ms window of 3200 frames per 10 chunks.
        Assert.Equal(next / 10 * 3200, count);
    }

    [Fact]
    public void Constructor_ZeroWindow_ThrowsValidationException()
    {
        var ex = Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() =>
            new PcmWindower(16000, 1, new PcmWindowerOptions { WindowDuration = TimeSpan.Zero }, _ => { }));
        Assert.Contains("WindowDuration", ex.Message);
    }

    [Fact]
    public void Flush_PartialWindowsNotWanted_DropsTheRest()
    {
        int windows = 0;
        var windower = new PcmWindower(16000, 1, new PcmWindowerOptions { DeliverPartialWindows = false }, _ => windows++);
        windower.OnPcm(new short[5000], 0);
        windower.Flush();
        Assert.Equal(1, windows);
    }
}
