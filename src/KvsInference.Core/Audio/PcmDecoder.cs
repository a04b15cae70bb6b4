using System.Buffers.Binary;
using KvsInference.Matroska;

namespace KvsInference.Audio;

/// <summary>The sample encodings of Matroska PCM tracks.</summary>
public enum PcmEncoding
{
    /// <summary>Little-endian signed integer (8-bit: unsigned), <c>A_PCM/INT/LIT</c>.</summary>
    IntegerLittleEndian,
    /// <summary>Big-endian signed integer (8-bit: unsigned), <c>A_PCM/INT/BIG</c>.</summary>
    IntegerBigEndian,
    /// <summary>Little-endian IEEE float, <c>A_PCM/FLOAT/IEEE</c>.</summary>
    Float,
}

/// <summary>
/// "Decodes" uncompressed Matroska PCM tracks (<c>A_PCM/INT/LIT</c> 8/16/24/32-bit, <c>A_PCM/INT/BIG</c>,
/// <c>A_PCM/FLOAT/IEEE</c> 32/64-bit) to interleaved 16-bit PCM at the track's own rate.
/// </summary>
/// <remarks>
/// Conversions follow ffmpeg's so results compare bit-exactly: wider integers keep their top 16 bits
/// (arithmetic shift, no dither), 8-bit is unsigned with 128 as zero, floats are scaled by 32768, rounded to
/// nearest and clipped.
/// </remarks>
public sealed class PcmDecoder : IAudioDecoder
{
    private readonly int _bytesPerSample;

    /// <summary>Creates a PCM decoder.</summary>
    /// <param name="encoding">The sample encoding.</param>
    /// <param name="bitDepth">Bits per sample: 8, 16, 24 or 32 for integers; 32 or 64 for floats.</param>
    /// <param name="sampleRate">The track's sample rate in Hz.</param>
    /// <param name="channels">The track's channel count.</param>
    /// <exception cref="AudioDecodeException">The combination is not one this decoder reads.</exception>
    public PcmDecoder(PcmEncoding encoding, int bitDepth, int sampleRate, int channels)
    {
        bool valid = encoding == PcmEncoding.Float ? bitDepth is 32 or 64 : bitDepth is 8 or 16 or 24 or 32;
        if (!valid)
        {
            throw new AudioDecodeException($"PCM {encoding} with {bitDepth} bits per sample is not supported.");
        }
        if (sampleRate <= 0 || channels <= 0)
        {
            throw new AudioDecodeException($"PCM track has {sampleRate} Hz and {channels} channels; both must be positive.");
        }
        Encoding = encoding;
        BitDepth = bitDepth;
        OutputSampleRate = sampleRate;
        OutputChannels = channels;
        _bytesPerSample = bitDepth / 8;
        // Matroska muxers put a few thousand samples in a block; two seconds leaves ample room.
        MaxSamplesPerPacket = 2 * sampleRate;
        Name = $"pcm {encoding} {bitDepth}-bit";
    }

    /// <summary>Creates a PCM decoder for a Matroska track.</summary>
    /// <param name="track">A track whose codec ID is one of the PCM IDs.</param>
    /// <returns>The decoder.</returns>
    /// <exception cref="AudioDecodeException">The codec ID is not PCM, or the bit depth, rate or channel count is not usable.</exception>
    public static PcmDecoder Create(MkvTrackInfo track)
    {
        ArgumentNullException.ThrowIfNull(track);
        var encoding = track.CodecId switch
        {
            AudioConstants.CodecPcmIntLittle => PcmEncoding.IntegerLittleEndian,
            AudioConstants.CodecPcmIntBig => PcmEncoding.IntegerBigEndian,
            AudioConstants.CodecPcmFloat => PcmEncoding.Float,
            _ => throw new AudioDecodeException($"Codec {track.CodecId} is not PCM."),
        };
        double rate = track.SamplingFrequency;
        if (rate != Math.Floor(rate) || rate < 1 || rate > 1_000_000)
        {
            throw new AudioDecodeException($"PCM track {track.Number} has a sampling frequency of {rate} Hz; a whole number up to 1 MHz is needed.");
        }
        if (track.BitDepth == 0)
        {
            throw new AudioDecodeException($"PCM track {track.Number} ({track.CodecId}) has no BitDepth.");
        }
        return new PcmDecoder(encoding, track.BitDepth, (int)rate, track.Channels);
    }

    /// <summary>Gets the sample encoding.</summary>
    public PcmEncoding Encoding { get; }

    /// <summary>Gets the bits per sample.</summary>
    public int BitDepth { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int OutputSampleRate { get; }

    /// <inheritdoc />
    public int OutputChannels { get; }

    /// <inheritdoc />
    public int MaxSamplesPerPacket { get; }

    /// <inheritdoc />
    public int Decode(ReadOnlySpan<byte> packet, Span<short> output)
    {
        int frameBytes = _bytesPerSample * OutputChannels;
        if (packet.Length % frameBytes != 0)
        {
            throw new AudioDecodeException($"PCM packet of {packet.Length} bytes is not a whole number of {frameBytes}-byte frames.");
        }
        int frames = packet.Length / frameBytes;
        if (frames > MaxSamplesPerPacket || frames * OutputChannels > output.Length)
        {
            throw new AudioDecodeException($"PCM packet of {frames} frames exceeds the limit of {Math.Min(MaxSamplesPerPacket, output.Length / OutputChannels)} frames.");
        }
        int count = frames * OutputChannels;
        var dst = output[..count];
        switch (Encoding, BitDepth)
        {
            case (_, 8):
                for (int i = 0; i < count; i++) dst[i] = (short)((packet[i] - 128) << 8);
                break;
            case (PcmEncoding.IntegerLittleEndian, 16):
                for (int i = 0; i < count; i++) dst[i] = BinaryPrimitives.ReadInt16LittleEndian(packet[(2 * i)..]);
                break;
            case (PcmEncoding.IntegerBigEndian, 16):
                for (int i = 0; i < count; i++) dst[i] = BinaryPrimitives.ReadInt16BigEndian(packet[(2 * i)..]);
                break;
            case (PcmEncoding.IntegerLittleEndian, 24):
                // Bytes low, mid, high: the top 16 bits are mid and high.
                for (int i = 0; i < count; i++) dst[i] = (short)(packet[3 * i + 1] | (packet[3 * i + 2] << 8));
                break;
            case (PcmEncoding.IntegerBigEndian, 24):
                for (int i = 0; i < count; i++) dst[i] = (short)((packet[3 * i] << 8) | packet[3 * i + 1]);
                break;
            case (PcmEncoding.IntegerLittleEndian, 32):
                for (int i = 0; i < count; i++) dst[i] = (short)(BinaryPrimitives.ReadInt32LittleEndian(packet[(4 * i)..]) >> 16);
                break;
            case (PcmEncoding.IntegerBigEndian, 32):
                for (int i = 0; i < count; i++) dst[i] = (short)(BinaryPrimitives.ReadInt32BigEndian(packet[(4 * i)..]) >> 16);
                break;
            case (PcmEncoding.Float, 32):
                for (int i = 0; i < count; i++) dst[i] = FloatToInt16(BinaryPrimitives.ReadSingleLittleEndian(packet[(4 * i)..]));
                break;
            case (PcmEncoding.Float, 64):
                for (int i = 0; i < count; i++) dst[i] = FloatToInt16(BinaryPrimitives.ReadDoubleLittleEndian(packet[(8 * i)..]));
                break;
        }
        return frames;
    }

    /// <inheritdoc />
    public void Reset()
    {
        // Stateless.
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // Nothing to release.
    }

    private static short FloatToInt16(double value)
    {
        double scaled = Math.Round(value * 32768.0, MidpointRounding.ToEven);
        return scaled >= short.MaxValue ? short.MaxValue : scaled <= short.MinValue ? short.MinValue : (short)scaled;
    }
}
