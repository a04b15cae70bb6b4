using System.Buffers;
using KvsInference.Audio;
using KvsInference.Audio.Opus;
using KvsInference.Matroska;
using KvsInference.TestSupport;
using KvsInference.Tests.Audio.Opus;
using Xunit.Abstractions;

namespace KvsInference.Tests.Audio;

public class AudioTrackDecoderTests(ITestOutputHelper output)
{
    private const int SpeechSamples = 158417; // AudioTestMedia.Speech48kMono

    [Theory]
    [InlineData(OpusBackend.Native, 48000, SpeechSamples)]
    [InlineData(OpusBackend.Native, 16000, (SpeechSamples + 2) / 3)]
    [InlineData(OpusBackend.Managed, 48000, SpeechSamples)]
    [InlineData(OpusBackend.Managed, 16000, (SpeechSamples + 2) / 3)]
    public void Decode_OpusMadeFromWavOfNSamples_GivesExactlyNSamples(OpusBackend backend, int rate, int expected)
    {
        Assert.Equal(SpeechSamples, WavReader.ReadFile(AudioTestMedia.Speech48kMono).Frames);
        foreach (var variant in new[] { OpusVariant.SilkVoip16kMono60ms, OpusVariant.HybridAudio24kMono })
        {
            var samples = ConcentusOpusDecoderTests.DecodeWithTrackDecoder(variant, rate, mono: true, backend, out _);
            Assert.Equal(expected, samples.Length);
        }
    }

    [Fact]
    public void Decode_At16k_MatchesTheFfmpegReferenceResampled()
    {
        var samples = ConcentusOpusDecoderTests.DecodeWithTrackDecoder(OpusVariant.HybridAudio24kMono, 16000, mono: true, OpusBackend.Native, out _);
        var reference48 = AudioTestMedia.ReferenceDecode(AudioTestMedia.OpusWebm(OpusVariant.HybridAudio24kMono));
        // libopus's 16 kHz path (SILK at its own rate, no CELT band) has a different delay than its 48 kHz path:
        // align to a third of a 16 kHz sample first.
        var (snr, lag) = AudioTestMedia.BestAlignedSnrDb48To16(reference48, samples, 9);
        output.WriteLine($"libopus at 16 kHz vs ffmpeg libopus 48 kHz resampled: {snr:F1} dB at a 48 kHz lag of {lag}");
        Assert.Equal((reference48.Length + 2) / 3, samples.Length);
        // About 21 dB measured: SILK decoded at 16 kHz and SILK upsampled to 48 kHz then filtered differ in phase, not in content.
        Assert.True(snr >= 15, $"SNR {snr:F1} dB at lag {lag}");
    }

    [Fact]
    public void Decode_StereoToMono_IsTheAverageOfTheChannels()
    {
        var stereo = ConcentusOpusDecoderTests.DecodeWithTrackDecoder(OpusVariant.CeltLowDelay64kStereo, 48000, mono: false, OpusBackend.Native, out _);
        // For mapping family 0 libopus mixes down itself; compare with the average of its stereo output.
        var mono = ConcentusOpusDecoderTests.DecodeWithTrackDecoder(OpusVariant.CeltLowDelay64kStereo, 48000, mono: true, OpusBackend.Native, out _);
        Assert.Equal(stereo.Length / 2, mono.Length);
        var average = new short[mono.Length];
        AudioTrackDecoder.Downmix(stereo, 2, average);
        double snr = AudioTestMedia.SnrDb(average, mono);
        var left = stereo.Where((_, i) => i % 2 == 0).ToArray();
        double snrLeft = AudioTestMedia.SnrDb(average, left);
        output.WriteLine($"libopus mono downmix vs average of stereo: {snr:F1} dB (left channel alone: {snrLeft:F1} dB)");
        // libopus mixes in its own domain (not bit-exact with an average of its stereo output), but far closer than one channel.
        Assert.True(snr > 20 && snr > snrLeft + 6, $"SNR {snr:F1} dB, left alone {snrLeft:F1} dB");
    }

    [Fact]
    public void Decode_ContinuousStream_TimestampsFollowTheSampleCount()
    {
        var (file, track) = Load(OpusVariant.HybridAudio24kMono);
        var sink = new AudioTestMedia.CollectingSink();
        using var decoder = Create(track, sink, 16000);
        foreach (var f in file.Frames) decoder.Decode(f.TimestampNs, f.Data, f.DiscardPaddingNs);
        decoder.Complete();

        Assert.Equal(file.Frames[0].TimestampNs, sink.Calls[0].TimestampNs); // the first kept sample is the first block's time
        long count = 0;
        foreach (var (ts, n) in sink.Calls)
        {
            Assert.Equal(file.Frames[0].TimestampNs + count * 1_000_000_000 / 16000, ts);
            count += n;
        }
        Assert.Empty(sink.Discontinuities);
        Assert.Equal(1, sink.EndOfStreams);
    }

    [Fact]
    public void Decode_MissingPackets_ReportsADiscontinuityAndRestartsTimingAtTheNextBlock()
    {
        var (file, track) = Load(OpusVariant.HybridAudio24kMono);
        var sink = new AudioTestMedia.CollectingSink();
        using var decoder = Create(track, sink, 16000);
        var frames = file.Frames;
        for (int i = 0; i < frames.Count; i++)
        {
            if (i is >= 50 and < 60) continue; // 200 ms lost
            decoder.Decode(frames[i].TimestampNs, frames[i].Data, frames[i].DiscardPaddingNs);
        }
        decoder.Complete();

        var d = Assert.Single(sink.Discontinuities);
        long delay = (long)track.CodecDelayNs;
        Assert.Equal(frames[60].TimestampNs - delay, d.NextNs);
        Assert.InRange(d.EndNs, frames[50].TimestampNs - delay - 1_000_000, frames[50].TimestampNs - delay + 1_000_000);
        var after = sink.Calls.First(c => c.TimestampNs >= d.NextNs);
        Assert.Equal(d.NextNs, after.TimestampNs);
        Assert.Equal(1, decoder.Discontinuities);
    }

    [Fact]
    public void Decode_LostPacketsReplacedByEmptyOnes_ConcealsWithoutBreakingTheTimeline()
    {
        var (file, track) = Load(OpusVariant.HybridAudio24kMono);
        var sink = new AudioTestMedia.CollectingSink();
        using var decoder = Create(track, sink, 48000);
        for (int i = 0; i < file.Frames.Count; i++)
        {
            var f = file.Frames[i];
            decoder.Decode(f.TimestampNs, i is >= 40 and < 45 ? [] : f.Data, f.DiscardPaddingNs);
        }
        decoder.Complete();
        Assert.Empty(sink.Discontinuities);
        Assert.Equal(158417, sink.Samples.Count);
    }

    [Fact]
    public void Decode_TimestampJumpsBack_ReportsADiscontinuityAndDecodesOn()
    {
        var (file, track) = Load(OpusVariant.CeltLowDelay64kStereo);
        var sink = new AudioTestMedia.CollectingSink();
        using var decoder = Create(track, sink, 16000);
        var frames = file.Frames;
        for (int i = 0; i < 60; i++) decoder.Decode(frames[i].TimestampNs, frames[i].Data);
        for (int i = 20; i < 60; i++) decoder.Decode(frames[i].TimestampNs, frames[i].Data); // replayed, as after a lease switch
        decoder.Complete();
        var d = Assert.Single(sink.Discontinuities);
        Assert.True(d.NextNs < d.EndNs);
        Assert.Equal(frames[20].TimestampNs - (long)track.CodecDelayNs, d.NextNs);
        Assert.Contains(sink.Calls, c => c.TimestampNs == d.NextNs); // output restarts exactly at the replayed block
    }

    [Fact]
    public void Decode_CorruptPacket_ThrowsAndTheHoleBecomesADiscontinuity()
    {
        var (file, track) = Load(OpusVariant.SilkVoip8kMono);
        var sink = new AudioTestMedia.CollectingSink();
        using var decoder = Create(track, sink, 16000);
        for (int i = 0; i < file.Frames.Count; i++)
        {
            var f = file.Frames[i];
            if (i == 20)
            {
                Assert.Throws<AudioDecodeException>(() => decoder.Decode(f.TimestampNs, new byte[] { (byte)((f.Data[0] & 0xFC) | 3), 0 }));
                continue;
            }
            decoder.Decode(f.TimestampNs, f.Data, f.DiscardPaddingNs);
        }
        decoder.Complete();
        Assert.Equal(1, decoder.PacketsFailed);
        Assert.Single(sink.Discontinuities);
    }

    [Fact]
    public void Decode_MultiSegmentSequence_GivesTheSameSamplesAsASpan()
    {
        var (file, track) = Load(OpusVariant.CeltLowDelay64kStereo);
        var a = new AudioTestMedia.CollectingSink();
        var b = new AudioTestMedia.CollectingSink();
        using var da = Create(track, a, 16000);
        using var db = Create(track, b, 16000);
        foreach (var f in file.Frames)
        {
            da.Decode(f.TimestampNs, f.Data, f.DiscardPaddingNs);
            var seq = Split(f.Data);
            db.Decode(f.TimestampNs, in seq, f.DiscardPaddingNs);
        }
        da.Complete();
        db.Complete();
        Assert.Equal(a.Samples, b.Samples);
    }

    [Fact]
    public void Decode_SteadyState_AllocatesNothingPerPacket()
    {
        var (file, track) = Load(OpusVariant.HybridAudio24kMono);
        var sink = new CountingSink();
        var frames = file.Frames;
        var decoders = new List<IDisposable>();
        // Each round: a fresh decoder warmed up on 20 packets, then the rest of the file measured.
        long allocated = SteadyState.MinAllocatedBytes(() =>
        {
            var decoder = Create(track, sink, 16000);
            decoders.Add(decoder);
            for (int i = 0; i < 20; i++) decoder.Decode(frames[i].TimestampNs, frames[i].Data, frames[i].DiscardPaddingNs);
            return () =>
            {
                for (int i = 20; i < frames.Count - 1; i++) decoder.Decode(frames[i].TimestampNs, frames[i].Data, frames[i].DiscardPaddingNs);
            };
        });
        decoders.ForEach(d => d.Dispose());
        Assert.Equal(0, allocated);
        Assert.True(sink.Samples > 0);
    }

    [Theory]
    [InlineData("A_VORBIS", MkvTrackType.Audio)]
    [InlineData("A_AC3", MkvTrackType.Audio)]
    [InlineData("V_VP8", MkvTrackType.Video)]
    public void TryCreate_UnsupportedCodec_ReportsTheCodecByName(string codecId, MkvTrackType type)
    {
        var track = new MkvTrackInfo { Number = 2, CodecId = codecId, Type = type };
        bool ok = AudioTrackDecoder.TryCreate(track, new AudioTrackOptions(), new CountingSink(), new AudioDecoderFactory(), out var decoder, out var error);
        Assert.False(ok);
        Assert.Null(decoder);
        Assert.Equal($"unsupported codec {codecId} (track 2)", error);
    }

    [Fact]
    public void TryCreate_AacWithoutCodecPrivate_FailsNamingTheAacProblemNotUnsupported()
    {
        var track = new MkvTrackInfo { Number = 2, CodecId = "A_AAC", Type = MkvTrackType.Audio };
        bool ok = AudioTrackDecoder.TryCreate(track, new AudioTrackOptions(), new CountingSink(), new AudioDecoderFactory(), out var decoder, out var error);
        Assert.False(ok);
        Assert.Null(decoder);
        Assert.DoesNotContain("unsupported codec", error);
        Assert.Contains("AAC", error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void TryCreate_RegisteredCreatorForAacPrefix_IsUsedForLegacyIds()
    {
        var factory = new AudioDecoderFactory();
        MkvTrackInfo? seen = null;
        factory.Register(AudioConstants.CodecAac, (MkvTrackInfo t, int rate, bool mono, out IAudioDecoder? d, out string? e) =>
        {
            seen = t;
            d = new PcmDecoder(PcmEncoding.IntegerLittleEndian, 16, 44100, 2);
            e = null;
            return true;
        }, matchPrefix: true);
        var track = new MkvTrackInfo { Number = 1, CodecId = "A_AAC/MPEG4/LC", Type = MkvTrackType.Audio };
        Assert.True(AudioTrackDecoder.TryCreate(track, new AudioTrackOptions(), new CountingSink(), factory, out var decoder, out _));
        decoder!.Dispose();
        Assert.Same(track, seen);
        Assert.False(factory.IsSupported("A_AACX"));
    }

    [Fact]
    public void TryCreate_MalformedOpusHead_ReportsTheField()
    {
        var track = new MkvTrackInfo { Number = 1, CodecId = "A_OPUS", CodecPrivate = "OpusHeaX\x01\x01\x38\x01\x80\xbb\0\0\0\0\0"u8.ToArray() };
        Assert.False(AudioTrackDecoder.TryCreate(track, new AudioTrackOptions(), new CountingSink(), new AudioDecoderFactory(), out _, out var error));
        Assert.Contains("magic", error);
    }

    [Fact]
    public void Constructor_InvalidOptions_ReportsEveryViolation()
    {
        var options = new AudioTrackOptions { OutputSampleRate = 10, GapTolerance = TimeSpan.Zero };
        var ex = Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() =>
            new AudioTrackDecoder(new PcmDecoder(PcmEncoding.Float, 32, 16000, 1), 0, 0, options, new CountingSink()));
        Assert.Contains("OutputSampleRate", ex.Message);
        Assert.Contains("GapTolerance", ex.Message);
    }

    private static (WebmTestFile File, MkvTrackInfo Track) Load(OpusVariant variant)
    {
        var file = WebmTestFile.Read(AudioTestMedia.OpusWebm(variant));
        return (file, file.Tracks[0].ToTrackInfo());
    }

    private static AudioTrackDecoder Create(MkvTrackInfo track, IPcmSink sink, int rate)
    {
        Assert.True(AudioTrackDecoder.TryCreate(track, new AudioTrackOptions { OutputSampleRate = rate }, sink,
            new AudioDecoderFactory(opusBackend: OpusBackend.Native), out var decoder, out var error), error);
        return decoder!;
    }

    private static ReadOnlySequence<byte> Split(byte[] data)
    {
        if (data.Length < 3) return new ReadOnlySequence<byte>(data);
        var first = new Segment(data.AsMemory(0, data.Length / 3));
        var last = first.Append(data.AsMemory(data.Length / 3));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }

    private sealed class CountingSink : IPcmSink
    {
        public long Samples { get; private set; }
        public void OnPcm(ReadOnlySpan<short> samples, long timestampNs) => Samples += samples.Length;
        public void OnDiscontinuity(long endNs, long nextStartNs) { }
        public void OnEndOfStream() { }
    }
}
