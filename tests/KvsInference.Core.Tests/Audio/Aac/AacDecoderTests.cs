using KvsInference.Audio;
using KvsInference.Audio.Aac;
using KvsInference.Matroska;
using Xunit.Abstractions;
using static KvsInference.Tests.Audio.Aac.AacTestMedia;

namespace KvsInference.Tests.Audio.Aac;

public class AacDecoderTests(ITestOutputHelper log)
{
    private static string Lc48Stereo => Make("lc48s.mka", "-ar", "48000", "-ac", "2", "-c:a", "aac", "-b:a", "128k", "-f", "matroska");

    private static string Lc24MonoAdts => Make("lc24m.aac", "-ar", "24000", "-ac", "1", "-c:a", "aac", "-b:a", "48k", "-f", "adts");

    [Fact]
    public void IsAvailable_DebianLibraries_True()
    {
        Assert.True(AacDecoder.IsAvailable, AacDecoder.UnavailableReason);
        Assert.Null(AacDecoder.UnavailableReason);
    }

    [Fact]
    public void Probe_MissingLibrary_NamesLibraryAndPackage()
    {
        string? error = AacDecoder.Probe("libavcodec.so.999", "libavutil.so.57", "libswresample.so.4");
        Assert.NotNull(error);
        Assert.Contains("AAC decoding needs libavcodec.so.59", error);
        Assert.Contains("libavcodec59", error);
        Assert.Contains("not found: libavcodec.so.999", error);
    }

    [Fact]
    public void Decode_LcMkaAt48kStereo_MatchesFfmpegSampleForSample()
    {
        var (track, packets) = ReadMkv(Lc48Stereo);
        Assert.True(AacDecoder.TryCreate(track, 48000, mono: false, out var decoder, out var error), error);
        using (decoder)
        {
            Assert.Equal(2, decoder!.OutputChannels);
            var ours = DecodeAll(decoder, packets);
            var reference = FfmpegDecode(Lc48Stereo, 48000, 2);
            Assert.Equal(packets.Count * 1024 * 2, ours.Length);
            log.WriteLine($"LC 48 kHz stereo, {packets.Count} packets: SNR vs ffmpeg {SnrDb(reference, ours):F1} dB");
            Assert.Equal(reference, ours);
        }
    }

    [Fact]
    public void Decode_LcMkaTo16kMono_MatchesFfmpegAndSampleCount()
    {
        var (track, packets) = ReadMkv(Lc48Stereo);
        Assert.True(AacDecoder.TryCreate(track, 16000, mono: true, out var decoder, out var error), error);
        using (decoder)
        {
            Assert.Equal(1, decoder!.OutputChannels);
            Assert.Equal(16000, decoder.OutputSampleRate);
            var ours = DecodeAll(decoder, packets);
            var reference = FfmpegDecode(Lc48Stereo, 16000, 1);
            double snr = SnrDb(reference, ours);
            log.WriteLine($"LC 48 kHz stereo -> 16 kHz mono: ours {ours.Length}, ffmpeg {reference.Length} samples, SNR {snr:F1} dB");
            // Every input sample yields a third of an output sample; Drain returns the resampler's tail.
            Assert.Equal((packets.Count * 1024 + 2) / 3, ours.Length);
            // Same libavcodec and libswresample with the same defaults as ffmpeg's command line: bit-exact.
            Assert.Equal(reference, ours);
        }
    }

    [Fact]
    public void Decode_AdtsPacketsWithAscFromHeader_MatchesFfmpeg()
    {
        var (asc, packets) = ReadAdts(Lc24MonoAdts);
        using var decoder = AacDecoder.Create(asc, 24000, mono: true);
        var ours = DecodeAll(decoder, packets);
        var reference = FfmpegDecode(Lc24MonoAdts, 24000, 1);
        double snr = SnrDb(reference, ours);
        log.WriteLine($"ADTS LC 24 kHz mono: {packets.Count} packets, SNR {snr:F1} dB");
        Assert.Equal(packets.Count * 1024, ours.Length);
        Assert.Equal(reference, ours);
    }
}
