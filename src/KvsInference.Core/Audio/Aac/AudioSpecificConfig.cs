namespace KvsInference.Audio.Aac;

/// <summary>
/// An MPEG-4 AudioSpecificConfig (ISO/IEC 14496-3, 1.6.2.1): the AAC decoder configuration that Matroska stores as
/// the CodecPrivate of an <c>A_AAC</c> track and MP4 in its esds box.
/// </summary>
/// <remarks>
/// Parses the audio object type (with the escape value 31), the sampling frequency index (with the explicit 24-bit
/// rate of index 15), the channel configuration (with a program_config_element when it is 0), explicit SBR/PS
/// signalling (hierarchical: object types 5 and 29; backward compatible: the 0x2b7 sync extension, and PS with 0x548)
/// and the GASpecificConfig basics (frame length, core coder delay, extension flags).
/// Implicit SBR/PS (signalled only inside the audio frames) cannot be seen here: the decoder then reports the real
/// rate and channel count in its frames.
/// </remarks>
public sealed partial class AudioSpecificConfig
{
    /// <summary>Audio object type of AAC Main.</summary>
    public const int ObjectTypeAacMain = 1;

    /// <summary>Audio object type of AAC LC (low complexity).</summary>
    public const int ObjectTypeAacLc = 2;

    /// <summary>Audio object type of AAC SSR.</summary>
    public const int ObjectTypeAacSsr = 3;

    /// <summary>Audio object type of AAC LTP.</summary>
    public const int ObjectTypeAacLtp = 4;

    /// <summary>Audio object type of SBR (HE-AAC v1 in hierarchical signalling).</summary>
    public const int ObjectTypeSbr = 5;

    /// <summary>Audio object type of PS (HE-AAC v2 in hierarchical signalling).</summary>
    public const int ObjectTypePs = 29;

    private const int SyncExtensionSbr = 0x2b7;

    private const int SyncExtensionPs = 0x548;

    private static readonly int[] SamplingFrequencies =
        [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

    private AudioSpecificConfig() { }

    /// <summary>Gets the audio object type of the core coder (2 for AAC LC, also inside HE-AAC).</summary>
    /// <value>An object type number of ISO/IEC 14496-3 Table 1.1.</value>
    public int AudioObjectType { get; private init; }

    /// <summary>Gets the sampling frequency of the core coder in Hz.</summary>
    /// <value>A rate from the index table, or the explicit 24-bit rate.</value>
    public int SamplingFrequency { get; private init; }

    /// <summary>Gets the channel configuration (0 means the channels are given by a program_config_element).</summary>
    /// <value>0 to 15; 8-10 and 15 are reserved and rejected by <see cref="Parse"/>.</value>
    public int ChannelConfiguration { get; private init; }

    /// <summary>Gets the number of channels of the core coder (before parametric stereo).</summary>
    /// <value>1 or more.</value>
    public int Channels { get; private init; }

    /// <summary>Gets a value indicating whether SBR (spectral band replication, HE-AAC v1) is signalled explicitly.</summary>
    /// <value><see langword="true"/> for object type 5 or 29, or an SBR sync extension with sbrPresentFlag set.</value>
    public bool Sbr { get; private init; }

    /// <summary>Gets a value indicating whether PS (parametric stereo, HE-AAC v2) is signalled explicitly.</summary>
    /// <value><see langword="true"/> for object type 29, or a PS sync extension with psPresentFlag set.</value>
    public bool Ps { get; private init; }

    /// <summary>Gets the SBR output sampling frequency in Hz, or 0 when SBR is not signalled.</summary>
    /// <value>Usually twice <see cref="SamplingFrequency"/>.</value>
    public int ExtensionSamplingFrequency { get; private init; }

    /// <summary>Gets the number of samples per channel of one core frame (GASpecificConfig frameLengthFlag).</summary>
    /// <value>1024 (or 960); 512 (or 480) for the low-delay object types.</value>
    public int FrameLength { get; private init; }

    /// <summary>Gets a value indicating whether the GASpecificConfig has dependsOnCoreCoder set.</summary>
    /// <value><see langword="true"/> when a core coder delay follows.</value>
    public bool DependsOnCoreCoder { get; private init; }

    /// <summary>Gets the GASpecificConfig extensionFlag.</summary>
    /// <value><see langword="true"/> when the object type specific extension fields are present.</value>
    public bool ExtensionFlag { get; private init; }

    /// <summary>Gets the sampling frequency the decoder outputs, in Hz (the SBR rate when SBR is signalled).</summary>
    /// <value><see cref="ExtensionSamplingFrequency"/> with SBR, otherwise <see cref="SamplingFrequency"/>.</value>
    public int OutputSamplingFrequency => Sbr ? ExtensionSamplingFrequency : SamplingFrequency;

    /// <summary>Gets the number of channels the decoder outputs (2 when PS turns a mono core into stereo).</summary>
    /// <value><see cref="Channels"/>, or 2 with PS.</value>
    public int OutputChannels => Ps ? Math.Max(2, Channels) : Channels;

    /// <summary>Gets the number of samples per channel one access unit decodes to at <see cref="OutputSamplingFrequency"/>.</summary>
    /// <value><see cref="FrameLength"/>, doubled with SBR (2048 for HE-AAC).</value>
    public int OutputFrameLength => Sbr ? FrameLength * ExtensionSamplingFrequency / SamplingFrequency : FrameLength;

    /// <summary>Parses an AudioSpecificConfig.</summary>
    /// <param name="data">The bytes, for example a Matroska CodecPrivate.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="AudioDecodeException">The bytes are truncated, use a reserved value or an object type that is not AAC; the message names the field and bit offset.</exception>
    public static AudioSpecificConfig Parse(ReadOnlySpan<byte> data)
    {
        var r = new BitReader(data);
        int aot = ReadObjectType(ref r, "audioObjectType");
        int rate = ReadSamplingFrequency(ref r, "samplingFrequencyIndex");
        int channelConfiguration = (int)r.Read(4, "channelConfiguration");
        bool sbr = false, ps = false;
        int extensionRate = 0;
        if (aot is ObjectTypeSbr or ObjectTypePs)
        {
            // Hierarchical signalling: the extension rate comes first, then the core object type.
            sbr = true;
            ps = aot == ObjectTypePs;
            extensionRate = ReadSamplingFrequency(ref r, "extensionSamplingFrequencyIndex");
            aot = ReadObjectType(ref r, "audioObjectType (core of SBR)");
            if (aot == 22) r.Read(4, "extensionChannelConfiguration");
        }

        if (!IsGeneralAudio(aot))
        {
            throw Error($"audioObjectType {aot} ({ObjectTypeName(aot)}) is not an AAC object type that can be decoded", 0);
        }
        if (channelConfiguration is 8 or 9 or 10 or 15)
        {
            throw Error($"channelConfiguration {channelConfiguration} is reserved", r.Position - 4);
        }

        // GASpecificConfig
        bool frameLengthFlag = r.Read(1, "frameLengthFlag") == 1;
        bool dependsOnCoreCoder = r.Read(1, "dependsOnCoreCoder") == 1;
        if (dependsOnCoreCoder) r.Read(14, "coreCoderDelay");
        bool extensionFlag = r.Read(1, "extensionFlag") == 1;
        int channels = channelConfiguration == 0 ? ReadProgramConfigElementChannels(ref r) : ChannelsOf(channelConfiguration);
        if (aot is 6 or 20) r.Read(3, "layerNr");
        if (extensionFlag)
        {
            if (aot == 22)
            {
                r.Read(5, "numOfSubFrame");
                r.Read(11, "layer_length");
            }
            if (aot is 17 or 19 or 20 or 23) r.Read(3, "aacSectionDataResilienceFlag..aacSpectralDataResilienceFlag");
            r.Read(1, "extensionFlag3");
        }
        if (aot is >= 17 and <= 27)
        {
            int epConfig = (int)r.Read(2, "epConfig");
            if (epConfig is 2 or 3) throw Error($"epConfig {epConfig} (error protection specific config) is not supported", r.Position - 2);
        }

        // Backward-compatible explicit signalling: a sync extension after the core config.
        if (!sbr && r.Remaining >= 16)
        {
            // Anything else there (padding, trailing bits) is ignored, as decoders do.
            if (r.Read(11, "syncExtensionType") == SyncExtensionSbr)
            {
                int extensionType = ReadObjectType(ref r, "extensionAudioObjectType");
                if (extensionType == ObjectTypeSbr)
                {
                    if (r.Read(1, "sbrPresentFlag") == 1)
                    {
                        sbr = true;
                        extensionRate = ReadSamplingFrequency(ref r, "extensionSamplingFrequencyIndex");
                        if (r.Remaining >= 12 && r.Read(11, "syncExtensionType") == SyncExtensionPs)
                        {
                            ps = r.Read(1, "psPresentFlag") == 1;
                        }
                    }
                }
            }
        }

        int frameLength = aot is 23 or 39 ? (frameLengthFlag ? 480 : 512) : (frameLengthFlag ? 960 : 1024);
        if (sbr && extensionRate < rate)
        {
            throw Error($"SBR output rate {extensionRate} Hz is below the core rate {rate} Hz", 0);
        }
        return new AudioSpecificConfig
        {
            AudioObjectType = aot,
            SamplingFrequency = rate,
            ChannelConfiguration = channelConfiguration,
            Channels = channels,
            Sbr = sbr,
            Ps = ps,
            ExtensionSamplingFrequency = sbr ? extensionRate : 0,
            FrameLength = frameLength,
            DependsOnCoreCoder = dependsOnCoreCoder,
            ExtensionFlag = extensionFlag,
        };
    }

    /// <summary>Tries to parse an AudioSpecificConfig.</summary>
    /// <param name="data">The bytes.</param>
    /// <param name="config">The configuration, or null.</param>
    /// <param name="error">Why the bytes are not valid, or null.</param>
    /// <returns><see langword="true"/> when the bytes parsed.</returns>
    public static bool TryParse(ReadOnlySpan<byte> data, out AudioSpecificConfig? config, out string? error)
    {
        try
        {
            config = Parse(data);
            error = null;
            return true;
        }
        catch (AudioDecodeException e)
        {
            config = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>Tells whether a Matroska codec ID is AAC (<c>A_AAC</c> or one of the old <c>A_AAC/...</c> IDs).</summary>
    /// <param name="codecId">The codec ID.</param>
    /// <returns><see langword="true"/> for AAC.</returns>
    public static bool IsAacCodecId(string? codecId) =>
        codecId is not null && (codecId == "A_AAC" || codecId.StartsWith("A_AAC/", StringComparison.Ordinal));

    /// <inheritdoc/>
    public override string ToString() =>
        $"{ObjectTypeName(AudioObjectType)}{(Sbr ? (Ps ? " + SBR + PS" : " + SBR") : "")}, {SamplingFrequency} Hz" +
        $"{(Sbr ? $" (SBR {ExtensionSamplingFrequency} Hz)" : "")}, {Channels} ch, frame {FrameLength}";

    private static bool IsGeneralAudio(int aot) => aot is 1 or 2 or 3 or 4 or 6 or 7 or 17 or 19 or 20 or 21 or 22 or 23;

    private static string ObjectTypeName(int aot) => aot switch
    {
        1 => "AAC Main",
        2 => "AAC LC",
        3 => "AAC SSR",
        4 => "AAC LTP",
        5 => "SBR",
        6 => "AAC Scalable",
        7 => "TwinVQ",
        8 => "CELP",
        9 => "HVXC",
        17 => "ER AAC LC",
        19 => "ER AAC LTP",
        20 => "ER AAC Scalable",
        21 => "ER TwinVQ",
        22 => "ER BSAC",
        23 => "ER AAC LD",
        29 => "PS",
        34 => "Layer-3",
        39 => "ER AAC ELD",
        42 => "USAC",
        _ => "object type " + aot,
    };

    private static int ChannelsOf(int channelConfiguration) => channelConfiguration switch
    {
        7 => 8,
        11 => 7,
        12 => 8,
        13 => 24,
        14 => 8,
        _ => channelConfiguration,
    };

    private static int ReadObjectType(ref BitReader r, string field)
    {
        int aot = (int)r.Read(5, field);
        return aot == 31 ? 32 + (int)r.Read(6, field + " (escape)") : aot;
    }

    private static int ReadSamplingFrequency(ref BitReader r, string field)
    {
        int at = r.Position;
        int index = (int)r.Read(4, field);
        if (index == 15)
        {
            int rate = (int)r.Read(24, "samplingFrequency (explicit)");
            if (rate == 0) throw Error("explicit samplingFrequency is 0", at + 4);
            return rate;
        }
        if (index >= SamplingFrequencies.Length) throw Error($"{field} {index} is reserved", at);
        return SamplingFrequencies[index];
    }

    // program_config_element (ISO/IEC 14496-3, 4.4.1.1): only the channel count is kept.
    private static int ReadProgramConfigElementChannels(ref BitReader r)
    {
        r.Read(4, "element_instance_tag");
        r.Read(2, "object_type");
        r.Read(4, "sampling_frequency_index");
        int front = (int)r.Read(4, "num_front_channel_elements");
        int side = (int)r.Read(4, "num_side_channel_elements");
        int back = (int)r.Read(4, "num_back_channel_elements");
        int lfe = (int)r.Read(2, "num_lfe_channel_elements");
        int assoc = (int)r.Read(3, "num_assoc_data_elements");
        int cc = (int)r.Read(4, "num_valid_cc_elements");
        if (r.Read(1, "mono_mixdown_present") == 1) r.Read(4, "mono_mixdown_element_number");
        if (r.Read(1, "stereo_mixdown_present") == 1) r.Read(4, "stereo_mixdown_element_number");
        if (r.Read(1, "matrix_mixdown_idx_present") == 1) r.Read(3, "matrix_mixdown_idx");
        int channels = lfe;
        for (int i = 0; i < front + side + back; i++)
        {
            channels += r.Read(1, "is_cpe") == 1 ? 2 : 1;
            r.Read(4, "element_tag_select");
        }
        for (int i = 0; i < lfe; i++) r.Read(4, "lfe_element_tag_select");
        for (int i = 0; i < assoc; i++) r.Read(4, "assoc_data_element_tag_select");
        for (int i = 0; i < cc; i++) r.Read(5, "cc_element");
        r.AlignToByte();
        int commentBytes = (int)r.Read(8, "comment_field_bytes");
        for (int i = 0; i < commentBytes; i++) r.Read(8, "comment_field_data");
        if (channels == 0) throw Error("program_config_element declares no channels", r.Position);
        return channels;
    }

    private static AudioDecodeException Error(string message, int bitOffset) =>
        new($"Invalid AudioSpecificConfig at bit {bitOffset}: {message}.");

    /// <summary>A big-endian bit reader that throws on truncation, naming the field it was reading.</summary>
    private ref struct BitReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;

        public int Position { get; private set; }

        public readonly int Remaining => _data.Length * 8 - Position;

        public uint Read(int bits, string field)
        {
            if (bits > Remaining)
            {
                throw Error($"truncated: {field} needs {bits} bits, {Remaining} left in {_data.Length} bytes", Position);
            }
            uint value = 0;
            for (int i = 0; i < bits; i++, Position++)
            {
                value = (value << 1) | (uint)((_data[Position >> 3] >> (7 - (Position & 7))) & 1);
            }
            return value;
        }

        public void AlignToByte() => Position = (Position + 7) & ~7;
    }
}
