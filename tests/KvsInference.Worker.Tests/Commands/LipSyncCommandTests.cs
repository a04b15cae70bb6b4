using KvsInference.Avatar.Rendering;
using KvsInference.TestSupport;
using KvsInference.Worker.Commands;

namespace KvsInference.Tests.Commands;

public class LipSyncCommandTests
{
    private const double FrameMs = 1000.0 / 60;

    // docs/model.md: a frame sees audio up to 95 ms after its own time (the mouth may open that much
    // early) and the jaw, which opens the mouth, is smoothed by a 15 ms exponential average (the mouth may follow that
    // much late); the measurement itself is resolved to one frame period.
    private static readonly double ModelBoundMs = FrameMs + 1000.0 * KvsInference.Avatar.Model.VisemeModelConstants.LookaheadSamples / 16000
        + KvsInference.Avatar.Model.VisemeModelConstants.DefaultJawSmoothingTime.TotalMilliseconds;

    private static async Task<(int Exit, string Output, string Error)> LipSync(string path)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await LipSyncCommand.RunAsync(path, new LipSyncMeterOptions(), output, error, CancellationToken.None);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task RunAsync_AnimateVideoAndDelayedAudio_OffsetWithinModelLatencyAndMovesBy200Ms()
    {
        var wav = AvatarSpeech.Wav("Hello there, this is a short lip sync test of the face.");
        var mp4 = Path.Combine(TestPaths.Scratch, "lipsync.mp4");
        var delayed = Path.Combine(TestPaths.Scratch, "lipsync-audio-200ms-late.mp4");
        await TalkingFaceVideo.WriteMp4Async(wav, mp4);
        ProcessRunner.Ffmpeg("-i", mp4, "-itsoffset", "0.2", "-i", mp4, "-map", "0:v", "-map", "1:a", "-c", "copy", delayed);

        var aligned = await LipSyncMeter.MeasureAsync(mp4);
        var late = await LipSyncMeter.MeasureAsync(delayed);

        Assert.InRange(aligned.OffsetMs, -ModelBoundMs, ModelBoundMs);
        Assert.True(aligned.Correlation > 0.5, $"r = {aligned.Correlation}");
        Assert.True(aligned.WithinBt1359);
        // Audio 200 ms later: the mouth now leads by ~200 ms more.
        Assert.InRange(aligned.OffsetMs - late.OffsetMs, 200 - FrameMs, 200 + FrameMs);
        Assert.False(late.WithinBt1359);

        var (exit, output, _) = await LipSync(mp4);
        Assert.Equal(0, exit);
        Assert.Contains("inside ITU-R BT.1359", output);
        (exit, output, _) = await LipSync(delayed);
        Assert.Equal(0, exit);
        Assert.StartsWith("mouth leads the audio by", output);
        Assert.Contains("OUTSIDE", output);
    }

    [Fact]
    public async Task MeasureAsync_OddSizedMouthRegion_ReadsEveryFrameAndMeasuresAsTheFacesOwnRegion()
    {
        // The 3D head's region at 640x480 is 163x115: an odd size must be cropped exactly, not rounded to even.
        var options = new FaceRendererOptions { Width = 320, Height = 240, FrameRate = 30 };
        var model = KvsInference.Avatar.Model.VisemeModel.LoadDefault(new() { FrameRate = 30 }, "/nonexistent");
        var mp4 = Path.Combine(TestPaths.Scratch, "lipsync-odd-region.mp4");
        var video = await TalkingFaceVideo.WriteMp4Async(AvatarSpeech.Wav("Hello there, this is a short lip sync test of the face."), mp4, model, options);
        using var renderer = new FaceRenderer(options);
        var r = renderer.MouthRegion;
        var odd = new SkiaSharp.SKRectI(r.Left, r.Top, r.Right + 1 - r.Width % 2, r.Bottom + 1 - r.Height % 2);
        Assert.True(odd.Width % 2 == 1 && odd.Height % 2 == 1 && odd.Right <= options.Width && odd.Bottom <= options.Height, odd.ToString());

        var own = await LipSyncMeter.MeasureAsync(mp4);
        var measured = await LipSyncMeter.MeasureAsync(mp4, new LipSyncMeterOptions { MouthRegion = odd });

        Assert.Equal(video.Frames, measured.Frames);
        Assert.InRange(measured.OffsetMs, own.OffsetMs - 1000.0 / 30, own.OffsetMs + 1000.0 / 30);
        Assert.True(measured.Correlation > 0.5, measured.Describe());
    }

    [Fact]
    public async Task RunAsync_NoAudioOrNoVideo_ExitsOneNamingTheMissingStream()
    {
        var wav = AvatarSpeech.Wav("Hello there, this is a short lip sync test of the face.");
        var silentVideo = Path.Combine(TestPaths.Scratch, "lipsync-no-audio.mp4");
        var audioOnly = Path.Combine(TestPaths.Scratch, "lipsync-no-video.m4a");
        ProcessRunner.Ffmpeg("-f", "lavfi", "-i", "color=c=blue:s=320x240:r=30:d=1", "-c:v", "libx264", silentVideo);
        ProcessRunner.Ffmpeg("-i", wav, "-c:a", "aac", audioOnly);

        var (exit, _, error) = await LipSync(silentVideo);
        Assert.Equal(1, exit);
        Assert.Contains("has no audio stream", error);
        (exit, _, error) = await LipSync(audioOnly);
        Assert.Equal(1, exit);
        Assert.Contains("has no video stream", error);
        (exit, _, error) = await LipSync(Path.Combine(TestPaths.Scratch, "does-not-exist.mp4"));
        Assert.Equal(1, exit);
        Assert.Contains("not found", error);
    }
}
