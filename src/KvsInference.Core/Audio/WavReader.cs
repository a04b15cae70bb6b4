using System.Buffers.Binary;

namespace KvsInference.Audio;

/// <summary>Audio read from a WAV file, as interleaved 16-bit samples.</summary>
public sealed class WavAudio
{
    internal WavAudio(int sampleRate, int channels, int bitsPerSample, bool isFloat, short[] samples)
    {
        SampleRate = sampleRate;
        Channels = channels;
        BitsPerSample = bitsPerSample;
        IsFloat = isFloat;
        Samples = samples;
    }

    /// <summary>Gets the rate in Hz.</summary>
    public int SampleRate { get; }

    /// <summary>Gets the number of interleaved channels.</summary>
    public int Channels { get; }

    /// <summary>Gets the bits per sample in the file.</summary>
    public int BitsPerSample { get; }

    /// <summary>Gets whether the file held IEEE float samples.</summary>
    public bool IsFloat { get; }

    /// <summary>Gets the interleaved samples, converted to 16-bit as <see cref="PcmDecoder"/> converts.</summary>
    public short[] Samples { get; }

    /// <summary>Gets the number of samples per channel.</summary>
    public int Frames => Samples.Length / Channels;

    /// <summary>The audio as one channel: the channels averaged (the model and the avatar take mono speech).</summary>
    /// <returns><see cref="Samples"/> itself when the file is mono, else a new array of <see cref="Frames"/> samples.</returns>
    public short[] ToMono()
    {
        if (Channels == 1) return Samples;
        var mono = new short[Frames];
        for (int f = 0; f < mono.Length; f++)
        {
            int sum = 0;
            for (int c = 0; c < Channels; c++) sum += Samples[f * Channels + c];
            mono[f] = (short)Math.Round(sum / (double)Channels, MidpointRounding.AwayFromZero);
        }
        return mono;
    }
}

/// <summary>Thrown when a WAV file is malformed or in a format <see cref="WavReader"/> does not read.</summary>
public sealed class WavFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="offset">The byte offset in the file where the problem is.</param>
    public WavFormatException(string message, long offset) : base($"{message} (at byte {offset})") => Offset = offset;

    /// <summary>Gets the byte offset in the file where the problem is.</summary>
    public long Offset { get; }
}

/// <summary>
/// Reads RIFF/WAVE files: integer PCM (8/16/24/32-bit) and IEEE float (32/64-bit), plain or WAVE_FORMAT_EXTENSIBLE,
/// any rate and channel count. A data size of 0 or 0xFFFFFFFF (or past the end), as streaming writers leave it, means
/// "to the end of the file".
/// </summary>
public static class WavReader
{
    private const ushort FormatPcm = 1;
    private const ushort FormatFloat = 3;
    private const ushort FormatExtensible = 0xFFFE;

    /// <summary>Reads a WAV file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The audio.</returns>
    /// <exception cref="WavFormatException">The file is not a WAV file this reader reads; the message says why and where.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static WavAudio ReadFile(string path) => Read(File.ReadAllBytes(path));

    /// <summary>Reads a WAV stream to its end (it need not be seekable).</summary>
    /// <param name="stream">The stream.</param>
    /// <returns>The audio.</returns>
    /// <exception cref="WavFormatException">The data is not a WAV file this reader reads.</exception>
    public static WavAudio Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Read(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>Reads WAV bytes.</summary>
    /// <param name="file">The whole file.</param>
    /// <returns>The audio.</returns>
    /// <exception cref="WavFormatException">The data is not a WAV file this reader reads.</exception>
    public static WavAudio Read(ReadOnlySpan<byte> file)
    {
        if (file.Length < 12) throw new WavFormatException($"File of {file.Length} bytes is too short for a RIFF header", 0);
        if (!file[..4].SequenceEqual("RIFF"u8)) throw new WavFormatException($"Not a RIFF file: starts with {Describe(file[..4])}, expected 'RIFF'", 0);
        if (!file.Slice(8, 4).SequenceEqual("WAVE"u8)) throw new WavFormatException($"RIFF form type is {Describe(file.Slice(8, 4))}, expected 'WAVE'", 8);

        int pos = 12;
        ushort format = 0, channels = 0, bits = 0;
        uint rate = 0;
        bool haveFormat = false;
        int formatPos = 0;
        while (pos + 8 <= file.Length)
        {
            var id = file.Slice(pos, 4);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(file[(pos + 4)..]);
            int body = pos + 8;
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16 || body + 16 > file.Length) throw new WavFormatException($"'fmt ' chunk of {size} bytes is too short (16 needed)", pos);
                var fmt = file.Slice(body, 16);
                format = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
                channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt[2..]);
                rate = BinaryPrimitives.ReadUInt32LittleEndian(fmt[4..]);
                bits = BinaryPrimitives.ReadUInt16LittleEndian(fmt[14..]);
                if (format == FormatExtensible)
                {
                    // The sub-format GUID's first two bytes are the real format tag.
                    if (size < 40 || body + 40 > file.Length) throw new WavFormatException($"WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk of {size} bytes is too short (40 needed)", pos);
                    format = BinaryPrimitives.ReadUInt16LittleEndian(file[(body + 24)..]);
                }
                haveFormat = true;
                formatPos = pos;
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (!haveFormat) throw new WavFormatException("'data' chunk comes before the 'fmt ' chunk", pos);
                long available = file.Length - body;
                long length = size == 0 || size == uint.MaxValue || size > available ? available : size;
                return Decode(file.Slice(body, (int)length), format, channels, rate, bits, formatPos);
            }
            long next = body + (long)size + (size & 1); // chunks are padded to an even size
            if (next > file.Length) break;
            pos = (int)next;
        }
        throw new WavFormatException(haveFormat ? "No 'data' chunk" : "No 'fmt ' chunk", pos);
    }

    private static WavAudio Decode(ReadOnlySpan<byte> data, ushort format, ushort channels, uint rate, ushort bits, int formatOffset)
    {
        if (channels == 0) throw new WavFormatException("Channel count is 0", formatOffset);
        if (rate == 0 || rate > 1_000_000) throw new WavFormatException($"Sample rate {rate} Hz is not usable", formatOffset);
        var encoding = format switch
        {
            FormatPcm => PcmEncoding.IntegerLittleEndian,
            FormatFloat => PcmEncoding.Float,
            _ => throw new WavFormatException($"Format tag 0x{format:X4} is not supported (PCM 0x0001 and IEEE float 0x0003 are)", formatOffset),
        };
        PcmDecoder pcm;
        try
        {
            pcm = new PcmDecoder(encoding, bits, (int)rate, channels);
        }
        catch (AudioDecodeException ex)
        {
            throw new WavFormatException(ex.Message, formatOffset);
        }
        int frameBytes = bits / 8 * channels;
        int frames = data.Length / frameBytes; // a trailing partial frame (a truncated file) is dropped
        var samples = new short[(long)frames * channels];
        int chunkFrames = pcm.MaxSamplesPerPacket;
        for (int f = 0; f < frames; f += chunkFrames)
        {
            int n = Math.Min(chunkFrames, frames - f);
            pcm.Decode(data.Slice(f * frameBytes, n * frameBytes), samples.AsSpan(f * channels, n * channels));
        }
        return new WavAudio((int)rate, channels, bits, encoding == PcmEncoding.Float, samples);
    }

    private static string Describe(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            if (b < 0x20 || b > 0x7E) return "0x" + Convert.ToHexString(bytes);
        }
        return "'" + System.Text.Encoding.ASCII.GetString(bytes) + "'";
    }
}
