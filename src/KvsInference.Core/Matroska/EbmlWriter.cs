using System.Buffers.Binary;
using System.Text;

namespace KvsInference.Matroska;

/// <summary>
/// Writes EBML elements, the counterpart of <see cref="MkvReader"/>: IDs (with their length marker, as
/// <see cref="MkvElementIds"/> holds them), sizes as variable-size integers of the smallest length, and the common
/// value types. Used by the local media store (the KVS fragment tags), the tests' and benches' media builders.
/// </summary>
/// <remarks>Each method returns a new array; the writer is for headers and tags, not for the frames of a stream.</remarks>
public static class EbmlWriter
{
    /// <summary>The largest size an 8-byte variable-size integer holds (all ones means "unknown size").</summary>
    public const long MaxSize = (1L << 56) - 2;

    /// <summary>Gets the unknown-size marker as live producers write it: 8 bytes, all data bits set.</summary>
    public static ReadOnlySpan<byte> UnknownSize => [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];

    /// <summary>Gets the number of bytes of an element ID.</summary>
    /// <param name="id">The ID with its length marker, e.g. <see cref="MkvElementIds.Cluster"/>.</param>
    /// <returns>1 to 4.</returns>
    public static int IdLength(uint id) => id >= 0x1000000 ? 4 : id >= 0x10000 ? 3 : id >= 0x100 ? 2 : 1;

    /// <summary>Writes an element ID.</summary>
    /// <param name="id">The ID with its length marker.</param>
    /// <returns>Its bytes, big-endian.</returns>
    public static byte[] Id(uint id)
    {
        int length = IdLength(id);
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = (byte)(id >> (8 * (length - 1 - i)));
        return bytes;
    }

    /// <summary>Writes a size as a variable-size integer.</summary>
    /// <param name="size">The size, 0 to <see cref="MaxSize"/>.</param>
    /// <param name="length">The length in bytes (1 to 8), or 0 for the smallest that holds <paramref name="size"/>.</param>
    /// <returns>The bytes.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The size is negative or does not fit, or the length is not 0 to 8.</exception>
    public static byte[] Size(long size, int length = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, MaxSize);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 8);
        // All data bits set is the unknown-size marker, so a length holds sizes up to 2^(7 length) - 2.
        int smallest = 1;
        while (size >= (1L << (7 * smallest)) - 1) smallest++;
        if (length == 0) length = smallest;
        else if (length < smallest) throw new ArgumentOutOfRangeException(nameof(length), length, $"A size of {size} needs {smallest} bytes.");
        var bytes = new byte[length];
        ulong value = (ulong)size | (1UL << (7 * length));
        for (int i = 0; i < length; i++) bytes[i] = (byte)(value >> (8 * (length - 1 - i)));
        return bytes;
    }

    /// <summary>Writes an element: ID, size, body.</summary>
    /// <param name="id">The ID with its length marker.</param>
    /// <param name="body">The body.</param>
    /// <returns>The element's bytes.</returns>
    public static byte[] Element(uint id, ReadOnlySpan<byte> body)
    {
        var size = Size(body.Length);
        var result = new byte[IdLength(id) + size.Length + body.Length];
        Id(id).CopyTo(result, 0);
        size.CopyTo(result, IdLength(id));
        body.CopyTo(result.AsSpan(IdLength(id) + size.Length));
        return result;
    }

    /// <summary>Writes a master element of known size holding <paramref name="children"/>.</summary>
    /// <param name="id">The ID with its length marker.</param>
    /// <param name="children">The child elements, already written.</param>
    /// <returns>The element's bytes.</returns>
    public static byte[] Master(uint id, params ReadOnlySpan<byte[]> children)
    {
        int length = 0;
        foreach (var child in children) length += child.Length;
        var body = new byte[length];
        int offset = 0;
        foreach (var child in children)
        {
            child.CopyTo(body, offset);
            offset += child.Length;
        }
        return Element(id, body);
    }

    /// <summary>Writes an unsigned integer element (big-endian, smallest length).</summary>
    /// <param name="id">The ID with its length marker.</param>
    /// <param name="value">The value.</param>
    /// <returns>The element's bytes.</returns>
    public static byte[] UInt(uint id, ulong value)
    {
        int length = 1;
        while (length < 8 && value >> (8 * length) != 0) length++;
        Span<byte> data = stackalloc byte[length];
        for (int i = 0; i < length; i++) data[i] = (byte)(value >> (8 * (length - 1 - i)));
        return Element(id, data);
    }

    /// <summary>Writes a signed integer element (8 bytes, big-endian).</summary>
    /// <param name="id">The ID with its length marker.</param>
    /// <param name="value">The value.</param>
    /// <returns>The element's bytes.</returns>
    public static byte[] Int(uint id, long value)
    {
        Span<byte> data = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(data, value);
        return Element(id, data);
    }

    /// <summary>Writes a float element (8 bytes, big-endian).</summary>
    /// <param name="id">The ID with its length marker.</param>
    /// <param name="value">The value.</param>
    /// <returns>The element's bytes.</returns>
    public static byte[] Float(uint id, double value)
    {
        Span<byte> data = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(data, value);
        return Element(id, data);
    }

    /// <summary>Writes a UTF-8 string element.</summary>
    /// <param name="id">The ID with its length marker.</param>
    /// <param name="value">The text.</param>
    /// <returns>The element's bytes.</returns>
    public static byte[] String(uint id, string value) => Element(id, Encoding.UTF8.GetBytes(value));

    /// <summary>
    /// Writes a Tags element with one Tag (empty Targets: the whole Segment) of SimpleTags, as KVS writes its fragment
    /// tags (names in <see cref="Kvs.KvsFragmentTagNames"/>).
    /// </summary>
    /// <param name="tags">The (TagName, TagString) pairs.</param>
    /// <returns>The element's bytes.</returns>
    public static byte[] Tags(params ReadOnlySpan<(string Name, string Value)> tags)
    {
        var children = new byte[tags.Length + 1][];
        children[0] = Element(MkvElementIds.Targets, []);
        for (int i = 0; i < tags.Length; i++)
        {
            children[i + 1] = Master(MkvElementIds.SimpleTag, String(MkvElementIds.TagName, tags[i].Name), String(MkvElementIds.TagString, tags[i].Value));
        }
        return Master(MkvElementIds.Tags, Master(MkvElementIds.Tag, children));
    }
}
