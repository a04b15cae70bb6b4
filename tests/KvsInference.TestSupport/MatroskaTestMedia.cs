using System.Buffers.Binary;
using System.Text;
using KvsInference.Matroska;

namespace KvsInference.TestSupport;

/// <summary>
/// Matroska/WebM media for the reader tests: real files made by ffmpeg, espeak-ng and mkvmerge (cached per test run),
/// and hand-built EBML for what those tools do not write (unknown sizes, KVS fragment tags, corrupt bytes).
/// </summary>
public static class MatroskaTestMedia
{
    private static readonly object Gate = new();

    /// <summary>A few seconds of espeak-ng speech as a WAV file.</summary>
    public static string SpeechWav() => Cached("speech.wav", path =>
        ProcessRunner.Run("espeak-ng", ["-w", path, "Kinesis video streams carry the meeting audio. The worker reads every frame, decodes it, and sends windows to the model."]));

    /// <summary>Speech encoded to Opus by ffmpeg in a WebM (<paramref name="extension"/> "webm") or Matroska ("mka") file.</summary>
    public static string FfmpegOpus(int bitrateKbps, int channels, string extension) =>
        Cached($"opus-{bitrateKbps}k-{channels}ch.{extension}", path =>
            ProcessRunner.Ffmpeg("-i", SpeechWav(), "-ac", channels.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-c:a", "libopus", "-b:a", bitrateKbps + "k", path));

    /// <summary>Speech as Vorbis remuxed by mkvmerge, which laces Vorbis: EBML lacing by default, Xiph with <paramref name="xiph"/>.</summary>
    public static string MkvmergeVorbis(bool xiph) => Cached(xiph ? "vorbis-xiph.mka" : "vorbis-ebml.mka", path =>
    {
        string ogg = Cached("speech.ogg", p => ProcessRunner.Ffmpeg("-i", SpeechWav(), "-c:a", "libvorbis", p));
        var args = new List<string> { "-q", "-o", path };
        if (xiph) args.AddRange(["--engage", "lacing_xiph"]);
        args.Add(ogg);
        ProcessRunner.Run("mkvmerge", args);
    });

    /// <summary>Speech as AAC remuxed by mkvmerge: laced blocks on a track with a DefaultDuration.</summary>
    public static string MkvmergeAac() => Cached("aac.mka", path =>
    {
        string m4a = Cached("speech.m4a", p => ProcessRunner.Ffmpeg("-i", SpeechWav(), "-c:a", "aac", "-b:a", "64k", p));
        ProcessRunner.Run("mkvmerge", ["-q", "-o", path, m4a]);
    });

    /// <summary>The Opus speech of <see cref="FfmpegOpus"/> (32 kbps mono WebM) remuxed by mkvmerge, which laces 8 packets per
    /// block and writes no DefaultDuration: <paramref name="lacing"/> "xiph" or "ebml" (mkvmerge's default).</summary>
    public static string MkvmergeOpus(string lacing) => Cached($"opus-32k-1ch-{lacing}.mka", path =>
        ProcessRunner.Run("mkvmerge", ["-q", "-o", path, "--engage", "lacing_" + lacing, FfmpegOpus(32, 1, "webm")]));

    /// <summary>The speech as 16-bit PCM remuxed by mkvmerge, which puts it in fixed-size laced blocks.</summary>
    public static string MkvmergePcm() => Cached("pcm.mka", path =>
    {
        string wav = Cached("speech-s16.wav", p => ProcessRunner.Ffmpeg("-i", SpeechWav(), "-c:a", "pcm_s16le", p));
        ProcessRunner.Run("mkvmerge", ["-q", "-o", path, wav]);
    });

    /// <summary>The packets ffprobe reads from a file: (pts in ms, size), in file order.</summary>
    public static List<(double PtsMs, int Size)> FfprobePackets(string path)
    {
        string csv = ProcessRunner.Run("ffprobe", ["-v", "error", "-show_entries", "packet=pts_time,size", "-of", "csv=p=0", path]);
        var packets = new List<(double, int)>();
        foreach (string line in csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = line.Split(',');
            packets.Add((double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * 1000,
                int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)));
        }
        return packets;
    }

    private static string Cached(string name, Action<string> make)
    {
        string path = Path.Combine(TestPaths.Scratch, name);
        lock (Gate)
        {
            if (!File.Exists(path))
            {
                string temp = path + ".tmp" + Path.GetExtension(path);
                make(temp);
                File.Move(temp, path, overwrite: true);
            }
        }
        return path;
    }
}

/// <summary>Builds EBML by hand: elements with known or unknown sizes, so tests can make what no tool writes.</summary>
public static class Ebml
{
    /// <summary>The unknown-size marker (one byte, all data bits set).</summary>
    public static readonly byte[] UnknownSize = [0xFF];

    /// <summary>An element ID as its bytes (the ID already carries its length marker).</summary>
    public static byte[] Id(uint id) => EbmlWriter.Id(id);

    /// <summary>A size as an EBML variable-size integer of the smallest length (or <paramref name="length"/> bytes).</summary>
    public static byte[] Size(long size, int length = 0) => EbmlWriter.Size(size, length);

    /// <summary>A master element of known size holding <paramref name="children"/>.</summary>
    public static byte[] Master(uint id, params byte[][] children) => EbmlWriter.Master(id, children);

    /// <summary>A master element of unknown size followed by <paramref name="children"/> (it ends where a non-child begins).</summary>
    public static byte[] MasterUnknownSize(uint id, params byte[][] children) => Concat([Id(id), UnknownSize, .. children]);

    /// <summary>A binary element.</summary>
    public static byte[] Binary(uint id, byte[] data) => EbmlWriter.Element(id, data);

    /// <summary>An unsigned integer element (big-endian, smallest length).</summary>
    public static byte[] UInt(uint id, ulong value) => EbmlWriter.UInt(id, value);

    /// <summary>A signed integer element (8 bytes).</summary>
    public static byte[] Int(uint id, long value) => EbmlWriter.Int(id, value);

    /// <summary>A float element (8 bytes).</summary>
    public static byte[] Float(uint id, double value) => EbmlWriter.Float(id, value);

    /// <summary>A UTF-8 string element.</summary>
    public static byte[] String(uint id, string value) => EbmlWriter.String(id, value);

    /// <summary>The EBML header of a WebM (or Matroska) file.</summary>
    public static byte[] Header(string docType = "webm") => Master(0x1A45DFA3,
        UInt(0x4286, 1), UInt(0x42F7, 1), UInt(0x42F2, 4), UInt(0x42F3, 8), String(0x4282, docType), UInt(0x4287, 4), UInt(0x4285, 2));

    /// <summary>A Tracks element with one Opus audio track (48 kHz, the given channels) numbered <paramref name="number"/>.</summary>
    public static byte[] OpusTracks(ulong number = 1, int channels = 1) => Master(0x1654AE6B, Master(0xAE,
        UInt(0xD7, number), UInt(0x73C5, 1234 + number), UInt(0x83, 2), String(0x86, "A_OPUS"),
        Binary(0x63A2, [.. "OpusHead"u8, 1, (byte)channels, 0x38, 0x01, 0x80, 0xBB, 0, 0, 0, 0, 0]),
        UInt(0x56AA, 6_500_000), UInt(0x56BB, 80_000_000),
        Master(0xE1, Float(0xB5, 48000), UInt(0x9F, (ulong)channels))));

    /// <summary>A Tracks element with one PCM track (<c>A_PCM/INT/LIT</c>, 16-bit) declaring any rate and channel count.</summary>
    public static byte[] PcmTracks(double sampleRate, ulong channels, ulong number = 1) => Master(0x1654AE6B, Master(0xAE,
        UInt(0xD7, number), UInt(0x73C5, 99 + number), UInt(0x83, 2), String(0x86, "A_PCM/INT/LIT"),
        Master(0xE1, Float(0xB5, sampleRate), UInt(0x9F, channels), UInt(0x6264, 16))));

    /// <summary>A SimpleBlock for <paramref name="track"/> at <paramref name="relativeMs"/> from its cluster, key flag set.</summary>
    public static byte[] SimpleBlock(ulong track, short relativeMs, byte[] payload, byte flags = 0x80) =>
        Binary(0xA3, Concat(Size((long)track), [(byte)(relativeMs >> 8), (byte)relativeMs, flags], payload));

    /// <summary>A Tags element with one Tag of SimpleTags (name, string value) pairs.</summary>
    public static byte[] Tags(params (string Name, string Value)[] tags) => EbmlWriter.Tags(tags);

    /// <summary>A payload of <paramref name="length"/> bytes that differs per <paramref name="seed"/>.</summary>
    public static byte[] Payload(int seed, int length)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++) data[i] = (byte)(seed * 31 + i * 7);
        return data;
    }

    /// <summary>Concatenates byte arrays.</summary>
    public static byte[] Concat(params byte[][] parts)
    {
        int length = 0;
        foreach (byte[] p in parts) length += p.Length;
        var result = new byte[length];
        int offset = 0;
        foreach (byte[] p in parts)
        {
            p.CopyTo(result, offset);
            offset += p.Length;
        }
        return result;
    }

    /// <summary>
    /// Stream bytes shaped like KVS GetMedia output: per fragment an EBML header and an unknown-size Segment with
    /// Info, Tracks, a Tags element (fragment number, server and producer timestamps), an unknown-size Cluster of
    /// 20 ms SimpleBlocks, then a Tags element with MILLIS_BEHIND_NOW and CONTINUATION_TOKEN. The track is
    /// <see cref="OpusTracks"/> unless <paramref name="tracks"/> gives another Tracks element (for track number 1), or
    /// <paramref name="tracksOfFragment"/> one per fragment (a codec change mid-stream).
    /// </summary>
    public static byte[] KvsGetMedia(int fragments, int framesPerFragment, out List<string> fragmentNumbers, byte[]? tracks = null,
        Func<int, byte[]>? tracksOfFragment = null)
    {
        fragmentNumbers = [];
        var parts = new List<byte[]>();
        for (int f = 0; f < fragments; f++)
        {
            string number = "9134385233318143239268206260774392014652752558" + f;
            fragmentNumbers.Add(number);
            long clusterMs = 1_000_000 + f * framesPerFragment * 20L;
            var blocks = new byte[framesPerFragment + 1][];
            blocks[0] = UInt(0xE7, (ulong)clusterMs);
            for (int i = 0; i < framesPerFragment; i++) blocks[i + 1] = SimpleBlock(1, (short)(i * 20), Payload(f * 1000 + i, 40 + i % 7));
            parts.Add(Header("matroska"));
            parts.Add(MasterUnknownSize(0x18538067,
                Master(0x1549A966, UInt(0x2AD7B1, 1_000_000)),
                tracksOfFragment?.Invoke(f) ?? tracks ?? OpusTracks(),
                Tags(("AWS_KINESISVIDEO_FRAGMENT_NUMBER", number),
                    ("AWS_KINESISVIDEO_SERVER_TIMESTAMP", $"1598299264.{432 + f}"),
                    ("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP", $"1598299263.{953 + f}")),
                MasterUnknownSize(0x1F43B675, blocks),
                Tags(("AWS_KINESISVIDEO_MILLIS_BEHIND_NOW", (1000 - f).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    ("AWS_KINESISVIDEO_CONTINUATION_TOKEN", number))));
        }
        return Concat([.. parts]);
    }
}
