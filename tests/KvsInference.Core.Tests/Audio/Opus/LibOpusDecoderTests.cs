using KvsInference.Audio;
using KvsInference.Audio.Opus;
using KvsInference.TestSupport;
using Xunit.Abstractions;

namespace KvsInference.Tests.Audio.Opus;

public class LibOpusDecoderTests(ITestOutputHelper output)
{
    public static TheoryData<OpusVariant> Variants => new(Enum.GetValues<OpusVariant>());

    [Theory]
    [MemberData(nameof(Variants))]
    public void Decode_EveryVariantAt48k_MatchesFfmpegLibopusBitExact(OpusVariant variant)
    {
        var file = WebmTestFile.Read(AudioTestMedia.OpusWebm(variant));
        var track = file.Tracks[0].ToTrackInfo();
        var sink = new AudioTestMedia.CollectingSink();
        var options = new AudioTrackOptions { OutputSampleRate = 48000, Mono = false };
        Assert.True(AudioTrackDecoder.TryCreate(track, options, sink, new AudioDecoderFactory(opusBackend: OpusBackend.Native), out var decoder, out var error), error);
        using (decoder)
        {
            foreach (var f in file.FramesOf(track.Number)) decoder!.Decode(f.TimestampNs, f.Data, f.DiscardPaddingNs);
            decoder!.Complete();
        }

        var reference = AudioTestMedia.ReferenceDecode(AudioTestMedia.OpusWebm(variant));
        output.WriteLine($"{variant}: {sink.Samples.Count} samples, reference {reference.Length}, SNR {AudioTestMedia.SnrDb(reference, sink.Samples.ToArray()):F1} dB");
        Assert.Equal(reference.Length, sink.Samples.Count);
        Assert.True(reference.AsSpan().SequenceEqual(sink.Samples.ToArray()), "the decoded PCM differs from ffmpeg's libopus decode");
    }

    [Theory]
    [InlineData(OpusVariant.SilkVoip8kMono, 0, 11)]
    [InlineData(OpusVariant.HybridAudio24kMono, 12, 15)]
    [InlineData(OpusVariant.CeltLowDelay64kStereo, 16, 31)]
    public void Encode_Variant_UsesTheIntendedOpusMode(OpusVariant variant, int minConfig, int maxConfig)
    {
        // Guards the coverage claim of the bit-exact test: the TOC config says SILK (0-11), hybrid (12-15) or CELT (16-31).
        var file = WebmTestFile.Read(AudioTestMedia.OpusWebm(variant));
        var configs = file.Frames.Select(f => f.Data[0] >> 3).ToList();
        int inMode = configs.Count(c => c >= minConfig && c <= maxConfig);
        Assert.True(inMode > configs.Count / 2, $"{inMode} of {configs.Count} packets are in configs {minConfig}-{maxConfig}");
    }

    [Fact]
    public void Decode_CorruptPacket_ThrowsNamingLibopusErrorAndNextPacketStillDecodes()
    {
        var file = WebmTestFile.Read(AudioTestMedia.OpusWebm(OpusVariant.HybridAudio24kMono));
        var head = OpusHead.Parse(file.Tracks[0].CodecPrivate);
        using var decoder = new LibOpusDecoder(head, 48000, mono: false);
        using var clean = new LibOpusDecoder(head, 48000, mono: false);
        var pcm = new short[decoder.MaxSamplesPerPacket];
        var expected = new short[decoder.MaxSamplesPerPacket];
        var frames = file.Frames;
        for (int i = 0; i < 10; i++)
        {
            decoder.Decode(frames[i].Data, pcm);
            clean.Decode(frames[i].Data, expected);
        }

        // Code 3 (arbitrary frame count) with a frame count of 0 is invalid per RFC 6716 section 3.2.5.
        byte[] corrupt = [(byte)((frames[10].Data[0] & 0xFC) | 3), 0x00];
        var ex = Assert.Throws<AudioDecodeException>(() => decoder.Decode(corrupt, pcm));
        output.WriteLine(ex.Message);
        Assert.Contains("OPUS_INVALID_PACKET", ex.Message);
        Assert.Contains("corrupted stream", ex.Message);

        int n = decoder.Decode(frames[10].Data, pcm);
        int m = clean.Decode(frames[10].Data, expected);
        Assert.Equal(m, n);
        Assert.True(expected.AsSpan(0, m).SequenceEqual(pcm.AsSpan(0, n)), "the packet after the corrupt one decodes differently");
    }

    [Fact]
    public void Decode_EmptyPacket_ConcealsForTheLastPacketsDuration()
    {
        var file = WebmTestFile.Read(AudioTestMedia.OpusWebm(OpusVariant.SilkVoip16kMono60ms));
        using var decoder = new LibOpusDecoder(OpusHead.Parse(file.Tracks[0].CodecPrivate), 16000, mono: true);
        var pcm = new short[decoder.MaxSamplesPerPacket];
        Assert.Equal(960, decoder.Decode(file.Frames[0].Data, pcm)); // 60 ms at 16 kHz
        Assert.Equal(960, decoder.Decode([], pcm));
    }

    [Fact]
    public void Decode_OutputGainInHead_ScalesTheOutput()
    {
        var file = WebmTestFile.Read(AudioTestMedia.OpusWebm(OpusVariant.CeltLowDelay64kStereo));
        var head = OpusHead.Parse(file.Tracks[0].CodecPrivate);
        var loud = head.ToArray();
        loud[16] = 0x00; // +6.0206 dB = doubling: Q7.8 value 1541 = 0x0605, stored little-endian
        loud[17] = 0x00;
        BitConverter.TryWriteBytes(loud.AsSpan(16), (short)-1541); // -6.02 dB halves instead, so nothing clips
        var quiet = OpusHead.Parse(loud);
        Assert.Equal(-6.02, quiet.OutputGainDb, 2);

        using var plain = new LibOpusDecoder(head, 48000, mono: false);
        using var scaled = new LibOpusDecoder(quiet, 48000, mono: false);
        var a = new short[plain.MaxSamplesPerPacket * 2];
        var b = new short[scaled.MaxSamplesPerPacket * 2];
        double sa = 0, sb = 0;
        foreach (var f in file.Frames.Take(100))
        {
            int n = plain.Decode(f.Data, a);
            scaled.Decode(f.Data, b);
            for (int i = 0; i < n * 2; i++) { sa += Math.Abs(a[i]); sb += Math.Abs(b[i]); }
        }
        Assert.InRange(sb / sa, 0.49, 0.51);
    }

    [Fact]
    public void Constructor_UnsupportedRate_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => new LibOpusDecoder(OpusHead.CreateFamily0(1, 312), 44100, mono: true));
        Assert.Contains("44100", ex.Message);
    }

    [Fact]
    public void Name_NativeLibrary_IsTheLibopusVersion()
    {
        using var decoder = new LibOpusDecoder(OpusHead.CreateFamily0(2, 312), 48000, mono: false);
        output.WriteLine(decoder.Name);
        Assert.StartsWith("libopus ", decoder.Name);
    }
}
