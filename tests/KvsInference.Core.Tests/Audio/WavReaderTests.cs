using KvsInference.Audio;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Audio;

public class WavReaderTests
{
    [Theory]
    [InlineData("pcm_s16le", 16, false)]
    [InlineData("pcm_f32le", 32, true)]
    [InlineData("pcm_s24le", 24, false)]
    public void ReadFile_FfmpegWav_MatchesFfmpegsOwnConversion(string codec, int bits, bool isFloat)
    {
        var wav = Path.Combine(TestPaths.Scratch, $"reader-{codec}.wav");
        ProcessRunner.Ffmpeg("-f", "lavfi", "-i", "aevalsrc=0.8*sin(2*PI*440*t)|0.3*sin(2*PI*1234*t)|0.1:s=22050:d=0.7", "-c:a", codec, wav);
        var audio = WavReader.ReadFile(wav);
        Assert.Equal(22050, audio.SampleRate);
        Assert.Equal(3, audio.Channels);
        Assert.Equal(bits, audio.BitsPerSample);
        Assert.Equal(isFloat, audio.IsFloat);
        var reference = AudioTestMedia.ReferenceDecode(wav, decoder: null);
        Assert.Equal(reference, audio.Samples);
    }

    [Theory]
    [InlineData("RIFX", "Not a RIFF file", 0)]
    [InlineData("WAVX", "expected 'WAVE'", 8)]
    [InlineData("fmt3", "Format tag 0x0002", 12)]
    [InlineData("nofmt", "'data' chunk comes before the 'fmt ' chunk", 12)]
    [InlineData("short", "too short for a RIFF header", 0)]
    public void Read_MalformedFile_ThrowsWithReasonAndOffset(string kind, string message, long offset)
    {
        var ok = new MemoryStream();
        using (var w = new WavWriter(ok, 8000, 1, leaveOpen: true)) w.Write(new short[10]);
        var bytes = ok.ToArray();
        switch (kind)
        {
            case "RIFX": bytes[3] = (byte)'X'; break;
            case "WAVX": bytes[11] = (byte)'X'; break;
            case "fmt3": bytes[20] = 2; break;
            case "nofmt": "junk"u8.CopyTo(bytes.AsSpan(12)); break;
            case "short": bytes = bytes[..10]; break;
        }
        var ex = Assert.Throws<WavFormatException>(() => WavReader.Read(bytes));
        Assert.Contains(message, ex.Message);
        if (kind != "nofmt") Assert.Equal(offset, ex.Offset);
    }

    [Theory]
    [InlineData("pcm_s16le", 1, 16000)]
    [InlineData("pcm_s16le", 2, 44100)]
    [InlineData("pcm_f32le", 1, 48000)]
    [InlineData("pcm_s24le", 2, 22050)]
    [InlineData("pcm_u8", 1, 8000)]
    public void ToMono_FfmpegWav_AveragesChannelsAtTheFileRate(string codec, int channels, int rate)
    {
        var path = Path.Combine(TestPaths.Scratch, $"tone-{codec}-{channels}-{rate}.wav");
        ProcessRunner.Ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=0.5", "-ac", channels.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-ar", rate.ToString(System.Globalization.CultureInfo.InvariantCulture), "-c:a", codec, path);
        var wav = WavReader.ReadFile(path);
        var mono = wav.ToMono();
        Assert.Equal(rate, wav.SampleRate);
        Assert.Equal(wav.Frames, mono.Length);
        Assert.InRange(mono.Length, rate / 2 - 2, rate / 2 + 2);
        // ffmpeg's sine source has amplitude 1/8 of full scale; its mono-to-stereo upmix is -3 dB per channel.
        double expected = 4096 / Math.Sqrt(2) * (channels == 2 ? Math.Sqrt(0.5) : 1);
        double rms = Math.Sqrt(mono.Average(s => (double)s * s));
        Assert.InRange(rms, expected * 0.9, expected * 1.1);
    }

    [Fact]
    public void Read_StreamedDataSizeZero_ReadsToTheEnd()
    {
        var bytes = File.ReadAllBytes(AvatarSpeech.Wav("streamed"));
        int data = bytes.AsSpan().IndexOf("data"u8);
        var full = WavReader.Read(bytes);
        BitConverter.TryWriteBytes(bytes.AsSpan(data + 4, 4), 0u);
        Assert.Equal(full.Samples, WavReader.Read(bytes).Samples);
    }
}
