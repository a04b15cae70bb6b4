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
    public async Task WriteMp4Async_WebmOpus_IsDecodedInProcess()
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

    [Theory]
    [InlineData("libopus", "webm", 0.03)]  // WebM signals Opus pre-skip: the same duration
    [InlineData("aac", "mkv", 0.1)]        // ffmpeg's MKV has no CodecDelay for AAC: 1024 priming samples + final-frame padding remain
    public async Task WriteMp4Async_CompressedContainer_GivesTheFramesOfTheSameSpeechAsWav(string codec, string container, double extraSeconds)
    {
        var wav = AvatarSpeech.Wav("The same words in two containers.");
        var compressed = Path.Combine(TestPaths.Scratch, $"same-words-{codec}.{container}");
        ProcessRunner.Ffmpeg("-i", wav, "-c:a", codec, "-b:a", "64k", compressed);
        var options = new FaceRendererOptions { Width = 160, Height = 120, FrameRate = 30 };
        var model = KvsInference.Avatar.Model.VisemeModel.LoadDefault(new() { FrameRate = 30 }, "/nonexistent");
        var fromWav = await TalkingFaceVideo.WriteMp4Async(wav, Path.Combine(TestPaths.Scratch, $"same-wav-{codec}.mp4"), model, options);
        var fromCompressed = await TalkingFaceVideo.WriteMp4Async(compressed, Path.Combine(TestPaths.Scratch, $"same-{codec}.mp4"), model, options);
        Assert.InRange(fromCompressed.AudioSeconds, fromWav.AudioSeconds - 0.03, fromWav.AudioSeconds + extraSeconds);
        Assert.Equal((int)Math.Ceiling(fromCompressed.AudioSeconds * 30 - 1e-9), fromCompressed.Frames);
    }

    [Fact]
    public async Task WriteMp4Async_NotMatroska_ThrowsInvalidData()
    {
        var path = Path.Combine(TestPaths.Scratch, "not-audio.webm");
        await File.WriteAllTextAsync(path, "this is not a WebM file");
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => TalkingFaceVideo.WriteMp4Async(path, Path.Combine(TestPaths.Scratch, "y.mp4")));
        Assert.Contains("not-audio.webm", e.Message);
    }
}
