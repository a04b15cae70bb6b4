using KvsInference.Audio;
using KvsInference.Audio.Opus;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Audio.Opus;

public class OpusHeadTests
{
    [Fact]
    public void Parse_FfmpegCodecPrivate_ReadsEveryField()
    {
        var file = WebmTestFile.Read(AudioTestMedia.OpusWebm(OpusVariant.HybridAudio32kStereo));
        var head = OpusHead.Parse(file.Tracks[0].CodecPrivate);
        Assert.Equal(1, head.Version);
        Assert.Equal(2, head.Channels);
        Assert.Equal(312, head.PreSkip);
        Assert.Equal(48000u, head.InputSampleRate);
        Assert.Equal(0, head.OutputGainQ8);
        Assert.Equal(0, head.MappingFamily);
        Assert.False(head.IsMultistream);
        Assert.Equal((ulong)312 * 1_000_000_000 / 48000, file.Tracks[0].CodecDelayNs);
        Assert.Equal(file.Tracks[0].CodecPrivate, head.ToArray());
    }

    [Fact]
    public void Parse_Family1SixChannels_ReadsStreamsAndMapping()
    {
        byte[] data = [.. "OpusHead"u8, 1, 6, 0x38, 0x01, 0x80, 0xBB, 0, 0, 0x00, 0x01, 1, 4, 2, 0, 4, 1, 2, 3, 5];
        var head = OpusHead.Parse(data);
        Assert.True(head.IsMultistream);
        Assert.Equal(4, head.StreamCount);
        Assert.Equal(2, head.CoupledCount);
        Assert.Equal(new byte[] { 0, 4, 1, 2, 3, 5 }, head.Mapping.ToArray());
        Assert.Equal(1.0, head.OutputGainDb);
        Assert.Equal(data, head.ToArray());
    }

    [Theory]
    [InlineData("short", "shorter than the minimum 19")]
    [InlineData("magic", "magic signature is missing")]
    [InlineData("version", "version 16 is not supported")]
    [InlineData("channels0", "channel count is 0")]
    [InlineData("family0-3ch", "mapping family 0 allows 1 or 2 channels, not 3")]
    [InlineData("family1-notable", "needs 24 bytes, got 19")]
    [InlineData("coupled", "coupled stream count 3 exceeds the stream count 2")]
    [InlineData("mapping", "mapping entry 2 is 9")]
    [InlineData("family1-9ch", "allows 1 to 8 channels, not 9")]
    public void TryParse_MalformedHead_SaysWhichFieldIsWrong(string kind, string message)
    {
        byte[] data = kind switch
        {
            "short" => [.. "OpusHead"u8, 1, 2],
            "magic" => [.. "OpusHeaX"u8, 1, 2, 0x38, 0x01, 0x80, 0xBB, 0, 0, 0, 0, 0],
            "version" => [.. "OpusHead"u8, 16, 2, 0x38, 0x01, 0x80, 0xBB, 0, 0, 0, 0, 0],
            "channels0" => [.. "OpusHead"u8, 1, 0, 0x38, 0x01, 0x80, 0xBB, 0, 0, 0, 0, 0],
            "family0-3ch" => [.. "OpusHead"u8, 1, 3, 0x38, 0x01, 0x80, 0xBB, 0, 0, 0, 0, 0],
            "family1-notable" => [.. "OpusHead"u8, 1, 3, 0x38, 0x01, 0x80, 0xBB, 0, 0, 0, 0, 1],
            "coupled" => [.. "OpusHead"u8, 1, 3, 0x38, 0x01, 0x80, 0xBB, 0, 0, 0, 0, 1, 2, 3, 0, 1, 2],
            "mapping" => [.. "OpusHead"u8, 1, 3, 0x38, 0x01, 0x80, 0xBB, 0, 0, 0, 0, 1, 2, 1, 0, 1, 9],
            _ => [.. "OpusHead"u8, 1, 9, 0x38, 0x01, 0x80, 0xBB, 0, 0, 0, 0, 1, 9, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8],
        };
        Assert.False(OpusHead.TryParse(data, out _, out var error));
        Assert.Contains(message, error);
        var ex = Assert.Throws<AudioDecodeException>(() => OpusHead.Parse(data));
        Assert.Equal(error, ex.Message);
    }
}
