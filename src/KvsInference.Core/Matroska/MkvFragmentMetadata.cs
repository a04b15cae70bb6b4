using System.Globalization;
using KvsInference.Kvs;

namespace KvsInference.Matroska;

/// <summary>
/// The Kinesis Video Streams fragment tags (AWS_KINESISVIDEO_*) that GetMedia and GetMediaForFragmentList add to each fragment.
/// </summary>
/// <remarks>
/// KVS writes every value as a string: timestamps as seconds with a fraction (<c>"1598299264.432"</c>), the fragment
/// number as a long decimal string (kept exactly: it is the checkpoint). GetMedia sends the fragment number and
/// timestamps at the start of a fragment and MILLIS_BEHIND_NOW / CONTINUATION_TOKEN later; the parser raises
/// <see cref="IMkvHandler.OnFragmentMetadata"/> after each Tags element with the values of the Segment so far
/// (<see cref="IsEndOfFragment"/> tells the tags after the Cluster).
/// GetMediaForFragmentList spells the timestamps <c>..._SERVER_SIDE_TIMESTAMP</c> / <c>..._PRODUCER_SIDE_TIMESTAMP</c>; both are read.
/// </remarks>
public sealed class MkvFragmentMetadata
{
    /// <summary>Gets the fragment number (AWS_KINESISVIDEO_FRAGMENT_NUMBER), exactly as sent, or null.</summary>
    /// <value>A decimal string such as <c>91343852333181432392682062607743920146527525587</c>.</value>
    public string? FragmentNumber { get; internal set; }

    /// <summary>Gets the server timestamp as sent (seconds with a fraction), or null.</summary>
    /// <value>For example <c>1598299264.432</c>.</value>
    public string? ServerTimestampText { get; internal set; }

    /// <summary>Gets the producer timestamp as sent (seconds with a fraction), or null.</summary>
    /// <value>For example <c>1598299263.953</c>.</value>
    public string? ProducerTimestampText { get; internal set; }

    /// <summary>Gets the server timestamp in seconds since the Unix epoch, or null when absent or not a number.</summary>
    /// <value>Exact decimal seconds.</value>
    public decimal? ServerTimestampSeconds => ParseSeconds(ServerTimestampText);

    /// <summary>Gets the producer timestamp in seconds since the Unix epoch, or null when absent or not a number.</summary>
    /// <value>Exact decimal seconds.</value>
    public decimal? ProducerTimestampSeconds => ParseSeconds(ProducerTimestampText);

    /// <summary>Gets the server timestamp as a time, or null.</summary>
    /// <value>UTC, millisecond precision as KVS sends it.</value>
    public DateTimeOffset? ServerTimestamp => ToTime(ServerTimestampSeconds);

    /// <summary>Gets the producer timestamp as a time, or null.</summary>
    /// <value>UTC, millisecond precision as KVS sends it.</value>
    public DateTimeOffset? ProducerTimestamp => ToTime(ProducerTimestampSeconds);

    /// <summary>Gets AWS_KINESISVIDEO_MILLIS_BEHIND_NOW, or null.</summary>
    /// <value>Milliseconds between this fragment and the newest one of the stream.</value>
    public long? MillisBehindNow { get; internal set; }

    /// <summary>Gets AWS_KINESISVIDEO_CONTINUATION_TOKEN (a StartSelector to resume GetMedia), or null.</summary>
    /// <value>An opaque string.</value>
    public string? ContinuationToken { get; internal set; }

    /// <summary>Gets AWS_KINESISVIDEO_ERROR_CODE (or EXCEPTION_ERROR_CODE), or null when no error was reported.</summary>
    /// <value>The error description KVS sent.</value>
    public string? ErrorCode { get; internal set; }

    /// <summary>Gets AWS_KINESISVIDEO_ERROR_ID (or EXCEPTION_MESSAGE), or null when no error was reported.</summary>
    /// <value>The error identifier KVS sent (e.g. 4000: fragment not found).</value>
    public string? ErrorId { get; internal set; }

    /// <summary>Gets whether the Tags element just read ends its fragment: it held AWS_KINESISVIDEO_MILLIS_BEHIND_NOW or
    /// AWS_KINESISVIDEO_CONTINUATION_TOKEN, which KVS writes after the fragment's Cluster. Every frame of the fragment
    /// came before it, so a consumer can finish (and checkpoint) the fragment here instead of waiting for the next one.</summary>
    /// <value>True for the end-of-fragment tags; false for the tags KVS sends before the Cluster.</value>
    public bool IsEndOfFragment { get; internal set; }

    /// <summary>Gets whether KVS reported an error in this fragment.</summary>
    /// <value>True when ERROR_CODE or ERROR_ID is present.</value>
    public bool HasError => ErrorCode is not null || ErrorId is not null;

    /// <summary>Sets the field named by a KVS tag; returns false for a name that is not a KVS fragment tag.</summary>
    internal bool TrySet(string name, string? value)
    {
        switch (name)
        {
            case KvsFragmentTagNames.FragmentNumber: FragmentNumber = value; return true;
            case KvsFragmentTagNames.ServerTimestamp:
            case KvsFragmentTagNames.ServerSideTimestamp: ServerTimestampText = value; return true;
            case KvsFragmentTagNames.ProducerTimestamp:
            case KvsFragmentTagNames.ProducerSideTimestamp: ProducerTimestampText = value; return true;
            case KvsFragmentTagNames.MillisBehindNow:
                MillisBehindNow = long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long ms) ? ms : null;
                return true;
            case KvsFragmentTagNames.ContinuationToken: ContinuationToken = value; return true;
            case KvsFragmentTagNames.ErrorCode:
            case KvsFragmentTagNames.ExceptionErrorCode: ErrorCode = value; return true;
            case KvsFragmentTagNames.ErrorId:
            case KvsFragmentTagNames.ExceptionMessage: ErrorId = value; return true;
            default: return false;
        }
    }

    /// <summary>A copy, so that a handler may keep the instance it was given.</summary>
    internal MkvFragmentMetadata Clone() => (MkvFragmentMetadata)MemberwiseClone();

    private static decimal? ParseSeconds(string? text) =>
        decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal seconds) ? seconds : null;

    private static DateTimeOffset? ToTime(decimal? seconds) =>
        seconds is { } s && s >= 0 && s < 253402300799m
            ? DateTimeOffset.UnixEpoch.AddTicks((long)(s * TimeSpan.TicksPerSecond))
            : null;
}
