using System.Globalization;

namespace KvsInference.TestSupport;

/// <summary>
/// Turns a real ffmpeg WebM (Opus) into the shape KVS GetMedia returns: one EBML header + Segment per fragment, with
/// the AWS_KINESISVIDEO_* tags before the cluster and MILLIS_BEHIND_NOW / CONTINUATION_TOKEN after it.
/// </summary>
public static class KvsTestMedia
{
    /// <summary>One fragment of the made stream.</summary>
    public sealed record Fragment(string Number, long FirstFrameNs, int Frames, byte[] Bytes);

    /// <summary>Splits <paramref name="webmPath"/> into fragments of <paramref name="fragmentMs"/> and returns them in order.</summary>
    public static List<Fragment> Fragments(string webmPath, int fragmentMs = 1000, long producerStartMs = 1_700_000_000_000)
    {
        var file = WebmTestFile.Read(webmPath);
        var track = file.Tracks.Single();
        var tracks = Ebml.Master(0x1654AE6B, Ebml.Master(0xAE,
            Ebml.UInt(0xD7, track.Number), Ebml.UInt(0x73C5, 1), Ebml.UInt(0x83, 2), Ebml.String(0x86, track.CodecId),
            Ebml.Binary(0x63A2, track.CodecPrivate ?? []), Ebml.UInt(0x56AA, track.CodecDelayNs), Ebml.UInt(0x56BB, track.SeekPreRollNs),
            Ebml.Master(0xE1, Ebml.Float(0xB5, track.SamplingFrequency), Ebml.UInt(0x9F, (ulong)track.Channels))));
        var fragments = new List<Fragment>();
        var groups = file.Frames.GroupBy(f => f.TimestampNs / (fragmentMs * 1_000_000L)).ToList();
        for (int i = 0; i < groups.Count; i++)
        {
            var frames = groups[i].ToList();
            long clusterMs = frames[0].TimestampNs / 1_000_000;
            var blocks = new List<byte[]> { Ebml.UInt(0xE7, (ulong)clusterMs) };
            foreach (var f in frames)
            {
                short relativeMs = (short)(f.TimestampNs / 1_000_000 - clusterMs);
                blocks.Add(f.DiscardPaddingNs != 0
                    ? Ebml.Master(0xA0, Ebml.Binary(0xA1, Ebml.Concat(Ebml.Size((long)f.Track), [(byte)(relativeMs >> 8), (byte)relativeMs, 0], f.Data)), Ebml.Int(0x75A2, f.DiscardPaddingNs))
                    : Ebml.SimpleBlock(f.Track, relativeMs, f.Data));
            }
            string number = "91343852333181432392682062607743920146264" + (100000 + i).ToString(CultureInfo.InvariantCulture);
            string producer = ((producerStartMs + clusterMs) / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);
            string server = ((producerStartMs + clusterMs + 120) / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);
            var bytes = Ebml.Concat(Ebml.Header("matroska"), Ebml.MasterUnknownSize(0x18538067,
                Ebml.Master(0x1549A966, Ebml.UInt(0x2AD7B1, 1_000_000)),
                tracks,
                Ebml.Tags(("AWS_KINESISVIDEO_FRAGMENT_NUMBER", number), ("AWS_KINESISVIDEO_SERVER_TIMESTAMP", server), ("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP", producer)),
                Ebml.MasterUnknownSize(0x1F43B675, [.. blocks]),
                Ebml.Tags(("AWS_KINESISVIDEO_MILLIS_BEHIND_NOW", "0"), ("AWS_KINESISVIDEO_CONTINUATION_TOKEN", number))));
            fragments.Add(new Fragment(number, frames[0].TimestampNs, frames.Count, bytes));
        }
        return fragments;
    }
}
