namespace KvsInference.Matroska;

/// <summary>One SimpleTag of a Tags element: a name and a string or binary value.</summary>
/// <param name="Name">The TagName.</param>
/// <param name="StringValue">The TagString, or null.</param>
/// <param name="BinaryValue">The TagBinary, or null.</param>
/// <param name="Depth">0 for a SimpleTag directly in a Tag, 1 or more for a nested SimpleTag.</param>
public sealed record MkvSimpleTag(string Name, string? StringValue, byte[]? BinaryValue, int Depth);

/// <summary>The EBML header and start of a Segment.</summary>
/// <param name="DocType">The DocType of the EBML header: <c>matroska</c> or <c>webm</c>.</param>
/// <param name="DocTypeVersion">The DocTypeVersion.</param>
/// <param name="Offset">The absolute offset of the Segment element.</param>
/// <param name="Index">0 for the first Segment of the stream, 1 for the next (KVS sends one per fragment).</param>
/// <param name="HasUnknownSize">True for a live Segment whose size is not written.</param>
public readonly record struct MkvSegmentStart(string DocType, ulong DocTypeVersion, long Offset, int Index, bool HasUnknownSize);

/// <summary>The Info element of a Segment.</summary>
/// <param name="TimestampScaleNs">Nanoseconds per timestamp unit (1 000 000 by default).</param>
/// <param name="DurationNs">The Segment duration in nanoseconds, or -1 when absent (live streams).</param>
public readonly record struct MkvSegmentInfo(ulong TimestampScaleNs, long DurationNs);
