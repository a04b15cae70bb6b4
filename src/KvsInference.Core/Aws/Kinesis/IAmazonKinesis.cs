using KvsInference.Aws.Generated.Kinesis;

namespace KvsInference.Aws.Kinesis;

/// <summary>
/// The Kinesis Data Streams operations this project uses, shaped like aws-sdk-net's <c>Amazon.Kinesis.IAmazonKinesis</c>:
/// one method per operation on the request and response types generated from the official model.
/// </summary>
/// <remarks>Every method throws <see cref="AwsServiceException"/> (or a subclass named after the modelled error) when the
/// service refuses the call after retries, and <see cref="ArgumentException"/> when a required member is missing.</remarks>
public interface IAmazonKinesis : IDisposable
{
    /// <summary>Creates a provisioned stream (CreateStream).</summary>
    /// <param name="request">StreamName and ShardCount.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The (empty) answer.</returns>
    /// <exception cref="AwsResourceInUseException">The stream exists.</exception>
    Task<CreateStreamResponse> CreateStreamAsync(CreateStreamRequest request, CancellationToken cancellationToken = default);

    /// <summary>Describes a stream (DescribeStreamSummary).</summary>
    /// <param name="request">StreamName or StreamARN.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The answer; its StreamDescriptionSummary is present.</returns>
    /// <exception cref="AwsResourceNotFoundException">The stream does not exist.</exception>
    Task<DescribeStreamSummaryResponse> DescribeStreamSummaryAsync(DescribeStreamSummaryRequest request, CancellationToken cancellationToken = default);

    /// <summary>Lists one page of shards (ListShards); with NextToken the stream name must be absent.</summary>
    /// <param name="request">StreamName, or NextToken of the previous page.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page.</returns>
    Task<ListShardsResponse> ListShardsAsync(ListShardsRequest request, CancellationToken cancellationToken = default);

    /// <summary>Gets a shard iterator (GetShardIterator).</summary>
    /// <param name="request">Stream, shard, iterator type (<see cref="KinesisShardIteratorType"/>) and its position.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The answer; its ShardIterator is present.</returns>
    Task<GetShardIteratorResponse> GetShardIteratorAsync(GetShardIteratorRequest request, CancellationToken cancellationToken = default);

    /// <summary>Reads records from a shard iterator (GetRecords).</summary>
    /// <param name="request">ShardIterator and Limit.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The records (Records is never null) and the next iterator (null once a closed shard is read to its end).</returns>
    Task<GetRecordsResponse> GetRecordsAsync(GetRecordsRequest request, CancellationToken cancellationToken = default);

    /// <summary>Writes 1 to 500 records in one call (PutRecords); a partial failure is reported per entry, not thrown.</summary>
    /// <param name="request">The stream and the entries.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One result per entry, in request order (Records is never null).</returns>
    Task<PutRecordsResponse> PutRecordsAsync(PutRecordsRequest request, CancellationToken cancellationToken = default);
}

/// <summary>The iterator types of GetShardIterator (the <c>ShardIteratorType</c> enum of the model).</summary>
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
