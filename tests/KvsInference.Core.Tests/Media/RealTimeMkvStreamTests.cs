using KvsInference.Matroska;
using KvsInference.Media;
using KvsInference.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace KvsInference.Tests.Media;

public class RealTimeMkvStreamTests
{
    private sealed class Counter : IMkvHandler
    {
        public int Frames;
        public long LastNs;
        public void OnFrame(in MkvFrame frame) { Frames++; LastNs = frame.TimestampNs; }
    }

    [Fact]
    public async Task ReadAsync_WholeFileFast_SameFramesWithUnknownSizeSegment()
    {
        var path = MatroskaTestMedia.FfmpegOpus(32, 1, "webm");
        var stream = RealTimeMkvStream.Create(File.ReadAllBytes(path), TimeProvider.System, speed: 1000);
        var copy = new MemoryStream();

        await stream.CopyToAsync(copy);

        var bytes = copy.ToArray();
        var counter = new Counter();
        await new MkvStreamParser().ParseAsync(new MemoryStream(bytes), counter);
        Assert.Equal(WebmTestFile.Read(path).Frames.Count, counter.Frames);
        int segment = bytes.AsSpan().IndexOf(new byte[] { 0x18, 0x53, 0x80, 0x67 });
        Assert.Equal(new byte[] { 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, bytes.AsSpan(segment + 4, 8).ToArray());
    }

    [Fact]
    public async Task ReadAsync_BlockNotDue_WaitsForTheClock()
    {
        var path = MatroskaTestMedia.FfmpegOpus(32, 1, "webm");
        var time = new FakeTimeProvider();
        var stream = RealTimeMkvStream.Create(File.ReadAllBytes(path), time);
        var buffer = new byte[1 << 20];

        int header = await stream.ReadAsync(buffer);
        int firstBlock = await stream.ReadAsync(buffer);  // block 0 is due at once
        var second = stream.ReadAsync(buffer).AsTask();
        await Task.Delay(50);

        Assert.True(header > 0 && firstBlock > 0);
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await second.WaitAsync(TimeSpan.FromSeconds(5)) > 0);
        Assert.True(stream.DurationNs > 1_000_000_000);
    }
}
