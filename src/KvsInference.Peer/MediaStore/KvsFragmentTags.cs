using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace KvsInference.Peer.MediaStore;

/// <summary>
/// Builds the Tags elements KVS puts around each fragment of GetMedia output: before the Cluster
/// AWS_KINESISVIDEO_FRAGMENT_NUMBER, _SERVER_TIMESTAMP and _PRODUCER_TIMESTAMP; after it
/// AWS_KINESISVIDEO_MILLIS_BEHIND_NOW and _CONTINUATION_TOKEN.
/// </summary>
/// <remarks>Timestamps are seconds since the epoch with a millisecond fraction ("1519079134.123"), as KVS writes them.</remarks>
internal static class KvsFragmentTags
{
    private const uint TagsId = 0x1254C367;
    private const uint TagId = 0x7373;
    private const uint TargetsId = 0x63C0;
    private const uint SimpleTagId = 0x67C8;
    private const uint TagNameId = 0x45A3;
    private const uint TagStringId = 0x4487;

    public static byte[] Before(StoredFragment fragment) => Before(fragment.FragmentNumber, fragment.ServerTimestamp, fragment.ProducerTimestamp);

    public static byte[] Before(string fragmentNumber, DateTimeOffset serverTimestamp, DateTimeOffset producerTimestamp) => Tags(
        ("AWS_KINESISVIDEO_FRAGMENT_NUMBER", fragmentNumber),
        ("AWS_KINESISVIDEO_SERVER_TIMESTAMP", MediaStore.FormatSeconds(serverTimestamp)),
        ("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP", MediaStore.FormatSeconds(producerTimestamp)));

    public static byte[] After(long millisBehindNow, string continuationToken) => Tags(
        ("AWS_KINESISVIDEO_MILLIS_BEHIND_NOW", millisBehindNow.ToString(CultureInfo.InvariantCulture)),
        ("AWS_KINESISVIDEO_CONTINUATION_TOKEN", continuationToken));

    private static byte[] Tags(params (string Name, string Value)[] tags)
    {
        using var tag = new MemoryStream();
        WriteElement(tag, TargetsId, []);
        foreach (var (name, value) in tags)
        {
            using var simple = new MemoryStream();
            WriteElement(simple, TagNameId, Encoding.UTF8.GetBytes(name));
            WriteElement(simple, TagStringId, Encoding.UTF8.GetBytes(value));
            WriteElement(tag, SimpleTagId, simple.ToArray());
        }
        using var result = new MemoryStream();
        using var tagElement = new MemoryStream();
        WriteElement(tagElement, TagId, tag.ToArray());
        WriteElement(result, TagsId, tagElement.ToArray());
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
