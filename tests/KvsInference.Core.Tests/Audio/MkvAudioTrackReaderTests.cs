using System.Buffers;
using KvsInference.Audio;
using KvsInference.Matroska;
using KvsInference.TestSupport;
using Xunit.Abstractions;

namespace KvsInference.Tests.Audio;

/// <summary>Whole files made by mkvmerge (which laces audio by default) decoded and compared with ffmpeg's decode of the same
/// file; and the reader's track policy (choice, codec change, repeated headers, errors) driven header by header.</summary>
public class MkvAudioTrackReaderTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("xiph")]
    [InlineData("ebml")]
    public async Task ReadAllAsync_MkvmergeLacedOpus_MatchesLibopus(string lacing)
    {
        string path = MatroskaTestMedia.MkvmergeOpus(lacing);
        short[] reference = AudioTestMedia.ReferenceDecode(path, "libopus");
        var warnings = new List<string>();

        var (samples, rate) = await MkvAudioTrackReader.ReadAllAsync(path, new AudioTrackOptions { OutputSampleRate = 48000, Mono = true }, warn: warnings.Add);

        Assert.Equal(48000, rate);
        Assert.Empty(warnings);
        var (snr, lag) = AudioTestMedia.BestAlignedSnrDb(reference, samples, 48);
        output.WriteLine($"{lacing}: {samples.Length} samples, reference {reference.Length}; SNR vs libopus {snr:F1} dB at lag {lag}");
        Assert.InRange(samples.Length, reference.Length - 960, reference.Length + 960);
        Assert.True(snr >= 50, $"SNR {snr:F1} dB");
    }

    [Fact]
    public async Task ReadAllAsync_MkvmergeLacedAac_MatchesFfmpeg()
    {
        string path = MatroskaTestMedia.MkvmergeAac();
        short[] reference = AudioTestMedia.ReferenceDecode(path, "aac");

        var (samples, rate) = await MkvAudioTrackReader.ReadAllAsync(path, new AudioTrackOptions { OutputSampleRate = 22050, Mono = true });

        Assert.Equal(22050, rate);
        var (snr, lag) = AudioTestMedia.BestAlignedSnrDb(reference, samples, 48);
        output.WriteLine($"AAC: {samples.Length} samples, reference {reference.Length}; SNR vs ffmpeg {snr:F1} dB at lag {lag}");
        Assert.True(snr >= 40, $"SNR {snr:F1} dB");
    }

    [Fact]
    public async Task ReadAllAsync_MkvmergeFixedLacedPcm_SamplesOfTheWav()
    {
        string path = MatroskaTestMedia.MkvmergePcm();
        short[] reference = AudioTestMedia.ReferenceDecode(path, decoder: null);

        var (samples, _) = await MkvAudioTrackReader.ReadAllAsync(path, new AudioTrackOptions { OutputSampleRate = 22050, Mono = true });

        Assert.Equal(reference, samples);
    }

    [Fact]
    public void OnTrack_CodecChangesMidStream_OldDecoderCompletedIntoTheSameSinkAndNewOneDecodes()
    {
        var sink = new RecordingSink();
        using var reader = new MkvAudioTrackReader(new AudioDecoderFactory(), new AudioTrackOptions { OutputSampleRate = 16000 }, sink);
        reader.OnTrack(Pcm(48000));
        var first = reader.Decoder;
        for (int i = 0; i < 3; i++) Assert.True(reader.Decode(Frame(i * 20, Samples(960, 1000))));
        long beforeSwap = sink.Samples.Count;

        reader.OnTrack(Pcm(16000)); // the same track, now at another rate: another decoder
        for (int i = 3; i < 5; i++) Assert.True(reader.Decode(Frame(i * 20, Samples(320, 7))));

        Assert.NotSame(first, reader.Decoder);
        Assert.Equal(1, reader.DecoderSwaps);
        // 60 ms at 48 kHz is exactly 960 samples at 16 kHz only when the old decoder's resampler tail was flushed.
        Assert.True(beforeSwap < 960, $"{beforeSwap} samples before the swap: the resampler holds none back");
        Assert.Equal(960 + 640, sink.Samples.Count);
        Assert.All(sink.Samples.Skip(960), s => Assert.Equal(7, s));
        Assert.Equal(0, sink.EndOfStream);    // a swap does not end the sink's stream
        Assert.Empty(sink.Discontinuities);   // the new samples follow the old ones (60 ms)
        Assert.Equal(60_000_000, sink.Pieces.First(p => p.Value == 7).TimestampNs);

        reader.Complete();
        Assert.Equal(1, sink.EndOfStream);
    }

    [Fact]
    public void OnTrack_CodecChangesWithAGap_SinkToldOfTheDiscontinuity()
    {
        var sink = new RecordingSink();
        using var reader = new MkvAudioTrackReader(new AudioDecoderFactory(), new AudioTrackOptions { OutputSampleRate = 16000 }, sink);
        reader.OnTrack(Pcm(16000));
        reader.Decode(Frame(0, Samples(320, 1)));
        reader.OnTrack(Pcm(16000, codecId: AudioConstants.CodecPcmIntBig));
        reader.Decode(Frame(100, Samples(320, 2)));

        Assert.Equal((20_000_000L, 100_000_000L), Assert.Single(sink.Discontinuities));
    }

    [Theory]
    [InlineData(null, 1, 16000, 16, false)]
    [InlineData(AudioConstants.CodecPcmIntBig, 1, 16000, 16, true)]
    [InlineData(null, 2, 16000, 16, true)]
    [InlineData(null, 1, 8000, 16, true)]
    [InlineData(null, 1, 16000, 24, true)]
    public void OnTrack_HeaderRepeated_SameCodecKeepsTheDecoderAnotherSwapsIt(string? codecId, int channels, int rate, int bitDepth, bool swapped)
    {
        var sink = new RecordingSink();
        using var reader = new MkvAudioTrackReader(new AudioDecoderFactory(), new AudioTrackOptions { OutputSampleRate = 16000 }, sink);
        reader.OnTrack(Pcm(16000));
        var first = reader.Decoder;

        reader.OnTrack(Pcm(rate, codecId, channels, bitDepth)); // a new instance, as each KVS fragment repeats Tracks

        Assert.Equal(swapped, !ReferenceEquals(first, reader.Decoder));
        Assert.Equal(swapped ? 1 : 0, reader.DecoderSwaps);
    }

    [Fact]
    public void OnTrack_UndecodableTrack_ReportedOnceWithItsCodecAndSkipped()
    {
        var problems = new List<AudioTrackProblem>();
        var sink = new RecordingSink();
        using var reader = new MkvAudioTrackReader(new AudioDecoderFactory(), new AudioTrackOptions { OutputSampleRate = 16000 }, sink, report: problems.Add);

        for (int fragment = 0; fragment < 3; fragment++)
        {
            reader.OnTrack(new MkvTrackInfo { Number = 1, Type = MkvTrackType.Audio, CodecId = "A_VORBIS", SamplingFrequency = 48000 });
            reader.OnTrack(Pcm(16000, number: 2));
        }
        bool vorbisDecoded = reader.Decode(Frame(0, [1, 2, 3], track: 1));
        bool pcmDecoded = reader.Decode(Frame(0, Samples(320, 5), track: 2));

        var problem = Assert.Single(problems);
        Assert.Equal(AudioTrackProblemKind.TrackSkipped, problem.Kind);
        Assert.Equal(1UL, problem.TrackNumber);
        Assert.Contains("A_VORBIS", problem.Message);
        Assert.Contains("skipped", problem.Message);
        Assert.False(vorbisDecoded);
        Assert.True(pcmDecoded);
        Assert.Equal(2UL, reader.TrackNumber);
        Assert.Equal(320, sink.Samples.Count);
    }

    [Fact]
    public void OnTrack_ChosenTrackBecomesUndecodable_OldDecoderCompletedAndItsFramesIgnored()
    {
        var problems = new List<AudioTrackProblem>();
        var sink = new RecordingSink();
        using var reader = new MkvAudioTrackReader(new AudioDecoderFactory(), new AudioTrackOptions { OutputSampleRate = 16000 }, sink, report: problems.Add);
        reader.OnTrack(Pcm(48000));
        reader.Decode(Frame(0, Samples(960, 1000)));

        reader.OnTrack(new MkvTrackInfo { Number = 1, Type = MkvTrackType.Audio, CodecId = "A_VORBIS", SamplingFrequency = 48000 });

        Assert.Equal(320, sink.Samples.Count); // the resampler's tail was delivered
        Assert.Null(reader.Decoder);
        Assert.False(reader.Decode(Frame(20, [1, 2, 3])));
        Assert.Equal(AudioTrackProblemKind.TrackSkipped, Assert.Single(problems).Kind);
        Assert.Equal(0, sink.EndOfStream);
    }

    [Fact]
    public void Decode_CorruptFrame_ReportedWithItsTimeAndDecodingGoesOn()
    {
        var problems = new List<AudioTrackProblem>();
        var sink = new RecordingSink();
        using var reader = new MkvAudioTrackReader(new AudioDecoderFactory(), new AudioTrackOptions { OutputSampleRate = 16000 }, sink, report: problems.Add);
        reader.OnTrack(Pcm(16000));

        bool corrupt = reader.Decode(Frame(0, [1, 2, 3])); // not a whole number of 2-byte samples
        bool next = reader.Decode(Frame(20, Samples(320, 9)));

        Assert.False(corrupt);
        Assert.True(next);
        var problem = Assert.Single(problems);
        Assert.Equal(AudioTrackProblemKind.FrameFailed, problem.Kind);
        Assert.Equal(0L, problem.TimestampNs);
        Assert.Contains("frame at 0 ms of track 1", problem.Message);
        Assert.Equal(1, reader.FramesFailed);
        Assert.Equal(2, reader.Frames);
        Assert.Equal(320, sink.Samples.Count);
    }

    private static MkvTrackInfo Pcm(int rate, string? codecId = null, int channels = 1, int bitDepth = 16, ulong number = 1) => new()
    {
        Number = number,
        Type = MkvTrackType.Audio,
        CodecId = codecId ?? AudioConstants.CodecPcmIntLittle,
        SamplingFrequency = rate,
        Channels = channels,
        BitDepth = bitDepth,
    };

    private static byte[] Samples(int count, short value)
    {
        var bytes = new byte[count * 2];
        for (int i = 0; i < count; i++) System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(2 * i), value);
        return bytes;
    }

    private static MkvFrame Frame(int ms, byte[] payload, ulong track = 1) =>
        new(null, track, ms * 1_000_000L, 0, isKey: true, isInvisible: false, discardPaddingNs: 0, blockOffset: 0, payload, default(ReadOnlySequence<byte>), isSequence: false);

    private sealed class RecordingSink : IPcmSink
    {
        public List<short> Samples { get; } = [];
        public List<(long TimestampNs, short Value)> Pieces { get; } = [];
        public List<(long EndNs, long NextStartNs)> Discontinuities { get; } = [];
        public int EndOfStream { get; private set; }

        public void OnPcm(ReadOnlySpan<short> samples, long timestampNs)
        {
            Pieces.Add((timestampNs, samples[0]));
            Samples.AddRange(samples.ToArray());
        }

        public void OnDiscontinuity(long endNs, long nextStartNs) => Discontinuities.Add((endNs, nextStartNs));

        public void OnEndOfStream() => EndOfStream++;
    }
}
