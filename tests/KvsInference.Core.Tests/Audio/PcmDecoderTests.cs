using KvsInference.Audio;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Audio;

public class PcmDecoderTests
{
    [Theory]
    [InlineData("pcm_u8", "A_PCM/INT/LIT", 8)]
    [InlineData("pcm_s16le", "A_PCM/INT/LIT", 16)]
    [InlineData("pcm_s24le", "A_PCM/INT/LIT", 24)]
    [InlineData("pcm_s32le", "A_PCM/INT/LIT", 32)]
    [InlineData("pcm_s16be", "A_PCM/INT/BIG", 16)]
    [InlineData("pcm_f32le", "A_PCM/FLOAT/IEEE", 32)]
    [InlineData("pcm_f64le", "A_PCM/FLOAT/IEEE", 64)]
    public void Decode_FfmpegMatroskaPcmTrack_MatchesFfmpegDecodeBitExact(string ffmpegCodec, string codecId, int bits)
    {
        var mka = Path.Combine(TestPaths.Scratch, $"pcm-{ffmpegCodec}.mka");
        // A 44.1 kHz stereo sweep with some level, so every bit width carries information.
        ProcessRunner.Ffmpeg("-f", "lavfi", "-i", "aevalsrc=0.7*sin(2*PI*(200+2000*t)*t)|0.5*sin(2*PI*330*t):s=44100:d=1.3",
            "-c:a", ffmpegCodec, mka);
        var file = WebmTestFile.Read(mka);
        var track = file.Tracks[0].ToTrackInfo();
        Assert.Equal(codecId, track.CodecId);
        Assert.Equal(bits, track.BitDepth);

        var sink = new AudioTestMedia.CollectingSink();
        Assert.True(AudioTrackDecoder.TryCreate(track, new AudioTrackOptions { OutputSampleRate = 44100, Mono = false }, sink,
            new AudioDecoderFactory(), out var decoder, out var error), error);
        using (decoder)
        {
            foreach (var f in file.Frames) decoder!.Decode(f.TimestampNs, f.Data);
            decoder!.Complete();
        }
        var reference = AudioTestMedia.ReferenceDecode(mka, decoder: null);
        Assert.Equal(reference.Length, sink.Samples.Count);
        Assert.Equal(reference, sink.Samples.ToArray());
    }

    [Fact]
    public void Decode_StereoTrackToMono_IsTheRoundedAverage()
    {
        var decoder = new PcmDecoder(PcmEncoding.IntegerLittleEndian, 16, 16000, 2);
        byte[] packet = [.. BitConverter.GetBytes((short)1000), .. BitConverter.GetBytes((short)-3),
            .. BitConverter.GetBytes((short)-7), .. BitConverter.GetBytes((short)-8)];
        var sink = new AudioTestMedia.CollectingSink();
        using var track = new AudioTrackDecoder(decoder, 0, 0, new AudioTrackOptions { OutputSampleRate = 16000, Mono = true }, sink);
        track.Decode(0, packet);
        Assert.Equal([499, -8], sink.Samples); // (1000-3)/2 = 498.5 -> 499; (-7-8)/2 = -7.5 -> -8
    }

    [Fact]
    public void Decode_PartialFrame_ThrowsNamingTheSizes()
    {
        using var decoder = new PcmDecoder(PcmEncoding.IntegerLittleEndian, 24, 48000, 2);
        var ex = Assert.Throws<AudioDecodeException>(() => decoder.Decode(new byte[7], new short[decoder.MaxSamplesPerPacket * 2]));
        Assert.Contains("7 bytes", ex.Message);
        Assert.Contains("6-byte frames", ex.Message);
    }

    [Theory]
    [InlineData(PcmEncoding.Float, 16)]
    [InlineData(PcmEncoding.IntegerLittleEndian, 12)]
    public void Constructor_UnsupportedBitDepth_Throws(PcmEncoding encoding, int bits)
    {
        var ex = Assert.Throws<AudioDecodeException>(() => new PcmDecoder(encoding, bits, 48000, 1));
        Assert.Contains($"{bits} bits", ex.Message);
    }
}
