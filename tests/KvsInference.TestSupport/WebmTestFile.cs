using System.Buffers.Binary;
using System.Text;

namespace KvsInference.TestSupport;

/// <summary>One track of a test file, as the test-only reader below sees it.</summary>
public sealed record WebmTestTrack(ulong Number, string CodecId, byte[]? CodecPrivate, ulong CodecDelayNs, ulong SeekPreRollNs,
    double SamplingFrequency, int Channels, int BitDepth)
{
    /// <summary>The production track description of this audio track, for the decoders under test.</summary>
    public KvsInference.Matroska.MkvTrackInfo ToTrackInfo() => new()
    {
        Number = Number,
        Type = KvsInference.Matroska.MkvTrackType.Audio,
        CodecId = CodecId,
        CodecPrivate = CodecPrivate,
        CodecDelayNs = CodecDelayNs,
        SeekPreRollNs = SeekPreRollNs,
        SamplingFrequency = SamplingFrequency,
        Channels = Channels,
        BitDepth = BitDepth,
    };
}

/// <summary>One block of a test file: absolute timestamp and discard padding in ns, and the frame bytes.</summary>
public sealed record WebmTestFrame(ulong Track, long TimestampNs, byte[] Data, long DiscardPaddingNs);

/// <summary>
/// A deliberately small reader for the known-size Matroska/WebM files ffmpeg writes in tests (no lacing, known-size
/// Segment and Clusters), so that the audio tests do not depend on the production MKV reader. It is not a parser to
/// use on live input: it walks a whole file in memory and throws on anything unexpected.
/// </summary>
public sealed class WebmTestFile
{
    private const uint IdSegment = 0x18538067, IdInfo = 0x1549A966, IdTimestampScale = 0x2AD7B1, IdTracks = 0x1654AE6B,
        IdTrackEntry = 0xAE, IdTrackNumber = 0xD7, IdCodecId = 0x86, IdCodecPrivate = 0x63A2, IdCodecDelay = 0x56AA,
        IdSeekPreRoll = 0x56BB, IdAudio = 0xE1, IdSamplingFrequency = 0xB5, IdChannels = 0x9F, IdBitDepth = 0x6264,
        IdCluster = 0x1F43B675, IdClusterTimestamp = 0xE7, IdSimpleBlock = 0xA3, IdBlockGroup = 0xA0, IdBlock = 0xA1,
        IdDiscardPadding = 0x75A2;

    /// <summary>Gets the tracks.</summary>
    public List<WebmTestTrack> Tracks { get; } = [];

    /// <summary>Gets the frames in file order.</summary>
    public List<WebmTestFrame> Frames { get; } = [];

    /// <summary>Reads a file.</summary>
    public static WebmTestFile Read(string path) => Parse(File.ReadAllBytes(path));

    /// <summary>Parses file bytes.</summary>
    public static WebmTestFile Parse(byte[] bytes)
    {
        var file = new WebmTestFile();
        ulong scale = 1_000_000;
        int pos = 0;
        while (pos < bytes.Length)
        {
            var (id, size, body) = Header(bytes, pos);
            if (id == IdSegment)
            {
                int end = Math.Min(bytes.Length, body + (int)size);
                int p = body;
                while (p < end)
                {
                    var (cid, csize, cbody) = Header(bytes, p);
                    int cend = cbody + (int)csize;
                    if (cid == IdInfo)
                    {
                        foreach (var (iid, ibody, iend) in Children(bytes, cbody, cend))
                        {
                            if (iid == IdTimestampScale) scale = UInt(bytes, ibody, iend);
                        }
                    }
                    else if (cid == IdTracks)
                    {
                        foreach (var (tid, tbody, tend) in Children(bytes, cbody, cend))
                        {
                            if (tid == IdTrackEntry) file.Tracks.Add(ReadTrack(bytes, tbody, tend));
                        }
                    }
                    else if (cid == IdCluster)
                    {
                        ReadCluster(file, bytes, cbody, cend, scale);
                    }
                    p = cend;
                }
                pos = end;
            }
            else
            {
                pos = body + (int)size;
            }
        }
        return file;
    }

    /// <summary>The frames of one track.</summary>
    public IEnumerable<WebmTestFrame> FramesOf(ulong track) => Frames.Where(f => f.Track == track);

    private static WebmTestTrack ReadTrack(byte[] b, int start, int end)
    {
        ulong number = 0, delay = 0, preroll = 0;
        string codec = "";
        byte[]? priv = null;
        double rate = 8000;
        int channels = 1, depth = 0;
        foreach (var (id, body, e) in Children(b, start, end))
        {
            switch (id)
            {
                case IdTrackNumber: number = UInt(b, body, e); break;
                case IdCodecId: codec = Encoding.ASCII.GetString(b, body, e - body).TrimEnd('\0'); break;
                case IdCodecPrivate: priv = b[body..e]; break;
                case IdCodecDelay: delay = UInt(b, body, e); break;
                case IdSeekPreRoll: preroll = UInt(b, body, e); break;
                case IdAudio:
                    foreach (var (aid, abody, aend) in Children(b, body, e))
                    {
                        if (aid == IdSamplingFrequency) rate = aend - abody == 4 ? BinaryPrimitives.ReadSingleBigEndian(b.AsSpan(abody)) : BinaryPrimitives.ReadDoubleBigEndian(b.AsSpan(abody));
                        else if (aid == IdChannels) channels = (int)UInt(b, abody, aend);
                        else if (aid == IdBitDepth) depth = (int)UInt(b, abody, aend);
                    }
                    break;
            }
        }
        return new WebmTestTrack(number, codec, priv, delay, preroll, rate, channels, depth);
    }

    private static void ReadCluster(WebmTestFile file, byte[] b, int start, int end, ulong scale)
    {
        ulong clusterTs = 0;
        foreach (var (id, body, e) in Children(b, start, end))
        {
            if (id == IdClusterTimestamp) clusterTs = UInt(b, body, e);
            else if (id == IdSimpleBlock) file.Frames.Add(Block(b, body, e, clusterTs, scale, 0));
            else if (id == IdBlockGroup)
            {
                int blockBody = -1, blockEnd = -1;
                long discard = 0;
                foreach (var (gid, gbody, gend) in Children(b, body, e))
                {
                    if (gid == IdBlock) (blockBody, blockEnd) = (gbody, gend);
                    else if (gid == IdDiscardPadding) discard = SInt(b, gbody, gend);
                }
                if (blockBody < 0) throw new InvalidDataException("BlockGroup without Block");
                file.Frames.Add(Block(b, blockBody, blockEnd, clusterTs, scale, discard));
            }
        }
    }

    private static WebmTestFrame Block(byte[] b, int start, int end, ulong clusterTs, ulong scale, long discard)
    {
        int p = start;
        ulong track = VInt(b, ref p, out _);
        short rel = BinaryPrimitives.ReadInt16BigEndian(b.AsSpan(p));
        byte flags = b[p + 2];
        if ((flags & 0x06) != 0) throw new InvalidDataException("laced block: this test reader does not read lacing");
        long ts = ((long)clusterTs + rel) * (long)scale;
        return new WebmTestFrame(track, ts, b[(p + 3)..end], discard);
    }

    private static IEnumerable<(uint Id, int Body, int End)> Children(byte[] b, int start, int end)
    {
        int p = start;
        while (p < end)
        {
            var (id, size, body) = Header(b, p);
            int e = body + (int)size;
            yield return (id, body, e);
            p = e;
        }
    }

    private static (uint Id, ulong Size, int Body) Header(byte[] b, int pos)
    {
        int p = pos;
        VInt(b, ref p, out uint rawId);
        ulong size = VInt(b, ref p, out _);
        return (rawId, size, p);
    }

    private static ulong VInt(byte[] b, ref int p, out uint raw)
    {
        byte first = b[p];
        int length = System.Numerics.BitOperations.LeadingZeroCount((uint)first) - 23;
        if (length is < 1 or > 8) throw new InvalidDataException($"bad vint at {p}");
        ulong value = (ulong)(first & (0xFF >> length));
        raw = first;
        for (int i = 1; i < length; i++)
        {
            value = (value << 8) | b[p + i];
            raw = (raw << 8) | b[p + i];
        }
        p += length;
        if (value == (1UL << (7 * length)) - 1) throw new InvalidDataException("unknown-size element: this test reader needs known sizes");
        return value;
    }

    private static ulong UInt(byte[] b, int start, int end)
    {
        ulong v = 0;
        for (int i = start; i < end; i++) v = (v << 8) | b[i];
        return v;
    }

    private static long SInt(byte[] b, int start, int end)
    {
        if (end == start) return 0;
        long v = (sbyte)b[start];
        for (int i = start + 1; i < end; i++) v = (v << 8) | b[i];
        return v;
    }
}
