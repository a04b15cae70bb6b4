namespace KvsInference.Matroska;

/// <summary>How the reader treats an element: enter it, deliver its bytes, or skip it.</summary>
internal enum MkvElementKind : byte
{
    /// <summary>Skipped without buffering (Void, CRC-32, Cues, SeekHead, Chapters, Attachments, unknown IDs).</summary>
    Skip = 0,
    /// <summary>A master element the reader enters: its children are read one by one.</summary>
    Master = 1,
    /// <summary>An element whose whole body is delivered as one value (integers, strings, blocks).</summary>
    Value = 2,
}

/// <summary>The Matroska/EBML element IDs the reader knows (IDs keep their length marker, as in the specification).</summary>
public static class MkvElementIds
{
#pragma warning disable CS1591 // The names are the specification's element names; a comment each would repeat them.
    public const uint Ebml = 0x1A45DFA3;
    public const uint EbmlVersion = 0x4286;
    public const uint EbmlReadVersion = 0x42F7;
    public const uint EbmlMaxIdLength = 0x42F2;
    public const uint EbmlMaxSizeLength = 0x42F3;
    public const uint DocType = 0x4282;
    public const uint DocTypeVersion = 0x4287;
    public const uint DocTypeReadVersion = 0x4285;
    public const uint Void = 0xEC;
    public const uint Crc32 = 0xBF;

    public const uint Segment = 0x18538067;
    public const uint SeekHead = 0x114D9B74;
    public const uint Info = 0x1549A966;
    public const uint TimestampScale = 0x2AD7B1;
    public const uint Duration = 0x4489;
    public const uint Tracks = 0x1654AE6B;
    public const uint TrackEntry = 0xAE;
    public const uint TrackNumber = 0xD7;
    public const uint TrackUid = 0x73C5;
    public const uint TrackType = 0x83;
    public const uint CodecId = 0x86;
    public const uint CodecPrivate = 0x63A2;
    public const uint CodecDelay = 0x56AA;
    public const uint SeekPreRoll = 0x56BB;
    public const uint DefaultDuration = 0x23E383;
    public const uint Name = 0x536E;
    public const uint Language = 0x22B59C;
    public const uint Video = 0xE0;
    public const uint PixelWidth = 0xB0;
    public const uint PixelHeight = 0xBA;
    public const uint Audio = 0xE1;
    public const uint SamplingFrequency = 0xB5;
    public const uint OutputSamplingFrequency = 0x78B5;
    public const uint Channels = 0x9F;
    public const uint BitDepth = 0x6264;
    public const uint Cues = 0x1C53BB6B;
    public const uint Chapters = 0x1043A770;
    public const uint Attachments = 0x1941A469;
    public const uint Tags = 0x1254C367;
    public const uint Tag = 0x7373;
    public const uint Targets = 0x63C0;
    public const uint SimpleTag = 0x67C8;
    public const uint TagName = 0x45A3;
    public const uint TagString = 0x4487;
    public const uint TagBinary = 0x4485;
    public const uint Cluster = 0x1F43B675;
    public const uint Timestamp = 0xE7;
    public const uint SimpleBlock = 0xA3;
    public const uint BlockGroup = 0xA0;
    public const uint Block = 0xA1;
    public const uint BlockDuration = 0x9B;
    public const uint ReferenceBlock = 0xFB;
    public const uint DiscardPadding = 0x75A2;
#pragma warning restore CS1591

    /// <summary>What the reader does with an element, from its ID alone.</summary>
    /// <remarks>
    /// BlockGroup is delivered whole (not entered) so that its Block, which usually comes before
    /// BlockDuration/ReferenceBlock/DiscardPadding, is still in the buffer when the group is complete.
    /// </remarks>
    internal static MkvElementKind GetKind(uint id)
    {
        switch (id)
        {
            case SimpleBlock:
            case Timestamp:
            case BlockGroup:
            case Block:
            case BlockDuration:
            case ReferenceBlock:
            case DiscardPadding:
            case EbmlVersion:
            case EbmlReadVersion:
            case EbmlMaxIdLength:
            case EbmlMaxSizeLength:
            case DocType:
            case DocTypeVersion:
            case DocTypeReadVersion:
            case TimestampScale:
            case Duration:
            case TrackNumber:
            case TrackUid:
            case TrackType:
            case CodecId:
            case CodecPrivate:
            case CodecDelay:
            case SeekPreRoll:
            case DefaultDuration:
            case Name:
            case Language:
            case PixelWidth:
            case PixelHeight:
            case SamplingFrequency:
            case OutputSamplingFrequency:
            case Channels:
            case BitDepth:
            case TagName:
            case TagString:
            case TagBinary:
                return MkvElementKind.Value;
            case Cluster:
            case Ebml:
            case Segment:
            case Info:
            case Tracks:
            case TrackEntry:
            case Audio:
            case Video:
            case Tags:
            case Tag:
            case SimpleTag:
                return MkvElementKind.Master;
            default:
                return MkvElementKind.Skip;
        }
    }

    /// <summary>True for the IDs that only occur at the top of the stream (EBML header, Segment).</summary>
    internal static bool IsTopLevel(uint id) => id is Ebml or Segment;

    /// <summary>True for the IDs that are children of a Segment (and so end an unknown-size Cluster).</summary>
    internal static bool IsSegmentChild(uint id) =>
        id is Cluster or SeekHead or Info or Tracks or Cues or Tags or Chapters or Attachments;

    /// <summary>
    /// Whether an element with ID <paramref name="id"/> may continue an unknown-size element <paramref name="parentId"/>.
    /// An unknown-size element ends where an element begins that cannot be its child (Matroska, "Unknown size").
    /// </summary>
    internal static bool CanContinueUnknownSize(uint parentId, uint id)
    {
        if (IsTopLevel(id)) return false;
        return parentId != Cluster || !IsSegmentChild(id);
    }
}
