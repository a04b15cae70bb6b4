using System.Text.Json.Serialization;

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

/// <summary>The PutMedia acknowledgement (PutMedia has no official model, so this is the one KVS wire shape written by hand).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KvsAcknowledgement))]
internal sealed partial class KvsPutMediaJsonContext : JsonSerializerContext;
