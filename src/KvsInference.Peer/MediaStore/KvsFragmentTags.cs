using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using KvsInference.Kvs;
using KvsInference.Matroska;

namespace KvsInference.Peer.MediaStore;

/// <summary>
/// Builds the Tags elements KVS puts around each fragment of GetMedia output: before the Cluster
/// AWS_KINESISVIDEO_FRAGMENT_NUMBER, _SERVER_TIMESTAMP and _PRODUCER_TIMESTAMP; after it
/// AWS_KINESISVIDEO_MILLIS_BEHIND_NOW and _CONTINUATION_TOKEN.
/// </summary>
/// <remarks>Timestamps are seconds since the epoch with a millisecond fraction ("1519079134.123"), as KVS writes them.</remarks>
internal static class KvsFragmentTags
{
    public static byte[] Before(StoredFragment fragment) => Tags(
        (KvsFragmentTagNames.FragmentNumber, fragment.FragmentNumber),
        (KvsFragmentTagNames.ServerTimestamp, MediaStore.FormatSeconds(fragment.ServerTimestamp)),
        (KvsFragmentTagNames.ProducerTimestamp, MediaStore.FormatSeconds(fragment.ProducerTimestamp)));

    public static byte[] After(long millisBehindNow, string continuationToken) => Tags(
        (KvsFragmentTagNames.MillisBehindNow, millisBehindNow.ToString(CultureInfo.InvariantCulture)),
        (KvsFragmentTagNames.ContinuationToken, continuationToken));

    private static byte[] Tags(params (string Name, string Value)[] tags)
    {
        using var tag = new MemoryStream();
        WriteElement(tag, MkvElementIds.Targets, []);
        foreach (var (name, value) in tags)
        {
            using var simple = new MemoryStream();
            WriteElement(simple, MkvElementIds.TagName, Encoding.UTF8.GetBytes(name));
            WriteElement(simple, MkvElementIds.TagString, Encoding.UTF8.GetBytes(value));
            WriteElement(tag, MkvElementIds.SimpleTag, simple.ToArray());
        }
        using var result = new MemoryStream();
        using var tagElement = new MemoryStream();
        WriteElement(tagElement, MkvElementIds.Tag, tag.ToArray());
        WriteElement(result, MkvElementIds.Tags, tagElement.ToArray());
        return result.ToArray();
    }

    private static void WriteElement(Stream output, uint id, ReadOnlySpan<byte> body)
    {
        Span<byte> header = stackalloc byte[12];
        int idLength = id > 0xFFFFFF ? 4 : id > 0xFFFF ? 3 : id > 0xFF ? 2 : 1;
        for (int i = 0; i < idLength; i++) header[i] = (byte)(id >> (8 * (idLength - 1 - i)));
        // An 8-byte size keeps the writer simple; readers accept any size length.
        BinaryPrimitives.WriteInt64BigEndian(header.Slice(idLength, 8), body.Length);
        header[idLength] = 0x01;
        output.Write(header.Slice(0, idLength + 8));
        output.Write(body);
    }
}
