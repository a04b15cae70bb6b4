using System.Text.Json.Serialization;
using KvsInference.Kvs;

namespace KvsInference.Aws.KinesisVideo;

/// <summary>The KVS data-plane API names GetDataEndpoint accepts.</summary>
public static class KvsApiName
{
    /// <summary>GetMedia (live and from a start selector).</summary>
    public const string GetMedia = "GET_MEDIA";
    /// <summary>PutMedia (ingest).</summary>
    public const string PutMedia = "PUT_MEDIA";
    /// <summary>ListFragments (archived media).</summary>
    public const string ListFragments = "LIST_FRAGMENTS";
    /// <summary>GetMediaForFragmentList (archived media).</summary>
    public const string GetMediaForFragmentList = "GET_MEDIA_FOR_FRAGMENT_LIST";
}

/// <summary>A stream as DescribeStream / ListStreams describe it (<c>StreamInfo</c>).</summary>
public sealed class KvsStreamDescription
{
    /// <summary>Gets the stream name.</summary>
    public string StreamName { get; init; } = "";
    /// <summary>Gets the stream ARN.</summary>
    [JsonPropertyName("StreamARN")] public string StreamArn { get; init; } = "";
    /// <summary>Gets CREATING, ACTIVE, UPDATING or DELETING.</summary>
    public string Status { get; init; } = "";
    /// <summary>Gets the creation time.</summary>
    [JsonConverter(typeof(AwsEpochSecondsConverter))] public DateTimeOffset? CreationTime { get; init; }
    /// <summary>Gets the retention in hours (0: no retention).</summary>
    public int DataRetentionInHours { get; init; }
    /// <summary>Gets the media type, e.g. <c>audio/webm</c>.</summary>
    public string? MediaType { get; init; }
    /// <summary>Gets the device name.</summary>
    public string? DeviceName { get; init; }
    /// <summary>Gets the KMS key id.</summary>
    public string? KmsKeyId { get; init; }
    /// <summary>Gets the stream version.</summary>
    public string? Version { get; init; }
}

/// <summary>A page of ListStreams.</summary>
/// <param name="Streams">The streams of this page.</param>
/// <param name="NextToken">The token of the next page, or null at the end.</param>
public sealed record KvsStreamPage(IReadOnlyList<KvsStreamDescription> Streams, string? NextToken);

/// <summary>CreateStream parameters.</summary>
public sealed class KvsCreateStreamRequest
{
    /// <summary>Gets the stream name (1-256 of [a-zA-Z0-9_.-]).</summary>
    public required string StreamName { get; init; }
    /// <summary>Gets the retention in hours (0: none).</summary>
    public int DataRetentionInHours { get; init; }
    /// <summary>Gets the media type, e.g. <c>audio/webm</c>.</summary>
    public string? MediaType { get; init; }
    /// <summary>Gets the device name.</summary>
    public string? DeviceName { get; init; }
    /// <summary>Gets the KMS key id.</summary>
    public string? KmsKeyId { get; init; }
    /// <summary>Gets the tags.</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; init; }
}

/// <summary>A fragment as ListFragments describes it.</summary>
public sealed class KvsFragment
{
    /// <summary>Gets the fragment number (decimal digits, increasing with ingestion order).</summary>
    public string FragmentNumber { get; init; } = "";
    /// <summary>Gets the size in bytes.</summary>
    public long FragmentSizeInBytes { get; init; }
    /// <summary>Gets the producer timestamp.</summary>
    [JsonConverter(typeof(AwsEpochSecondsConverter))] public DateTimeOffset? ProducerTimestamp { get; init; }
    /// <summary>Gets the server timestamp.</summary>
    [JsonConverter(typeof(AwsEpochSecondsConverter))] public DateTimeOffset? ServerTimestamp { get; init; }
    /// <summary>Gets the duration in milliseconds.</summary>
    public long FragmentLengthInMilliseconds { get; init; }
}

/// <summary>Which clock a ListFragments timestamp range refers to.</summary>
public enum KvsTimestampOrigin
{
    /// <summary>SERVER_TIMESTAMP.</summary>
    Server,
    /// <summary>PRODUCER_TIMESTAMP.</summary>
    Producer,
}

/// <summary>A page of ListFragments.</summary>
/// <param name="Fragments">The fragments of this page, in the order the service returned them (not sorted).</param>
/// <param name="NextToken">The token of the next page, or null at the end.</param>
public sealed record KvsFragmentPage(IReadOnlyList<KvsFragment> Fragments, string? NextToken);

/// <summary>A PutMedia acknowledgement event type.</summary>
public enum KvsAckEventType
{
    /// <summary>An event type this client does not know.</summary>
    Unknown,
    /// <summary>The fragment started buffering on the ingestion host.</summary>
    Buffering,
    /// <summary>The fragment was received and parsed.</summary>
    Received,
    /// <summary>The fragment was persisted.</summary>
    Persisted,
    /// <summary>The fragment failed; see <see cref="KvsAcknowledgement.ErrorId"/>.</summary>
    Error,
    /// <summary>Keep-alive while no fragment is being processed.</summary>
    Idle,
}

/// <summary>One PutMedia acknowledgement: <c>{"EventType":..,"FragmentTimecode":..,"FragmentNumber":..,"ErrorId":..}</c>.</summary>
public sealed class KvsAcknowledgement
{
    /// <summary>Gets the raw event type, e.g. <c>PERSISTED</c>.</summary>
    [JsonPropertyName("EventType")] public string EventTypeName { get; init; } = "";

    /// <summary>Gets the event type.</summary>
    [JsonIgnore]
    public KvsAckEventType EventType => EventTypeName switch
    {
        "BUFFERING" => KvsAckEventType.Buffering,
        "RECEIVED" => KvsAckEventType.Received,
        "PERSISTED" => KvsAckEventType.Persisted,
        "ERROR" => KvsAckEventType.Error,
        "IDLE" => KvsAckEventType.Idle,
        _ => KvsAckEventType.Unknown,
    };

    /// <summary>Gets the fragment's timecode as the producer sent it.</summary>
    public long? FragmentTimecode { get; init; }

    /// <summary>Gets the fragment number KVS assigned.</summary>
    public string? FragmentNumber { get; init; }

    /// <summary>Gets the error id (ERROR events), e.g. 4004.</summary>
    public int? ErrorId { get; init; }
}

/// <summary>How PutMedia fragment timecodes are to be read.</summary>
public enum KvsFragmentTimecodeType
{
    /// <summary>Timecodes are absolute (ABSOLUTE).</summary>
    Absolute,
    /// <summary>Timecodes are relative to the producer start timestamp (RELATIVE).</summary>
    Relative,
}

/// <summary>PutMedia parameters.</summary>
public sealed class KvsPutMediaRequest
{
    /// <summary>Gets the stream name (or set <see cref="StreamArn"/>).</summary>
    public string? StreamName { get; init; }
    /// <summary>Gets the stream ARN (or set <see cref="StreamName"/>).</summary>
    public string? StreamArn { get; init; }
    /// <summary>Gets how timecodes are read.</summary>
    /// <value>The default value is <see cref="KvsFragmentTimecodeType.Relative"/>.</value>
    public KvsFragmentTimecodeType FragmentTimecodeType { get; init; } = KvsFragmentTimecodeType.Relative;
    /// <summary>Gets the producer start time (required with relative timecodes).</summary>
    public DateTimeOffset? ProducerStartTimestamp { get; init; }
    /// <summary>Gets the MKV body, read to its end and sent with chunked transfer encoding while it is produced.</summary>
    public required Stream Payload { get; init; }
}

/// <summary>Internal wire shapes of the KVS JSON bodies.</summary>
internal sealed class KvsListStreamsInput
{
    public int? MaxResults { get; init; }
    public string? NextToken { get; init; }
    public KvsStreamNameCondition? StreamNameCondition { get; init; }
}

internal sealed class KvsStreamNameCondition
{
    public string ComparisonOperator { get; init; } = "BEGINS_WITH";
    public required string ComparisonValue { get; init; }
}

internal sealed class KvsListStreamsOutput
{
    public List<KvsStreamDescription>? StreamInfoList { get; init; }
    public string? NextToken { get; init; }
}

internal sealed class KvsStreamRef
{
    [JsonPropertyName("StreamName")] public string? StreamName { get; init; }
    [JsonPropertyName("StreamARN")] public string? StreamArn { get; init; }
    [JsonPropertyName("NextToken")] public string? NextToken { get; init; }
}

internal sealed class KvsDescribeStreamOutput
{
    public KvsStreamDescription? StreamInfo { get; init; }
}

internal sealed class KvsListTagsOutput
{
    public Dictionary<string, string>? Tags { get; init; }
    public string? NextToken { get; init; }
}

internal sealed class KvsCreateStreamOutput
{
    [JsonPropertyName("StreamARN")] public string? StreamArn { get; init; }
}

internal sealed class KvsGetDataEndpointInput
{
    [JsonPropertyName("APIName")] public required string ApiName { get; init; }
    public string? StreamName { get; init; }
    [JsonPropertyName("StreamARN")] public string? StreamArn { get; init; }
}

internal sealed class KvsGetDataEndpointOutput
{
    public string? DataEndpoint { get; init; }
}

internal sealed class KvsGetMediaInput
{
    public string? StreamName { get; init; }
    [JsonPropertyName("StreamARN")] public string? StreamArn { get; init; }
    public required KvsStartSelectorInput StartSelector { get; init; }
}

/// <summary>The wire shape of <see cref="KvsStartSelector"/> (timestamps in epoch seconds).</summary>
internal sealed class KvsStartSelectorInput
{
    public required string StartSelectorType { get; init; }
    public string? AfterFragmentNumber { get; init; }
    public string? ContinuationToken { get; init; }
    [JsonConverter(typeof(AwsEpochSecondsConverter))] public DateTimeOffset? StartTimestamp { get; init; }

    public static KvsStartSelectorInput From(KvsStartSelector selector) => new()
    {
        StartSelectorType = selector.StartSelectorType,
        AfterFragmentNumber = selector.AfterFragmentNumber,
        ContinuationToken = selector.ContinuationToken,
        StartTimestamp = selector.StartTimestamp,
    };
}

internal sealed class KvsListFragmentsInput
{
    public string? StreamName { get; init; }
    [JsonPropertyName("StreamARN")] public string? StreamArn { get; init; }
    public int? MaxResults { get; init; }
    public string? NextToken { get; init; }
    public KvsFragmentSelector? FragmentSelector { get; init; }
}

internal sealed class KvsFragmentSelector
{
    public required string FragmentSelectorType { get; init; }
    public required KvsTimestampRange TimestampRange { get; init; }
}

internal sealed class KvsTimestampRange
{
    [JsonConverter(typeof(AwsEpochSecondsConverter))] public DateTimeOffset? StartTimestamp { get; init; }
    [JsonConverter(typeof(AwsEpochSecondsConverter))] public DateTimeOffset? EndTimestamp { get; init; }
}

internal sealed class KvsListFragmentsOutput
{
    public List<KvsFragment>? Fragments { get; init; }
    public string? NextToken { get; init; }
}

internal sealed class KvsGetMediaForFragmentListInput
{
    public string? StreamName { get; init; }
    [JsonPropertyName("StreamARN")] public string? StreamArn { get; init; }
    public required IReadOnlyList<string> Fragments { get; init; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KvsListStreamsInput))]
[JsonSerializable(typeof(KvsListStreamsOutput))]
[JsonSerializable(typeof(KvsStreamRef))]
[JsonSerializable(typeof(KvsDescribeStreamOutput))]
[JsonSerializable(typeof(KvsListTagsOutput))]
[JsonSerializable(typeof(KvsCreateStreamRequest))]
[JsonSerializable(typeof(KvsCreateStreamOutput))]
[JsonSerializable(typeof(KvsGetDataEndpointInput))]
[JsonSerializable(typeof(KvsGetDataEndpointOutput))]
[JsonSerializable(typeof(KvsGetMediaInput))]
[JsonSerializable(typeof(KvsListFragmentsInput))]
[JsonSerializable(typeof(KvsListFragmentsOutput))]
[JsonSerializable(typeof(KvsGetMediaForFragmentListInput))]
[JsonSerializable(typeof(KvsAcknowledgement))]
[JsonSerializable(typeof(Generated.KinesisVideo.DeleteStreamRequest))]
[JsonSerializable(typeof(Generated.KinesisVideo.DeleteStreamResponse))]
internal sealed partial class KinesisVideoJsonContext : JsonSerializerContext;
