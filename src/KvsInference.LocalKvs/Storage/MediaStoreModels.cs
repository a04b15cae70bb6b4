using KvsInference.Kvs;
namespace KvsInference.LocalKvs.Storage;

/// <summary>One stored fragment (one Cluster of a PutMedia upload), as ListFragments reports it.</summary>
/// <param name="FragmentNumber">The fragment number (a 47-digit decimal string).</param>
/// <param name="ProducerTimestamp">The producer timestamp: the Cluster timecode, plus the producer start time for RELATIVE uploads.</param>
/// <param name="ServerTimestamp">When the store started receiving the fragment.</param>
/// <param name="Duration">From the first frame to the end of the last frame.</param>
/// <param name="SizeBytes">The size of the stored fragment (EBML header, Segment start, Info, Tracks, Cluster).</param>
/// <param name="ClusterOffset">Where the Cluster starts in the stored fragment file; the KVS tags go before it.</param>
/// <param name="FragmentTimecodeMs">The Cluster timecode in milliseconds as the producer wrote it.</param>
public sealed record StoredFragment(
    string FragmentNumber,
    DateTimeOffset ProducerTimestamp,
    DateTimeOffset ServerTimestamp,
    TimeSpan Duration,
    long SizeBytes,
    long ClusterOffset,
    long FragmentTimecodeMs);

/// <summary>A stream as DescribeStream reports it (StreamInfo).</summary>
/// <param name="StreamName">The name.</param>
/// <param name="StreamArn">The ARN.</param>
/// <param name="DeviceName">The DeviceName given at creation, or null.</param>
/// <param name="MediaType">The MediaType given at creation, or null.</param>
/// <param name="KmsKeyId">The KMS key id (the KVS default alias when none was given).</param>
/// <param name="DataRetentionInHours">Hours fragments are kept; 0 keeps them only for live readers.</param>
/// <param name="Status">ACTIVE (streams are created and deleted at once).</param>
/// <param name="Version">Changes on every update of the stream.</param>
/// <param name="CreationTime">When the stream was created.</param>
public sealed record KvsStreamDescription(
    string StreamName,
    string StreamArn,
    string? DeviceName,
    string? MediaType,
    string KmsKeyId,
    int DataRetentionInHours,
    string Status,
    string Version,
    DateTimeOffset CreationTime);

/// <summary>A GetMedia StartSelector.</summary>
/// <param name="Type">Where to start.</param>
/// <param name="AfterFragmentNumber">For <see cref="StartSelectorType.FragmentNumber"/>.</param>
/// <param name="StartTimestamp">For the timestamp selectors.</param>
/// <param name="ContinuationToken">For <see cref="StartSelectorType.ContinuationToken"/>: the AWS_KINESISVIDEO_CONTINUATION_TOKEN of a fragment.</param>
public sealed record StartSelector(
    KvsStartSelectorType Type,
    string? AfterFragmentNumber = null,
    DateTimeOffset? StartTimestamp = null,
    string? ContinuationToken = null);

/// <summary>The PutMedia acknowledgement event types.</summary>
public enum PutMediaAckEventType
{
    /// <summary>The store started receiving a fragment.</summary>
    Buffering,
    /// <summary>The fragment was received whole and parsed.</summary>
    Received,
    /// <summary>The fragment is on disk (fsync'd) and readable.</summary>
    Persisted,
    /// <summary>The upload failed; see the error id. The connection ends after it.</summary>
    Error,
    /// <summary>Keep-alive while the producer sends nothing.</summary>
    Idle,
}

/// <summary>One PutMedia acknowledgement, written as one JSON line in the response.</summary>
/// <param name="EventType">The event.</param>
/// <param name="FragmentTimecodeMs">The Cluster timecode (ms) the event is about, or null.</param>
/// <param name="FragmentNumber">The fragment number, or null.</param>
/// <param name="ErrorId">For <see cref="PutMediaAckEventType.Error"/>: 4000-4011, 45xx or 5000-5001 (see <see cref="PutMediaErrorIds"/>).</param>
/// <param name="Message">For errors: what was wrong (an addition to the KVS shape).</param>
public sealed record PutMediaAck(
    PutMediaAckEventType EventType,
    long? FragmentTimecodeMs,
    string? FragmentNumber,
    int? ErrorId = null,
    string? Message = null)
{
    /// <summary>Gets the KVS ErrorCode name of <see cref="ErrorId"/>.</summary>
    /// <value>For example INVALID_MKV_DATA; null when there is no error.</value>
    public string? ErrorCode => ErrorId is { } id ? PutMediaErrorIds.Name(id) : null;
}

/// <summary>The PutMedia acknowledgement error ids KVS documents, with their ErrorCode names.</summary>
public static class PutMediaErrorIds
{
    /// <summary>4000: error reading the upload (it stopped, or timed out).</summary>
    public const int StreamReadError = 4000;
    /// <summary>4001: a fragment is larger than the limit.</summary>
    public const int MaxFragmentSizeReached = 4001;
    /// <summary>4002: a fragment lasts longer than the limit.</summary>
    public const int MaxFragmentDurationReached = 4002;
    /// <summary>4003: the connection lasted longer than allowed.</summary>
    public const int MaxConnectionDurationReached = 4003;
    /// <summary>4004: a fragment timecode is lower than the previous one.</summary>
    public const int FragmentTimecodeLesserThanPrevious = 4004;
    /// <summary>4005: more tracks than allowed (3).</summary>
    public const int MoreThanAllowedTracksFound = 4005;
    /// <summary>4006: the upload is not valid MKV (also: codec data changing within an upload).</summary>
    public const int InvalidMkvData = 4006;
    /// <summary>4007: the producer timestamp is invalid.</summary>
    public const int InvalidProducerTimestamp = 4007;
    /// <summary>4008: the stream is not active (deleted).</summary>
    public const int StreamNotActive = 4008;
    /// <summary>4009: too many fragment metadata tags.</summary>
    public const int FragmentMetadataLimitReached = 4009;
    /// <summary>4010: a block names a track the Tracks element does not declare.</summary>
    public const int TrackNumberMismatch = 4010;
    /// <summary>4011: a declared track has no frame in the fragment.</summary>
    public const int FramesMissingForTrack = 4011;
    /// <summary>5000: internal error.</summary>
    public const int InternalError = 5000;
    /// <summary>5001: storing the fragment failed.</summary>
    public const int ArchivalError = 5001;

    /// <summary>The ErrorCode name KVS uses for an error id.</summary>
    /// <param name="errorId">The error id.</param>
    /// <returns>The name, or UNKNOWN_ERROR.</returns>
    public static string Name(int errorId) => errorId switch
    {
        4000 => "STREAM_READ_ERROR",
        4001 => "MAX_FRAGMENT_SIZE_REACHED",
        4002 => "MAX_FRAGMENT_DURATION_REACHED",
        4003 => "MAX_CONNECTION_DURATION_REACHED",
        4004 => "FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS",
        4005 => "MORE_THAN_ALLOWED_TRACKS_FOUND",
        4006 => "INVALID_MKV_DATA",
        4007 => "INVALID_PRODUCER_TIMESTAMP",
        4008 => "STREAM_NOT_ACTIVE",
        4009 => "FRAGMENT_METADATA_LIMIT_REACHED",
        4010 => "TRACK_NUMBER_MISMATCH",
        4011 => "FRAMES_MISSING_FOR_TRACK",
        4500 => "KMS_KEY_ACCESS_DENIED",
        4501 => "KMS_KEY_DISABLED",
        4502 => "KMS_KEY_VALIDATION_ERROR",
        4503 => "KMS_KEY_UNAVAILABLE",
        4504 => "KMS_KEY_INVALID_USAGE",
        4505 => "KMS_KEY_INVALID_STATE",
        4506 => "KMS_KEY_NOT_FOUND",
        5000 => "INTERNAL_ERROR",
        5001 => "ARCHIVAL_ERROR",
        _ => "UNKNOWN_ERROR",
    };
}

/// <summary>How PutMedia cluster timecodes are to be read (x-amzn-fragment-timecode-type).</summary>
public enum FragmentTimecodeType
{
    /// <summary>Timecodes are milliseconds since the Unix epoch (with the Segment's TimestampScale).</summary>
    Absolute,
    /// <summary>Timecodes are relative to x-amzn-producer-start-timestamp.</summary>
    Relative,
}

/// <summary>An error that ends a PutMedia upload with an ERROR acknowledgement.</summary>
internal sealed class PutMediaException(int errorId, string message, long? fragmentTimecodeMs = null) : Exception(message)
{
    public int ErrorId { get; } = errorId;
    public long? FragmentTimecodeMs { get; } = fragmentTimecodeMs;
}
