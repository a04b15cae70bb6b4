namespace KvsInference.Matroska;

/// <summary>
/// Receives what <see cref="MkvStreamParser"/> reads, in stream order. Implement the methods you need; the others do nothing.
/// </summary>
/// <remarks>
/// The parser calls the handler synchronously from the thread that feeds it. A frame's payload is borrowed from
/// the input buffer and is valid only during <see cref="OnFrame"/>. An exception from a handler stops the parser.
/// </remarks>
public interface IMkvHandler
{
    /// <summary>Called at the start of each Segment, after its EBML header was checked.</summary>
    /// <param name="segment">The DocType, offset and index of the Segment.</param>
    void OnSegmentStart(in MkvSegmentStart segment) { }

    /// <summary>Called at the end of an Info element.</summary>
    /// <param name="info">The TimestampScale and Duration.</param>
    void OnSegmentInfo(in MkvSegmentInfo info) { }

    /// <summary>Called at the end of each TrackEntry (KVS repeats the Tracks in every fragment).</summary>
    /// <param name="track">The track; the same instance is given to frames of that track.</param>
    void OnTrack(MkvTrackInfo track) { }

    /// <summary>Called for each frame (each lace of a laced block).</summary>
    /// <param name="frame">The frame; its payload is borrowed from the buffer.</param>
    void OnFrame(in MkvFrame frame);

    /// <summary>Called at the end of each SimpleTag.</summary>
    /// <param name="tag">The tag.</param>
    void OnSimpleTag(MkvSimpleTag tag) { }

    /// <summary>Called after a Tags element that held AWS_KINESISVIDEO_* tags, with all such values of the Segment so far.</summary>
    /// <param name="metadata">A new instance each time; it may be kept.</param>
    void OnFragmentMetadata(MkvFragmentMetadata metadata) { }

    /// <summary>Called at the end of each Segment (by size, by the next EBML header, or at the end of the stream).</summary>
    void OnSegmentEnd() { }
}
