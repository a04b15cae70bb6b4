using KvsInference.Audio;
using KvsInference.Audio.Opus;
using KvsInference.TestSupport;
using Xunit.Abstractions;

namespace KvsInference.Tests.Audio.Opus;

public class ConcentusOpusDecoderTests(ITestOutputHelper output)
{
    public static TheoryData<OpusVariant> Variants => new(Enum.GetValues<OpusVariant>());

    [Theory]
    [MemberData(nameof(Variants))]
    public void Decode_EveryVariantAt48k_IsWithin40DbOfLibopus(OpusVariant variant)
    {
        var samples = DecodeWithTrackDecoder(variant, 48000, mono: false, OpusBackend.Managed, out var name);
        var reference = AudioTestMedia.ReferenceDecode(AudioTestMedia.OpusWebm(variant));
        double snr = AudioTestMedia.SnrDb(reference, samples);
        output.WriteLine($"{variant}: {name}, SNR vs libopus {snr:F1} dB");
        Assert.StartsWith("Concentus", name);
        Assert.Equal(reference.Length, samples.Length);
        Assert.True(snr >= 40, $"SNR {snr:F1} dB");
    }

    [Theory]
    [InlineData(OpusVariant.HybridAudio24kMono)]
    [InlineData(OpusVariant.SilkVoip16kMono60ms)]
    public void Decode_At16kByResampling_MatchesLibopusAt16k(OpusVariant variant)
    {
        // Concentus decodes hybrid packets at 16 kHz to silence (upstream #67): the fallback must go through 48 kHz.
        var managed = DecodeWithTrackDecoder(variant, 16000, mono: true, OpusBackend.Managed, out _);
        var native = DecodeWithTrackDecoder(variant, 16000, mono: true, OpusBackend.Native, out _);
        var native48 = DecodeWithTrackDecoder(variant, 48000, mono: true, OpusBackend.Native, out _);
        // Concentus at 48 kHz matches libopus at 48 kHz (see above), so resampling the latter is what the fallback should give.
        double snr = AudioTestMedia.SnrDb(Resample(native48), managed);
        var (aligned, lag) = AudioTestMedia.BestAlignedSnrDb48To16(native48, native, 9);
        output.WriteLine($"{variant}: 16 kHz fallback vs libopus 48 kHz + resampler: {snr:F1} dB; libopus at 16 kHz vs the same: {aligned:F1} dB (lag {lag})");
        Assert.Equal(native.Length, managed.Length);
        Assert.True(snr >= 40, $"SNR {snr:F1} dB");
        Assert.True(Rms(managed) > 0.5 * Rms(native), "the fallback's 16 kHz output is (nearly) silent");
    }

    [Fact]
    public void Decode_CorruptPacket_ThrowsAndNextPacketStillDecodes()
    {
        var file = WebmTestFile.Read(AudioTestMedia.OpusWebm(OpusVariant.SilkVoip8kMono));
        using var decoder = new ConcentusOpusDecoder(OpusHead.Parse(file.Tracks[0].CodecPrivate), mono: true);
        var pcm = new short[decoder.MaxSamplesPerPacket];
        decoder.Decode(file.Frames[0].Data, pcm);
        byte[] corrupt = [(byte)((file.Frames[1].Data[0] & 0xFC) | 3), 0x00];
        var ex = Assert.Throws<AudioDecodeException>(() => decoder.Decode(corrupt, pcm));
        output.WriteLine(ex.Message);
        Assert.Contains("Concentus", ex.Message);
        Assert.Equal(960, decoder.Decode(file.Frames[1].Data, pcm));
    }

    internal static short[] DecodeWithTrackDecoder(OpusVariant variant, int rate, bool mono, OpusBackend backend, out string name)
    {
        var file = WebmTestFile.Read(AudioTestMedia.OpusWebm(variant));
        var track = file.Tracks[0].ToTrackInfo();
        var sink = new AudioTestMedia.CollectingSink();
        var options = new AudioTrackOptions { OutputSampleRate = rate, Mono = mono };
        Assert.True(AudioTrackDecoder.TryCreate(track, options, sink, new AudioDecoderFactory(opusBackend: backend), out var decoder, out var error), error);
        using (decoder)
        {
            name = decoder!.DecoderName;
            foreach (var f in file.FramesOf(track.Number)) decoder.Decode(f.TimestampNs, f.Data, f.DiscardPaddingNs);
            decoder.Complete();
        }
        return [.. sink.Samples];
    }

    private static short[] Resample(short[] pcm48)
    {
        var resampler = new Resampler(48000, 16000, 1);
        var out16 = new short[resampler.GetMaxOutputFrames(pcm48.Length)];
        int n = resampler.Process(pcm48, out16);
        n += resampler.Flush(out16.AsSpan(n));
        return out16[..n];
    }

    private static double Rms(short[] x) => Math.Sqrt(x.Sum(v => (double)v * v) / Math.Max(1, x.Length));
}
