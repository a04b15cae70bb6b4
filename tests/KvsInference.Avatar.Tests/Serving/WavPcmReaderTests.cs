using KvsInference.Avatar.Serving;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Serving;

public class WavPcmReaderTests
{
    [Theory]
    [InlineData("pcm_s16le", 1, 16000)]
    [InlineData("pcm_s16le", 2, 44100)]
    [InlineData("pcm_f32le", 1, 48000)]
    [InlineData("pcm_s24le", 2, 22050)]
    [InlineData("pcm_u8", 1, 8000)]
    public void Read_FfmpegWav_GivesMonoSamplesAtTheFileRate(string codec, int channels, int rate)
    {
        var path = Path.Combine(TestPaths.Scratch, $"tone-{codec}-{channels}-{rate}.wav");
        ProcessRunner.Ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=0.5", "-ac", channels.ToString(), "-ar", rate.ToString(), "-c:a", codec, path);
        var (samples, sampleRate) = WavPcmReader.Read(File.ReadAllBytes(path));
        Assert.Equal(rate, sampleRate);
        Assert.InRange(samples.Length, rate / 2 - 2, rate / 2 + 2);
        // ffmpeg's sine source has amplitude 1/8 of full scale; its mono-to-stereo upmix is -3 dB per channel.
        double expected = 4096 / Math.Sqrt(2) * (channels == 2 ? Math.Sqrt(0.5) : 1);
        double rms = Math.Sqrt(samples.Average(s => (double)s * s));
        Assert.InRange(rms, expected * 0.9, expected * 1.1);
    }

    [Fact]
    public void Read_NotRiff_Throws()
    {
        var e = Assert.Throws<WavFormatException>(() => WavPcmReader.Read("{\"instances\":[]}"u8));
        Assert.Contains("not a WAV", e.Message);
    }

    [Fact]
    public void Read_CompressedEncoding_ThrowsNamingTheFormatTag()
    {
        var path = Path.Combine(TestPaths.Scratch, "alaw.wav");
        ProcessRunner.Ffmpeg("-f", "lavfi", "-i", "sine=duration=0.1", "-c:a", "pcm_alaw", path);
        var e = Assert.Throws<WavFormatException>(() => WavPcmReader.Read(File.ReadAllBytes(path)));
        Assert.Contains("format tag 6", e.Message);
    }

    [Fact]
    public void Read_NoDataChunk_Throws()
    {
        var bytes = File.ReadAllBytes(AvatarSpeech.Wav("hi"))[..36];
        Assert.Throws<WavFormatException>(() => WavPcmReader.Read(bytes));
    }
}
