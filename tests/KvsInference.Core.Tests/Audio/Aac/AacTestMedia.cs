using System.Buffers.Binary;
using KvsInference.Audio;
using KvsInference.Audio.Aac;
using KvsInference.Matroska;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Audio.Aac;

/// <summary>
/// Real AAC media for the tests, made by espeak-ng and ffmpeg at test time, and the plain readers that get packets
/// out of it (ADTS headers; a minimal EBML walk of ffmpeg-written Matroska) until the project's MKV reader is merged.
/// </summary>
internal static class AacTestMedia
{
    public static string Dir { get; } = Directory.CreateDirectory(Path.Combine(TestPaths.Scratch, "aac")).FullName;

    private static readonly Lazy<string> Speech = new(() =>
    {
        string wav = Path.Combine(Dir, "speech.wav");
        ProcessRunner.Run("espeak-ng", ["-w", wav, "Kinesis video streams carry the meeting audio to the workers. " +
            "The quick brown fox jumps over the lazy dog, and the avatar moves its lips in time."]);
        return wav;
    });

    private static readonly object Gate = new();

    /// <summary>About seven seconds of espeak-ng speech (22.05 kHz mono WAV).</summary>
    public static string SpeechWav => Speech.Value;

    /// <summary>Makes (once per test run) a file from the speech with the given ffmpeg output arguments.</summary>
    public static string Make(string name, params string[] outputArguments)
    {
        string path = Path.Combine(Dir, name);
        lock (Gate)
        {
            if (!File.Exists(path))
            {
                string tmp = path + ".tmp" + Path.GetExtension(path);
                ProcessRunner.Ffmpeg(["-i", SpeechWav, .. outputArguments, tmp]);
                File.Move(tmp, path);
            }
        }
        return path;
    }

    /// <summary>ffmpeg's own decode of a file to interleaved s16 (the reference: the same libavcodec, as a process).</summary>
    public static short[] FfmpegDecode(string path, int rate, int channels)
    {
        string raw = Path.Combine(Dir, $"{Path.GetFileName(path)}.{rate}.{channels}.{Guid.NewGuid():N}.raw");
        ProcessRunner.Ffmpeg("-i", path, "-map", "0:a:0", "-ac", channels.ToString(), "-ar", rate.ToString(), "-f", "s16le", raw);
        byte[] bytes = File.ReadAllBytes(raw);
        File.Delete(raw);
        var pcm = new short[bytes.Length / 2];
        Buffer.BlockCopy(bytes, 0, pcm, 0, pcm.Length * 2);
        return pcm;
    }

    /// <summary>Decodes all packets through the interface only, then drains the resampler.</summary>
    public static short[] DecodeAll(IAudioDecoder decoder, IEnumerable<byte[]> packets, bool drain = true)
    {
        var output = new short[decoder.MaxSamplesPerPacket * decoder.OutputChannels];
        var pcm = new List<short>();
        foreach (var packet in packets)
        {
            int n = decoder.Decode(packet, output);
            pcm.AddRange(output.AsSpan(0, n * decoder.OutputChannels));
        }
        if (drain && decoder is AacDecoder aac)
        {
            int n = aac.Drain(output);
            pcm.AddRange(output.AsSpan(0, n * decoder.OutputChannels));
        }
        return [.. pcm];
    }

    /// <summary>Signal-to-noise ratio of <paramref name="test"/> against <paramref name="reference"/> over their common length, in dB.</summary>
    public static double SnrDb(ReadOnlySpan<short> reference, ReadOnlySpan<short> test)
    {
        int n = Math.Min(reference.Length, test.Length);
        double signal = 0, noise = 0;
        for (int i = 0; i < n; i++)
        {
            double d = reference[i] - test[i];
            signal += (double)reference[i] * reference[i];
            noise += d * d;
        }
        return noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(signal / noise);
    }

    /// <summary>The packets of an ADTS file and the AudioSpecificConfig its first header describes.</summary>
    public static (byte[] Asc, List<byte[]> Packets) ReadAdts(string path)
    {
        byte[] data = File.ReadAllBytes(path);
        var packets = new List<byte[]>();
        byte[]? asc = null;
        int pos = 0;
        while (pos < data.Length)
        {
            if (data.Length - pos < 7 || data[pos] != 0xFF || (data[pos + 1] & 0xF0) != 0xF0)
            {
                throw new InvalidDataException($"no ADTS sync word at byte {pos} of {path}");
            }
            bool protectionAbsent = (data[pos + 1] & 1) == 1;
            int profile = data[pos + 2] >> 6;
            int sfi = (data[pos + 2] >> 2) & 0xF;
            int channelConfig = ((data[pos + 2] & 1) << 2) | (data[pos + 3] >> 6);
            int frameLength = ((data[pos + 3] & 3) << 11) | (data[pos + 4] << 3) | (data[pos + 5] >> 5);
            int rawBlocks = data[pos + 6] & 3;
            if (rawBlocks != 0) throw new InvalidDataException("ADTS frames with several raw data blocks are not used by these tests");
            int header = protectionAbsent ? 7 : 9;
            int[] rates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
            asc ??= AudioSpecificConfig.Build(profile + 1, rates[sfi], channelConfig);
            packets.Add(data.AsSpan(pos + header, frameLength - header).ToArray());
            pos += frameLength;
        }
        return (asc ?? throw new InvalidDataException("empty ADTS file"), packets);
    }

    /// <summary>
    /// The first track whose codec ID starts with <paramref name="codecPrefix"/> and its frames, from a Matroska file
    /// made of one or more EBML header + Segment pairs with known sizes (what ffmpeg and mkvmerge write).
    /// </summary>
    public static (MkvTrackInfo Track, List<byte[]> Packets) ReadMkv(string path, string codecPrefix = "A_AAC")
    {
        byte[] data = File.ReadAllBytes(path);
        MkvTrackInfo? track = null;
        var packets = new List<byte[]>();
        Walk(data, 0, data.Length, ref track, packets, codecPrefix);
        return (track ?? throw new InvalidDataException($"no {codecPrefix} track in {path}"), packets);
    }

    private static void Walk(byte[] data, int start, int end, ref MkvTrackInfo? track, List<byte[]> packets, string codecPrefix)
    {
        int pos = start;
        while (pos < end)
        {
            uint id = ReadId(data, ref pos);
            long size = ReadSize(data, ref pos);
            int bodyEnd = size < 0 ? end : (int)Math.Min(end, pos + size);
            switch (id)
            {
                case 0x18538067: // Segment
                case 0x1654AE6B: // Tracks
                case 0x1F43B675: // Cluster
                case 0xA0: // BlockGroup
                    Walk(data, pos, bodyEnd, ref track, packets, codecPrefix);
                    break;
                case 0xAE: // TrackEntry
                    var entry = ReadTrackEntry(data, pos, bodyEnd);
                    if (track is null && entry.CodecId.StartsWith(codecPrefix, StringComparison.Ordinal)) track = entry;
                    break;
                case 0xA3: // SimpleBlock
                case 0xA1: // Block
                    int p = pos;
                    long trackNumber = ReadSize(data, ref p);
                    byte flags = data[p + 2];
                    if ((flags & 0x06) != 0) throw new InvalidDataException("laced blocks are not used by these tests");
                    if (track is not null && (ulong)trackNumber == track.Number) packets.Add(data[(p + 3)..bodyEnd]);
                    break;
            }
            pos = bodyEnd;
        }
    }

    private static MkvTrackInfo ReadTrackEntry(byte[] data, int pos, int end)
    {
        var t = new MkvTrackInfo();
        while (pos < end)
        {
            uint id = ReadId(data, ref pos);
            int size = (int)ReadSize(data, ref pos);
            var body = data.AsSpan(pos, size);
            switch (id)
            {
                case 0xD7: t.Number = ReadUInt(body); break;
                case 0x83: t.Type = (MkvTrackType)ReadUInt(body); break;
                case 0x86: t.CodecId = System.Text.Encoding.ASCII.GetString(body).TrimEnd('\0'); break;
                case 0x63A2: t.CodecPrivate = body.ToArray(); break;
                case 0xE1: ReadAudio(t, data, pos, pos + size); break;
            }
            pos += size;
        }
        return t;
    }

    private static void ReadAudio(MkvTrackInfo t, byte[] data, int pos, int end)
    {
        while (pos < end)
        {
            uint id = ReadId(data, ref pos);
            int size = (int)ReadSize(data, ref pos);
            var body = data.AsSpan(pos, size);
            switch (id)
            {
                case 0xB5: t.SamplingFrequency = ReadFloat(body); break;
                case 0x78B5: t.OutputSamplingFrequency = ReadFloat(body); break;
                case 0x9F: t.Channels = (int)ReadUInt(body); break;
            }
            pos += size;
        }
    }

    private static ulong ReadUInt(ReadOnlySpan<byte> b)
    {
        ulong v = 0;
        foreach (byte x in b) v = (v << 8) | x;
        return v;
    }

    private static double ReadFloat(ReadOnlySpan<byte> b) =>
        b.Length == 4 ? BinaryPrimitives.ReadSingleBigEndian(b) : BinaryPrimitives.ReadDoubleBigEndian(b);

    private static uint ReadId(byte[] data, ref int pos)
    {
        int length = System.Numerics.BitOperations.LeadingZeroCount((uint)data[pos]) - 23;
        uint id = 0;
        for (int i = 0; i < length; i++) id = (id << 8) | data[pos + i];
        pos += length;
        return id;
    }

    private static long ReadSize(byte[] data, ref int pos)
    {
        int length = System.Numerics.BitOperations.LeadingZeroCount((uint)data[pos]) - 23;
        long v = data[pos] & (0xFF >> length);
        bool allOnes = v == (0xFF >> length);
        for (int i = 1; i < length; i++)
        {
            v = (v << 8) | data[pos + i];
            allOnes &= data[pos + i] == 0xFF;
        }
        pos += length;
        return allOnes ? -1 : v;
    }
}
