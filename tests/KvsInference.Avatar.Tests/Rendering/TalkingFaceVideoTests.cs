using System.Globalization;
using KvsInference.Avatar.Rendering;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Rendering;

public class TalkingFaceVideoTests
{
    private static (string[] Codecs, double Duration) Probe(string mp4)
    {
        var codecs = ProcessRunner.Run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", mp4])
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var duration = double.Parse(ProcessRunner.Run("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", mp4]).Trim(), CultureInfo.InvariantCulture);
        return (codecs, duration);
    }

    [Fact]
    public async Task WriteMp4Async_Wav_WritesH264AndAacOfTheAudioDuration()
    {
        var wav = AvatarSpeech.Wav("This is the talking face test video.");
        var mp4 = Path.Combine(TestPaths.Scratch, "talking.mp4");
        var result = await TalkingFaceVideo.WriteMp4Async(wav, mp4);
        var (codecs, duration) = Probe(mp4);
        Assert.Equal(["h264", "aac"], codecs);
        Assert.Equal(result.AudioSeconds, duration, 0.1);
        Assert.Equal((int)Math.Ceiling(result.AudioSeconds * 60), result.Frames);
    }

    [Fact]
    public async Task WriteMp4Async_WebmOpus_IsDecodedByFfmpeg()
    {
        var webm = Path.Combine(TestPaths.Scratch, "speech.webm");
        ProcessRunner.Ffmpeg("-i", AvatarSpeech.Wav("A short clip in a web m file."), "-c:a", "libopus", "-b:a", "32k", webm);
        var mp4 = Path.Combine(TestPaths.Scratch, "talking-webm.mp4");
        var result = await TalkingFaceVideo.WriteMp4Async(webm, mp4, rendererOptions: new FaceRendererOptions { Width = 320, Height = 240, FrameRate = 30 },
            model: KvsInference.Avatar.Model.VisemeModel.LoadDefault(new() { FrameRate = 30 }, "/nonexistent"));
        var (codecs, duration) = Probe(mp4);
        Assert.Equal(["h264", "aac"], codecs);
        Assert.Equal(result.AudioSeconds, duration, 0.15);
    }

    [Fact]
    public async Task WriteMp4Async_MissingInput_ThrowsFileNotFound() =>
        await Assert.ThrowsAsync<FileNotFoundException>(() => TalkingFaceVideo.WriteMp4Async("/nonexistent.wav", Path.Combine(TestPaths.Scratch, "x.mp4")));
}
