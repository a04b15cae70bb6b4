using System.Buffers.Binary;

namespace KvsInference.Avatar.Serving;

/// <summary>A body that is not a WAV file this server can read; the message says why.</summary>
internal sealed class WavFormatException(string message) : FormatException(message);

/// <summary>
/// Reads a whole RIFF/WAVE file into mono 16-bit PCM: integer PCM of 8, 16, 24 or 32 bits and IEEE float
/// of 32 or 64 bits (also inside WAVE_FORMAT_EXTENSIBLE); channels are averaged. A data chunk whose size
/// is 0 or 0xFFFFFFFF (streamed WAV, as ffmpeg writes to a pipe) runs to the end of the body.
/// </summary>
/// <remarks>Internal on purpose: Core/Audio is getting a shared WAV reader; this one may be folded into it.</remarks>
internal static class WavPcmReader
{
    private const ushort FormatPcm = 1;
    private const ushort FormatFloat = 3;
    private const ushort FormatExtensible = 0xFFFE;

    /// <summary>Decodes <paramref name="wav"/>.</summary>
    /// <returns>The mono samples and the sample rate.</returns>
    /// <exception cref="WavFormatException">The body is not a supported WAV file.</exception>
    public static (short[] Samples, int SampleRate) Read(ReadOnlySpan<byte> wav)
    {
        if (wav.Length < 12 || !wav[..4].SequenceEqual("RIFF"u8) || !wav.Slice(8, 4).SequenceEqual("WAVE"u8))
        {
            throw new WavFormatException("not a WAV file (no RIFF/WAVE header)");
        }
        int position = 12;
        ushort format = 0, channels = 0, bits = 0;
        int sampleRate = 0;
        bool haveFormat = false;
        while (position + 8 <= wav.Length)
        {
            var id = wav.Slice(position, 4);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(wav.Slice(position + 4, 4));
            int body = position + 8;
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16 || body + 16 > wav.Length) throw new WavFormatException("the fmt chunk is truncated");
                var fmt = wav.Slice(body, (int)Math.Min(size, (uint)(wav.Length - body)));
                format = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
                channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt[2..]);
                sampleRate = BinaryPrimitives.ReadInt32LittleEndian(fmt[4..]);
                bits = BinaryPrimitives.ReadUInt16LittleEndian(fmt[14..]);
                if (format == FormatExtensible)
                {
                    // The sub-format GUID's first two bytes are the actual format tag.
                    if (fmt.Length < 26) throw new WavFormatException("the WAVE_FORMAT_EXTENSIBLE fmt chunk is truncated");
                    format = BinaryPrimitives.ReadUInt16LittleEndian(fmt[24..]);
                }
                haveFormat = true;
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (!haveFormat) throw new WavFormatException("the data chunk comes before the fmt chunk");
                int available = wav.Length - body;
                int length = size == 0 || size == uint.MaxValue || size > available ? available : (int)size;
                return (Decode(wav.Slice(body, length), format, channels, bits, sampleRate), sampleRate);
            }
            // Chunks are word-aligned.
            long next = (long)body + size + (size & 1);
            if (next > wav.Length) break;
            position = (int)next;
        }
        throw new WavFormatException(haveFormat ? "the WAV file has no data chunk" : "the WAV file has no fmt chunk");
    }

    private static short[] Decode(ReadOnlySpan<byte> data, ushort format, ushort channels, ushort bits, int sampleRate)
    {
        if (channels is 0 or > 32) throw new WavFormatException($"unsupported channel count {channels}");
        if (sampleRate <= 0) throw new WavFormatException($"invalid sample rate {sampleRate}");
        bool isFloat = format == FormatFloat;
        if (format != FormatPcm && !isFloat) throw new WavFormatException($"unsupported WAV encoding (format tag {format}); send PCM or IEEE float");
        if (isFloat ? bits is not (32 or 64) : bits is not (8 or 16 or 24 or 32))
        {
            throw new WavFormatException($"unsupported {(isFloat ? "float" : "PCM")} sample size of {bits} bits");
        }
        int bytesPerSample = bits / 8;
        int frameBytes = bytesPerSample * channels;
        int frames = data.Length / frameBytes;
        var samples = new short[frames];
        for (int f = 0; f < frames; f++)
        {
            double sum = 0;
            for (int c = 0; c < channels; c++)
            {
                var s = data.Slice(f * frameBytes + c * bytesPerSample, bytesPerSample);
                sum += (isFloat, bits) switch
                {
                    (true, 32) => BinaryPrimitives.ReadSingleLittleEndian(s),
                    (true, _) => BinaryPrimitives.ReadDoubleLittleEndian(s),
                    (false, 8) => (s[0] - 128) / 128.0,
                    (false, 16) => BinaryPrimitives.ReadInt16LittleEndian(s) / 32768.0,
                    (false, 24) => ((s[0] << 8 | s[1] << 16 | s[2] << 24) >> 8) / 8388608.0,
                    _ => BinaryPrimitives.ReadInt32LittleEndian(s) / 2147483648.0,
                };
            }
            double v = sum / channels;
            samples[f] = double.IsNaN(v) ? (short)0 : (short)Math.Clamp(Math.Round(v * 32768), short.MinValue, short.MaxValue);
        }
        return samples;
    }
}
