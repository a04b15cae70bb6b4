using KvsInference.Audio;
using KvsInference.Matroska;

namespace KvsInference.Tests.Audio;

/// <summary>Hostile or broken track headers: reported by field and value, never an exception or a huge allocation.</summary>
public class AudioDecoderFactoryTests
{
    public static TheoryData<string, double, int, int, string> HostileHeaders => new()
    {
        // 999983 is prime: 16000 filter phases, past the resampler's table limit.
        { AudioConstants.CodecPcmIntLittle, 999_983, 1, 0, "999983 Hz" },
        { AudioConstants.CodecPcmIntLittle, 48_000, 32_768, 0, "32768 channels" },
        { AudioConstants.CodecPcmIntLittle, 48_000, int.MaxValue, 0, $"{int.MaxValue} channels" },
        // Each within its own range, the product is not: 2 s of decode buffer would be 780 MB.
        { AudioConstants.CodecPcmIntLittle, 768_000, 255, 0, "samples per second" },
        { AudioConstants.CodecPcmFloat, double.NaN, 1, 0, "SamplingFrequency is NaN Hz" },
        { AudioConstants.CodecOpus, -1, 2, 0, "SamplingFrequency is -1 Hz" },
        { AudioConstants.CodecAac, 48_000, 2, 100_000, "CodecPrivate has 100000 bytes" },
    };

    [Theory]
    [MemberData(nameof(HostileHeaders))]
    public void TryCreate_HostileTrackHeader_FalseNamingTheFieldAndValue(string codecId, double rate, int channels, int codecPrivateBytes, string expected)
    {
        var track = new MkvTrackInfo
        {
            Number = 7, Type = MkvTrackType.Audio, CodecId = codecId, SamplingFrequency = rate, Channels = channels, BitDepth = codecId == AudioConstants.CodecPcmFloat ? 32 : 16,
            CodecPrivate = codecPrivateBytes > 0 ? new byte[codecPrivateBytes] : null,
        };
        var options = new AudioTrackOptions { OutputSampleRate = AudioConstants.ModelSampleRate, Mono = true };
        bool sinkMade = false;

        bool ok = AudioTrackDecoder.TryCreate(track, options, (_, _) => { sinkMade = true; return new NullSink(); }, new AudioDecoderFactory(), out var decoder, out var error);

        Assert.False(ok);
        Assert.Null(decoder);
        Assert.False(sinkMade);
        Assert.StartsWith($"track 7 ({codecId}): ", error);
        Assert.Contains(expected, error);
    }

    [Theory]
    [InlineData(44_100, 2)]
    [InlineData(8_000, 1)]
    [InlineData(192_000, 8)]
    public void TryCreate_UsualPcmHeaders_StillDecoded(double rate, int channels)
    {
        var track = new MkvTrackInfo { Number = 1, Type = MkvTrackType.Audio, CodecId = AudioConstants.CodecPcmIntLittle, SamplingFrequency = rate, Channels = channels, BitDepth = 16 };

        bool ok = AudioTrackDecoder.TryCreate(track, new AudioTrackOptions { OutputSampleRate = 16_000, Mono = true }, new NullSink(), new AudioDecoderFactory(), out var decoder, out var error);

        Assert.True(ok, error);
        decoder!.Dispose();
    }

    private sealed class NullSink : IPcmSink
    {
        public void OnPcm(ReadOnlySpan<short> samples, long timestampNs) { }
        public void OnDiscontinuity(long endNs, long nextStartNs) { }
        public void OnEndOfStream() { }
    }
}
