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
}
