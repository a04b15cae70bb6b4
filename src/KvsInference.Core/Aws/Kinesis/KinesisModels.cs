using System.Text.Json.Serialization;

namespace KvsInference.Aws.Kinesis;

/// <summary>One entry of PutRecords.</summary>
public sealed class KinesisPutRecordsEntry
{
    /// <summary>Gets the record bytes (sent base64-encoded; at most 1 MiB together with the partition key).</summary>
    public required byte[] Data { get; init; }
    /// <summary>Gets the partition key (1-256 characters).</summary>
    public required string PartitionKey { get; init; }
    /// <summary>Gets the explicit hash key, or null.</summary>
    public string? ExplicitHashKey { get; init; }
}

/// <summary>PutRecords parameters.</summary>
public sealed class KinesisPutRecordsRequest
{
    /// <summary>Gets the stream name (or set <see cref="StreamArn"/>).</summary>
    public string? StreamName { get; init; }
    /// <summary>Gets the stream ARN.</summary>
    [JsonPropertyName("StreamARN")] public string? StreamArn { get; init; }
    /// <summary>Gets the entries (1-500).</summary>
    public required IReadOnlyList<KinesisPutRecordsEntry> Records { get; init; }
}

/// <summary>The result of one PutRecords entry: a sequence number, or an error code.</summary>
public sealed class KinesisPutRecordsResultEntry
{
    /// <summary>Gets the sequence number on success.</summary>
    public string? SequenceNumber { get; init; }
    /// <summary>Gets the shard on success.</summary>
    public string? ShardId { get; init; }
    /// <summary>Gets the error code on failure (ProvisionedThroughputExceededException, InternalFailure).</summary>
    public string? ErrorCode { get; init; }
    /// <summary>Gets the error message on failure.</summary>
    public string? ErrorMessage { get; init; }
}

/// <summary>The PutRecords answer: one result per entry, in request order.</summary>
public sealed class KinesisPutRecordsResponse
{
    /// <summary>Gets how many entries failed.</summary>
    public int FailedRecordCount { get; init; }
    /// <summary>Gets the per-entry results.</summary>
    public IReadOnlyList<KinesisPutRecordsResultEntry> Records { get; init; } = [];
    /// <summary>Gets the encryption type.</summary>
    public string? EncryptionType { get; init; }
}

/// <summary>DescribeStreamSummary's <c>StreamDescriptionSummary</c>.</summary>
public sealed class KinesisStreamSummary
{
    /// <summary>Gets the stream name.</summary>
    public string StreamName { get; init; } = "";
    /// <summary>Gets the stream ARN.</summary>
    [JsonPropertyName("StreamARN")] public string StreamArn { get; init; } = "";
    /// <summary>Gets CREATING, DELETING, ACTIVE or UPDATING.</summary>
    public string StreamStatus { get; init; } = "";
    /// <summary>Gets the number of open shards.</summary>
    public int OpenShardCount { get; init; }
    /// <summary>Gets the retention in hours.</summary>
    public int RetentionPeriodHours { get; init; }
    /// <summary>Gets the creation time.</summary>
    [JsonConverter(typeof(AwsEpochSecondsConverter))] public DateTimeOffset? StreamCreationTimestamp { get; init; }
}

/// <summary>A shard as ListShards describes it.</summary>
public sealed class KinesisShard
{
    /// <summary>Gets the shard id.</summary>
    public string ShardId { get; init; } = "";
    /// <summary>Gets the parent shard id, or null.</summary>
    public string? ParentShardId { get; init; }
    /// <summary>Gets the hash key range.</summary>
    public KinesisHashKeyRange? HashKeyRange { get; init; }
    /// <summary>Gets the sequence number range.</summary>
    public KinesisSequenceNumberRange? SequenceNumberRange { get; init; }
}

/// <summary>A shard's hash key range (decimal strings).</summary>
public sealed class KinesisHashKeyRange
{
    /// <summary>Gets the first hash key.</summary>
    public string StartingHashKey { get; init; } = "";
    /// <summary>Gets the last hash key.</summary>
    public string EndingHashKey { get; init; } = "";
}

/// <summary>A shard's sequence number range.</summary>
public sealed class KinesisSequenceNumberRange
{
    /// <summary>Gets the first sequence number.</summary>
    public string StartingSequenceNumber { get; init; } = "";
    /// <summary>Gets the last sequence number of a closed shard, or null.</summary>
    public string? EndingSequenceNumber { get; init; }
}

/// <summary>GetShardIterator's iterator types.</summary>
public static class KinesisShardIteratorType
{
    /// <summary>From the oldest record kept.</summary>
    public const string TrimHorizon = "TRIM_HORIZON";
    /// <summary>After the newest record.</summary>
    public const string Latest = "LATEST";
    /// <summary>At a sequence number.</summary>
    public const string AtSequenceNumber = "AT_SEQUENCE_NUMBER";
    /// <summary>After a sequence number.</summary>
    public const string AfterSequenceNumber = "AFTER_SEQUENCE_NUMBER";
    /// <summary>At a timestamp.</summary>
    public const string AtTimestamp = "AT_TIMESTAMP";
}

/// <summary>A record GetRecords returned.</summary>
public sealed class KinesisRecord
{
    /// <summary>Gets the record bytes (decoded from base64).</summary>
    public byte[] Data { get; init; } = [];
    /// <summary>Gets the partition key.</summary>
    public string PartitionKey { get; init; } = "";
    /// <summary>Gets the sequence number.</summary>
    public string SequenceNumber { get; init; } = "";
    /// <summary>Gets the approximate arrival time.</summary>
    [JsonConverter(typeof(AwsEpochSecondsConverter))] public DateTimeOffset? ApproximateArrivalTimestamp { get; init; }
}

/// <summary>The GetRecords answer.</summary>
public sealed class KinesisGetRecordsResponse
{
    /// <summary>Gets the records.</summary>
    public IReadOnlyList<KinesisRecord> Records { get; init; } = [];
    /// <summary>Gets the iterator of the next call, or null when the shard is closed and read to its end.</summary>
    public string? NextShardIterator { get; init; }
    /// <summary>Gets how far behind the tip this read is, in milliseconds.</summary>
    public long? MillisBehindLatest { get; init; }
}

internal sealed class KinesisCreateStreamInput
{
    public required string StreamName { get; init; }
    public int? ShardCount { get; init; }
}

internal sealed class KinesisStreamNameInput
{
    public string? StreamName { get; init; }
    [JsonPropertyName("StreamARN")] public string? StreamArn { get; init; }
}

internal sealed class KinesisDescribeStreamSummaryOutput
{
    public KinesisStreamSummary? StreamDescriptionSummary { get; init; }
}

internal sealed class KinesisListShardsInput
{
    public string? StreamName { get; init; }
    public string? NextToken { get; init; }
    public int? MaxResults { get; init; }
}

internal sealed class KinesisListShardsOutput
{
    public List<KinesisShard>? Shards { get; init; }
    public string? NextToken { get; init; }
}

internal sealed class KinesisGetShardIteratorInput
{
    public required string StreamName { get; init; }
    public required string ShardId { get; init; }
    public required string ShardIteratorType { get; init; }
    public string? StartingSequenceNumber { get; init; }
    [JsonConverter(typeof(AwsEpochSecondsConverter))] public DateTimeOffset? Timestamp { get; init; }
}

internal sealed class KinesisGetShardIteratorOutput
{
    public string? ShardIterator { get; init; }
}

internal sealed class KinesisGetRecordsInput
{
    public required string ShardIterator { get; init; }
    public int? Limit { get; init; }
}

internal sealed class KinesisEmptyOutput;

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KinesisPutRecordsRequest))]
[JsonSerializable(typeof(KinesisPutRecordsResponse))]
[JsonSerializable(typeof(KinesisCreateStreamInput))]
[JsonSerializable(typeof(KinesisStreamNameInput))]
[JsonSerializable(typeof(KinesisDescribeStreamSummaryOutput))]
[JsonSerializable(typeof(KinesisListShardsInput))]
[JsonSerializable(typeof(KinesisListShardsOutput))]
[JsonSerializable(typeof(KinesisGetShardIteratorInput))]
[JsonSerializable(typeof(KinesisGetShardIteratorOutput))]
[JsonSerializable(typeof(KinesisGetRecordsInput))]
[JsonSerializable(typeof(KinesisGetRecordsResponse))]
[JsonSerializable(typeof(KinesisEmptyOutput))]
internal sealed partial class KinesisJsonContext : JsonSerializerContext;
