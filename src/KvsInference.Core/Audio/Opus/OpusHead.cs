using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace KvsInference.Audio.Opus;

/// <summary>
/// The Opus identification header (RFC 7845 section 5.1), which Matroska stores as the CodecPrivate of
/// an <c>A_OPUS</c> track.
/// </summary>
/// <remarks>
/// Layout: "OpusHead", version, channel count, pre-skip (u16 LE, 48 kHz samples), input sample rate (u32 LE),
/// output gain (s16 LE, Q7.8 dB), mapping family; for a family other than 0: stream count, coupled stream
/// count and one mapping byte per output channel.
/// </remarks>
public sealed class OpusHead
{
    private const int MinimumLength = 19;
    private static ReadOnlySpan<byte> Magic => "OpusHead"u8;

    private OpusHead(byte version, int channels, int preSkip, uint inputSampleRate, short outputGainQ8,
        byte mappingFamily, int streamCount, int coupledCount, byte[] mapping)
    {
        Version = version;
        Channels = channels;
        PreSkip = preSkip;
        InputSampleRate = inputSampleRate;
        OutputGainQ8 = outputGainQ8;
        MappingFamily = mappingFamily;
        StreamCount = streamCount;
        CoupledCount = coupledCount;
        _mapping = mapping;
    }

    private readonly byte[] _mapping;

    /// <summary>Gets the version byte (1 for the current format; the upper nibble must be 0).</summary>
    public byte Version { get; }

    /// <summary>Gets the number of output channels.</summary>
    public int Channels { get; }

    /// <summary>Gets the number of 48 kHz samples (per channel) to drop from the start of the decoded stream.</summary>
    public int PreSkip { get; }

    /// <summary>Gets the sample rate of the encoder's input in Hz (informational only; 0 when unknown).</summary>
    public uint InputSampleRate { get; }

    /// <summary>Gets the output gain in Q7.8 dB (256 = +1 dB) that the decoder applies.</summary>
    public short OutputGainQ8 { get; }

    /// <summary>Gets the output gain in dB.</summary>
    public double OutputGainDb => OutputGainQ8 / 256.0;

    /// <summary>Gets the channel mapping family (0: mono/stereo, 1: Vorbis order up to 8 channels, 255: undefined).</summary>
    public byte MappingFamily { get; }

    /// <summary>Gets the number of Opus streams in each packet.</summary>
    public int StreamCount { get; }

    /// <summary>Gets how many of the streams are coupled (stereo).</summary>
    public int CoupledCount { get; }

    /// <summary>Gets the channel mapping table: for each output channel the decoded channel index, or 255 for silence.</summary>
    public ReadOnlySpan<byte> Mapping => _mapping;

    /// <summary>Gets whether the packets need the multistream decoder (mapping family other than 0).</summary>
    public bool IsMultistream => MappingFamily != 0;

    /// <summary>Creates the head of a plain mono or stereo stream (mapping family 0).</summary>
    /// <param name="channels">1 or 2.</param>
    /// <param name="preSkip">The pre-skip in 48 kHz samples.</param>
    /// <param name="outputGainQ8">The output gain in Q7.8 dB.</param>
    /// <returns>The head.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public static OpusHead CreateFamily0(int channels, int preSkip, short outputGainQ8 = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channels, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(preSkip);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(preSkip, ushort.MaxValue);
        return new OpusHead(1, channels, preSkip, 48000, outputGainQ8, 0, 1, channels - 1,
            channels == 1 ? [0] : [0, 1]);
    }

    /// <summary>Parses an OpusHead.</summary>
    /// <param name="data">The header bytes (the track's CodecPrivate).</param>
    /// <returns>The parsed head.</returns>
    /// <exception cref="AudioDecodeException">The bytes are not a valid OpusHead; the message says which field is wrong.</exception>
    public static OpusHead Parse(ReadOnlySpan<byte> data) =>
        TryParse(data, out var head, out var error) ? head : throw new AudioDecodeException(error);

    /// <summary>Tries to parse an OpusHead.</summary>
    /// <param name="data">The header bytes (the track's CodecPrivate).</param>
    /// <param name="head">The parsed head, when valid.</param>
    /// <param name="error">What is wrong, when not valid.</param>
    /// <returns>Whether the head is valid.</returns>
    public static bool TryParse(ReadOnlySpan<byte> data, [NotNullWhen(true)] out OpusHead? head, [NotNullWhen(false)] out string? error)
    {
        head = null;
        if (data.Length < MinimumLength)
        {
            error = $"OpusHead is {data.Length} bytes, shorter than the minimum {MinimumLength}.";
            return false;
        }
        if (!data[..8].SequenceEqual(Magic))
        {
            error = $"OpusHead magic signature is missing (first bytes {Convert.ToHexString(data[..8])}, expected 'OpusHead').";
            return false;
        }
        byte version = data[8];
        if ((version & 0xF0) != 0)
        {
            // RFC 7845: a major version other than 0 is incompatible.
            error = $"OpusHead version {version} is not supported (major version must be 0).";
            return false;
        }
        int channels = data[9];
        if (channels == 0)
        {
            error = "OpusHead channel count is 0.";
            return false;
        }
        int preSkip = BinaryPrimitives.ReadUInt16LittleEndian(data[10..]);
        uint inputRate = BinaryPrimitives.ReadUInt32LittleEndian(data[12..]);
        short gain = BinaryPrimitives.ReadInt16LittleEndian(data[16..]);
        byte family = data[18];

        if (family == 0)
        {
            if (channels > 2)
            {
                error = $"OpusHead mapping family 0 allows 1 or 2 channels, not {channels}.";
                return false;
            }
            head = new OpusHead(version, channels, preSkip, inputRate, gain, 0, 1, channels - 1,
                channels == 1 ? [0] : [0, 1]);
            error = null;
            return true;
        }

        if (family == 1 && channels > 8)
        {
            error = $"OpusHead mapping family 1 allows 1 to 8 channels, not {channels}.";
            return false;
        }
        int needed = 21 + channels;
        if (data.Length < needed)
        {
            error = $"OpusHead with mapping family {family} and {channels} channels needs {needed} bytes, got {data.Length}.";
            return false;
        }
        int streams = data[19];
        int coupled = data[20];
        if (streams == 0)
        {
            error = "OpusHead stream count is 0.";
            return false;
        }
        if (coupled > streams)
        {
            error = $"OpusHead coupled stream count {coupled} exceeds the stream count {streams}.";
            return false;
        }
        if (streams + coupled > 255)
        {
            error = $"OpusHead streams + coupled streams ({streams} + {coupled}) exceed 255.";
            return false;
        }
        var mapping = data.Slice(21, channels).ToArray();
        for (int i = 0; i < mapping.Length; i++)
        {
            if (mapping[i] != 255 && mapping[i] >= streams + coupled)
            {
                error = $"OpusHead mapping entry {i} is {mapping[i]}, beyond the {streams + coupled} decoded channels.";
                return false;
            }
        }
        head = new OpusHead(version, channels, preSkip, inputRate, gain, family, streams, coupled, mapping);
        error = null;
        return true;
    }

    /// <summary>Writes this head in its binary form (for tests and for building CodecPrivate).</summary>
    /// <returns>The header bytes.</returns>
    public byte[] ToArray()
    {
        var bytes = new byte[MappingFamily == 0 ? 19 : 21 + Channels];
        Magic.CopyTo(bytes);
        bytes[8] = Version;
        bytes[9] = (byte)Channels;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(10), (ushort)PreSkip);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), InputSampleRate);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(16), OutputGainQ8);
        bytes[18] = MappingFamily;
        if (MappingFamily != 0)
        {
            bytes[19] = (byte)StreamCount;
            bytes[20] = (byte)CoupledCount;
            _mapping.CopyTo(bytes, 21);
        }
        return bytes;
    }
}
