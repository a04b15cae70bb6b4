using KvsInference.Audio;
using KvsInference.Audio.Aac;
using KvsInference.Matroska;

namespace KvsInference.Tests.Audio.Aac;

public class AudioSpecificConfigTests
{
    // Fields written bit by bit, spaces ignored, padded with zeros to whole bytes.
    private static byte[] Bits(string bits)
    {
        bits = bits.Replace(" ", "");
        var bytes = new byte[(bits.Length + 7) / 8];
        for (int i = 0; i < bits.Length; i++)
        {
            if (bits[i] == '1') bytes[i / 8] |= (byte)(0x80 >> (i % 8));
        }
        return bytes;
    }

    [Fact]
    public void Parse_Lc48kStereo_ReadsFields()
    {
        var asc = AudioSpecificConfig.Parse([0x11, 0x90]);
        Assert.Equal(2, asc.AudioObjectType);
        Assert.Equal(48000, asc.SamplingFrequency);
        Assert.Equal(2, asc.ChannelConfiguration);
        Assert.Equal(2, asc.Channels);
        Assert.False(asc.Sbr);
        Assert.Equal(1024, asc.FrameLength);
        Assert.Equal(48000, asc.OutputSamplingFrequency);
    }

    [Fact]
    public void Parse_FfmpegSyncExtensionWithoutSbr_IsPlainLc()
    {
        // What ffmpeg's native encoder writes: 0x2b7 sync extension, SBR object type, sbrPresentFlag = 0.
        var asc = AudioSpecificConfig.Parse(Convert.FromHexString("119056E500"));
        Assert.Equal(2, asc.AudioObjectType);
        Assert.False(asc.Sbr);
        Assert.False(asc.Ps);
    }

    [Fact]
    public void Parse_HierarchicalSbr_ReadsExtensionRateAndCoreType()
    {
        // aot 5, core 24 kHz, mono, extension 48 kHz, core aot 2, GASpecificConfig 000.
        var asc = AudioSpecificConfig.Parse(Bits("00101 0110 0001 0011 00010 000"));
        Assert.True(asc.Sbr);
        Assert.False(asc.Ps);
        Assert.Equal(2, asc.AudioObjectType);
        Assert.Equal(24000, asc.SamplingFrequency);
        Assert.Equal(48000, asc.ExtensionSamplingFrequency);
        Assert.Equal(48000, asc.OutputSamplingFrequency);
        Assert.Equal(2048, asc.OutputFrameLength);
        Assert.Equal(1, asc.OutputChannels);
    }

    [Fact]
    public void Parse_HierarchicalPs_SignalsSbrAndStereoOutput()
    {
        var asc = AudioSpecificConfig.Parse(Bits("11101 0110 0001 0011 00010 000"));
        Assert.True(asc.Sbr);
        Assert.True(asc.Ps);
        Assert.Equal(1, asc.Channels);
        Assert.Equal(2, asc.OutputChannels);
    }

    [Fact]
    public void Parse_BackwardCompatibleSbrAndPsSyncExtensions_ReadsBoth()
    {
        // LC 24 kHz mono, then 0x2b7 + aot 5 + sbrPresentFlag + 48 kHz, then 0x548 + psPresentFlag.
        var asc = AudioSpecificConfig.Parse(Bits("00010 0110 0001 000 01010110111 00101 1 0011 10101001000 1"));
        Assert.True(asc.Sbr);
        Assert.True(asc.Ps);
        Assert.Equal(48000, asc.ExtensionSamplingFrequency);
    }

    [Fact]
    public void Parse_ExplicitSamplingFrequency_Reads24BitRate()
    {
        // Index 15, then 50000 Hz in 24 bits.
        var asc = AudioSpecificConfig.Parse(Bits("00010 1111 000000001100001101010000 0001 000"));
        Assert.Equal(50000, asc.SamplingFrequency);
        Assert.Equal(1, asc.Channels);
    }

    [Fact]
    public void Parse_EscapedObjectType_DecodesEscapeAndNamesIt()
    {
        // 31 then 6 bits: 32 + 10 = 42 (USAC), which is not an AAC type libavcodec 5.1 decodes.
        var e = Assert.Throws<AudioDecodeException>(() => AudioSpecificConfig.Parse(Bits("11111 001010 0011 0010 000")));
        Assert.Contains("audioObjectType 42 (USAC)", e.Message);
    }

    [Fact]
    public void Parse_ProgramConfigElement_CountsChannels()
    {
        // channelConfiguration 0; PCE with one front CPE, one front SCE and one LFE: 4 channels.
        var asc = AudioSpecificConfig.Parse(Bits(
            "00010 0011 0000 000" +
            " 0000 01 0011 0010 0000 0000 01 000 0000 0 0 0" +
            " 1 0000 0 0001 0000" + // front: CPE tag 0, SCE tag 1; LFE tag 0
            " 0" + // byte alignment (bit 48 -> 49 is not aligned: pad to 56)
            " 0000000 00000000"));
        Assert.Equal(0, asc.ChannelConfiguration);
        Assert.Equal(4, asc.Channels);
    }

    [Theory]
    [InlineData(new byte[] { 0x11 }, "truncated: samplingFrequencyIndex")]
    [InlineData(new byte[0], "truncated: audioObjectType")]
    [InlineData(new byte[] { 0x16, 0x90 }, "samplingFrequencyIndex 13 is reserved")]
    [InlineData(new byte[] { 0x11, 0xC0 }, "channelConfiguration 8 is reserved")]
    [InlineData(new byte[] { 0x49, 0x90 }, "audioObjectType 9 (HVXC)")]
    [InlineData(new byte[] { 0x2B, 0x09 }, "truncated: extensionSamplingFrequencyIndex")]
    public void Parse_MalformedOrUnsupported_ThrowsNamingField(byte[] data, string expected)
    {
        var e = Assert.Throws<AudioDecodeException>(() => AudioSpecificConfig.Parse(data));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("Invalid AudioSpecificConfig at bit ", e.Message);
        Assert.False(AudioSpecificConfig.TryParse(data, out _, out var error));
        Assert.Equal(e.Message, error);
    }

    [Theory]
    [InlineData(2, 48000, 2, 0, false)]
    [InlineData(2, 44100, 1, 0, false)]
    [InlineData(1, 22050, 6, 0, false)]
    [InlineData(4, 16000, 7, 0, false)]
    [InlineData(2, 24000, 1, 48000, false)]
    [InlineData(2, 22050, 1, 44100, true)]
    [InlineData(2, 50000, 2, 0, false)]
    [InlineData(2, 8000, 2, 16000, true)]
    public void Build_ThenParse_RoundTrips(int aot, int rate, int channelConfiguration, int sbrRate, bool ps)
    {
        var asc = AudioSpecificConfig.Parse(AudioSpecificConfig.Build(aot, rate, channelConfiguration, sbrRate, ps));
        Assert.Equal(aot, asc.AudioObjectType);
        Assert.Equal(rate, asc.SamplingFrequency);
        Assert.Equal(channelConfiguration, asc.ChannelConfiguration);
        Assert.Equal(sbrRate > 0, asc.Sbr);
        Assert.Equal(sbrRate, asc.ExtensionSamplingFrequency);
        Assert.Equal(ps, asc.Ps);
    }

    [Fact]
    public void Build_KnownVector_MatchesSpecBits() =>
        Assert.Equal(new byte[] { 0x11, 0x90 }, AudioSpecificConfig.Build(2, 48000, 2));

    [Theory]
    [InlineData("A_AAC/MPEG4/LC", 44100, 0, 2, 2, false, 44100)]
    [InlineData("A_AAC/MPEG2/LC", 48000, 0, 1, 2, false, 48000)]
    [InlineData("A_AAC/MPEG2/MAIN", 32000, 0, 2, 1, false, 32000)]
    [InlineData("A_AAC/MPEG4/LTP", 32000, 0, 2, 4, false, 32000)]
    [InlineData("A_AAC/MPEG4/LC/SBR", 24000, 48000, 1, 2, true, 48000)]
    [InlineData("A_AAC/MPEG2/LC/SBR", 22050, 0, 2, 2, true, 44100)]
    public void FromTrack_OldCodecIdWithoutCodecPrivate_BuildsConfig(string codecId, double rate, double outputRate, int channels, int aot, bool sbr, int decodedRate)
    {
        var track = new MkvTrackInfo { Number = 1, CodecId = codecId, SamplingFrequency = rate, OutputSamplingFrequency = outputRate, Channels = channels };
        var asc = AudioSpecificConfig.Parse(AudioSpecificConfig.FromTrack(track));
        Assert.Equal(aot, asc.AudioObjectType);
        Assert.Equal(sbr, asc.Sbr);
        Assert.Equal((int)rate, asc.SamplingFrequency);
        Assert.Equal(decodedRate, asc.OutputSamplingFrequency);
        Assert.Equal(channels, asc.Channels);
    }

    [Fact]
    public void FromTrack_CodecPrivatePresent_ReturnsIt()
    {
        byte[] cp = [0x11, 0x90];
        Assert.Same(cp, AudioSpecificConfig.FromTrack(new MkvTrackInfo { CodecId = "A_AAC", CodecPrivate = cp }));
    }

    [Theory]
    [InlineData("A_AAC", null, "has no CodecPrivate")]
    [InlineData("A_AAC", new byte[] { 0x11 }, "CodecPrivate is not a valid AudioSpecificConfig")]
    [InlineData("A_OPUS", null, "not AAC")]
    [InlineData("A_AAC/MPEG4/HE", null, "unknown AAC profile 'HE'")]
    [InlineData("A_AAC/MPEG3/LC", null, "not a known AAC codec ID")]
    [InlineData("A_AAC/MPEG2/LTP", null, "unknown AAC profile 'LTP'")]
    public void FromTrack_Unusable_ThrowsClearError(string codecId, byte[]? codecPrivate, string expected)
    {
        var track = new MkvTrackInfo { Number = 3, CodecId = codecId, CodecPrivate = codecPrivate, SamplingFrequency = 48000, Channels = 2 };
        var e = Assert.Throws<AudioDecodeException>(() => AudioSpecificConfig.FromTrack(track));
        Assert.Contains(expected, e.Message);
        Assert.Contains("Track 3", e.Message);
    }
}
