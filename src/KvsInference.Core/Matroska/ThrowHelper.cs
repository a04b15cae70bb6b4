using System.Diagnostics.CodeAnalysis;

namespace KvsInference.Matroska;

/// <summary>
/// Every exception of the Matroska reader is thrown here, so that the hot paths stay small
/// (a call to a method that does not return is cheaper to inline around than a throw).
/// </summary>
internal static class ThrowHelper
{
    internal static string Hex(uint id) => "0x" + id.ToString("X", System.Globalization.CultureInfo.InvariantCulture);

    [DoesNotReturn]
    public static void ThrowMkvFormatException_Truncated(long position, long elementOffset, uint id, long neededEnd) =>
        throw new MkvFormatException(
            $"Unexpected end of data: element {Hex(id)} needs the bytes up to offset {neededEnd}, but the data ends at {position}.",
            position, elementOffset);

    [DoesNotReturn]
    public static void ThrowMkvFormatException_TruncatedHeader(long position, long elementOffset) =>
        throw new MkvFormatException(
            "Unexpected end of data inside an element header: expected an element ID and size.", position, elementOffset);

    [DoesNotReturn]
    public static void ThrowMkvFormatException_InvalidId(long position, byte first) =>
        throw new MkvFormatException(
            $"Expected an element ID (a 1 to 4 byte EBML variable-size integer, not all zero or all one bits), found first byte 0x{first:X2}.",
            position, position);

    [DoesNotReturn]
    public static void ThrowMkvFormatException_InvalidIdValue(long position, uint id) =>
        throw new MkvFormatException(
            $"Expected an element ID, found the reserved value {Hex(id)} (all data bits zero or one).", position, position);

    [DoesNotReturn]
    public static void ThrowMkvFormatException_InvalidSize(long position, long elementOffset, uint id) =>
        throw new MkvFormatException(
            $"Expected the size of element {Hex(id)} (a 1 to 8 byte EBML variable-size integer), found a zero first byte.",
            position, elementOffset);

    [DoesNotReturn]
    public static void ThrowMkvFormatException_SizePastParent(long elementOffset, uint id, long end, uint parentId, long parentEnd) =>
        throw new MkvFormatException(
            $"Element {Hex(id)} ends at offset {end}, past the end of its parent {Hex(parentId)} at offset {parentEnd}.",
            elementOffset, elementOffset);

    [DoesNotReturn]
    public static void ThrowMkvFormatException_SizeOverCap(long elementOffset, uint id, long size, long cap) =>
        throw new MkvFormatException(
            $"Element {Hex(id)} has {size} bytes, more than the configured maximum of {cap} bytes (MkvReaderOptions.MaxElementSizeBytes).",
            elementOffset, elementOffset);

    [DoesNotReturn]
    public static void ThrowMkvFormatException_UnknownSizeNotAllowed(long elementOffset, uint id) =>
        throw new MkvFormatException(
            $"Element {Hex(id)} has an unknown size; only Segment and Cluster may have an unknown size.",
            elementOffset, elementOffset);

    [DoesNotReturn]
    public static void ThrowMkvFormatException_MissingEbmlHeader(long elementOffset, uint id) =>
        throw new MkvFormatException(
            $"Expected an EBML header (0x1A45DFA3) before the Segment, found element {Hex(id)}.",
            elementOffset, elementOffset);

    [DoesNotReturn]
    public static void ThrowMkvFormatException_UnexpectedTopLevel(long elementOffset, uint id) =>
        throw new MkvFormatException(
            $"Expected an EBML header (0x1A45DFA3) or a Segment (0x18538067) at the top level, found element {Hex(id)}.",
            elementOffset, elementOffset);

    [DoesNotReturn]
    public static void ThrowMkvFormatException_NotAllowedInside(long elementOffset, uint id, uint parentId) =>
        throw new MkvFormatException(
            $"Element {Hex(id)} may only occur at the top level, found inside element {Hex(parentId)}.",
            elementOffset, elementOffset);

    [DoesNotReturn]
    public static void ThrowMkvFormatException_BadValueLength(long elementOffset, uint id, long length, string expected) =>
        throw new MkvFormatException(
            $"Element {Hex(id)} has {length} bytes; expected {expected}.", elementOffset, elementOffset);

    [DoesNotReturn]
    public static void ThrowMkvFormatException_UnsupportedDocType(long elementOffset, string docType) =>
        throw new MkvFormatException(
            $"Expected DocType \"matroska\" or \"webm\" in the EBML header, found \"{docType}\".", elementOffset, elementOffset);

    [DoesNotReturn]
    public static void ThrowMkvFormatException_UnsupportedEbml(long elementOffset, string what) =>
        throw new MkvFormatException($"Unsupported EBML header: {what}.", elementOffset, elementOffset);

    [DoesNotReturn]
    public static void ThrowMkvFormatException_BadBlock(long elementOffset, string what) =>
        throw new MkvFormatException($"Invalid block: {what}.", elementOffset, elementOffset);

    [DoesNotReturn]
    public static void ThrowMkvFormatException_BadTrack(long elementOffset, string what) =>
        throw new MkvFormatException($"Invalid TrackEntry: {what}.", elementOffset, elementOffset);

    [DoesNotReturn]
    public static void ThrowInvalidOperationException_NotAValue(MkvTokenType tokenType) =>
        throw new InvalidOperationException($"The current token is {tokenType}; values can only be read when the token is {nameof(MkvTokenType.Value)}.");

    [DoesNotReturn]
    public static void ThrowInvalidOperationException_NoContiguousPayload() =>
        throw new InvalidOperationException("The payload crosses buffer segments: use Payload (a ReadOnlySequence) or GetPayload(scratch).");

    [DoesNotReturn]
    public static void ThrowInvalidOperationException_ParserFaulted() =>
        throw new InvalidOperationException("The parser stopped at a format error (or a handler exception) and cannot continue; create a new parser.");

    [DoesNotReturn]
    public static void ThrowInvalidOperationException_ParserCompleted() =>
        throw new InvalidOperationException("The parser already read its final block; create a new parser for more data.");

    [DoesNotReturn]
    public static void ThrowArgumentException_ScratchTooSmall(int needed) =>
        throw new ArgumentException($"The scratch buffer must hold at least {needed} bytes.", "scratch");
}
