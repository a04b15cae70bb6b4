using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;

namespace KvsInference.Aws.Kinesis;

/// <summary>Settings of <see cref="KinesisClient"/>.</summary>
public sealed class KinesisClientOptions : AwsClientOptions;

/// <summary>The Kinesis Data Streams calls this project uses.</summary>
public interface IKinesisClient
{
    /// <summary>Writes up to 500 records in one call (PutRecords); a partial failure is reported per entry, not thrown.</summary>
    /// <param name="request">The records.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One result per entry, in request order.</returns>
    /// <exception cref="AwsServiceException">The whole call failed (after retries).</exception>
    Task<KinesisPutRecordsResponse> PutRecordsAsync(KinesisPutRecordsRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// A thin typed client of Kinesis Data Streams (AWS JSON 1.1: <c>POST /</c>, <c>X-Amz-Target: Kinesis_20131202.&lt;Operation&gt;</c>,
/// <c>application/x-amz-json-1.1</c>, signing name <c>kinesis</c>).
/// </summary>
public sealed class KinesisClient : IKinesisClient, IDisposable
{
    private const string TargetPrefix = "Kinesis_20131202.";
    private readonly AwsHttpPipeline _pipeline;
    private readonly TimeProvider _time;

    /// <summary>Creates the client.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="timeProvider">The clock of retries and timeouts, or null for the system clock.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    /// <exception cref="InvalidOperationException">No region could be resolved, or an endpoint variable is malformed.</exception>
    public KinesisClient(KinesisClientOptions options, TimeProvider? timeProvider = null, ILogger<KinesisClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _time = timeProvider ?? TimeProvider.System;
        _pipeline = new AwsHttpPipeline(AwsServiceDescriptor.Kinesis, options, _time, logger);
    }

    /// <summary>Gets the endpoint in use.</summary>
    public Uri Endpoint => _pipeline.Endpoint;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The request has no records or more than 500.</exception>
    public Task<KinesisPutRecordsResponse> PutRecordsAsync(KinesisPutRecordsRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Records.Count is 0 or > 500) throw new ArgumentException($"PutRecords takes 1 to 500 records, not {request.Records.Count}.", nameof(request));
        return CallAsync("PutRecords", request, Json.KinesisPutRecordsRequest, Json.KinesisPutRecordsResponse, cancellationToken);
    }

    /// <summary>Creates a stream (CreateStream, provisioned with <paramref name="shardCount"/> shards).</summary>
    /// <param name="streamName">The name.</param>
    /// <param name="shardCount">The number of shards.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="AwsResourceInUseException">The stream exists.</exception>
    /// <exception cref="AwsServiceException">The service refused the call.</exception>
    public async Task CreateStreamAsync(string streamName, int shardCount, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(streamName);
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        await CallAsync("CreateStream", new KinesisCreateStreamInput { StreamName = streamName, ShardCount = shardCount },
            Json.KinesisCreateStreamInput, Json.KinesisEmptyOutput, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Describes a stream (DescribeStreamSummary).</summary>
    /// <param name="streamName">The name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The summary.</returns>
    /// <exception cref="AwsResourceNotFoundException">The stream does not exist.</exception>
    public async Task<KinesisStreamSummary> DescribeStreamSummaryAsync(string streamName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(streamName);
        var output = await CallAsync("DescribeStreamSummary", new KinesisStreamNameInput { StreamName = streamName },
            Json.KinesisStreamNameInput, Json.KinesisDescribeStreamSummaryOutput, cancellationToken).ConfigureAwait(false);
        return output.StreamDescriptionSummary ?? throw new AwsProtocolException("kinesis:DescribeStreamSummary answered without StreamDescriptionSummary.");
    }

    /// <summary>Waits until the stream is ACTIVE, polling DescribeStreamSummary.</summary>
    /// <param name="streamName">The name.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="TimeoutException">The stream did not become active in time.</exception>
    public async Task WaitForActiveAsync(string streamName, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + timeout;
        while (true)
        {
            var summary = await DescribeStreamSummaryAsync(streamName, cancellationToken).ConfigureAwait(false);
            if (summary.StreamStatus == "ACTIVE") return;
            if (_time.GetUtcNow() > deadline) throw new TimeoutException($"Kinesis stream '{streamName}' is still {summary.StreamStatus} after {timeout}.");
            await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Lists every shard of a stream (ListShards), following NextToken.</summary>
    /// <param name="streamName">The name.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>The shards.</returns>
    public async Task<IReadOnlyList<KinesisShard>> ListShardsAsync(string streamName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(streamName);
        var shards = new List<KinesisShard>();
        string? token = null;
        do
        {
            // With a NextToken the stream name must be absent (API rule).
            var input = token is null ? new KinesisListShardsInput { StreamName = streamName } : new KinesisListShardsInput { NextToken = token };
            var output = await CallAsync("ListShards", input, Json.KinesisListShardsInput, Json.KinesisListShardsOutput, cancellationToken).ConfigureAwait(false);
            shards.AddRange(output.Shards ?? []);
            token = string.IsNullOrEmpty(output.NextToken) ? null : output.NextToken;
        }
        while (token is not null);
        return shards;
    }

    /// <summary>Gets a shard iterator (GetShardIterator).</summary>
    /// <param name="streamName">The stream.</param>
    /// <param name="shardId">The shard.</param>
    /// <param name="iteratorType">One of <see cref="KinesisShardIteratorType"/>.</param>
    /// <param name="startingSequenceNumber">The sequence number for AT/AFTER_SEQUENCE_NUMBER, else null.</param>
    /// <param name="timestamp">The time for AT_TIMESTAMP, else null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The iterator.</returns>
    public async Task<string> GetShardIteratorAsync(string streamName, string shardId, string iteratorType, string? startingSequenceNumber,
        DateTimeOffset? timestamp, CancellationToken cancellationToken)
    {
        var output = await CallAsync("GetShardIterator", new KinesisGetShardIteratorInput
        {
            StreamName = streamName,
            ShardId = shardId,
            ShardIteratorType = iteratorType,
            StartingSequenceNumber = startingSequenceNumber,
            Timestamp = timestamp,
        }, Json.KinesisGetShardIteratorInput, Json.KinesisGetShardIteratorOutput, cancellationToken).ConfigureAwait(false);
        return output.ShardIterator ?? throw new AwsProtocolException("kinesis:GetShardIterator answered without ShardIterator.");
    }

    /// <summary>Reads records from a shard iterator (GetRecords).</summary>
    /// <param name="shardIterator">The iterator.</param>
    /// <param name="limit">The most records (1-10000), or null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The records and the next iterator.</returns>
    public Task<KinesisGetRecordsResponse> GetRecordsAsync(string shardIterator, int? limit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(shardIterator);
        return CallAsync("GetRecords", new KinesisGetRecordsInput { ShardIterator = shardIterator, Limit = limit },
            Json.KinesisGetRecordsInput, Json.KinesisGetRecordsResponse, cancellationToken);
    }

    private static KinesisJsonContext Json => KinesisJsonContext.Default;

    private Task<TOut> CallAsync<TIn, TOut>(string operation, TIn input, JsonTypeInfo<TIn> inType, JsonTypeInfo<TOut> outType, CancellationToken cancellationToken) =>
        _pipeline.SendJsonAsync("kinesis:" + operation, _pipeline.Endpoint, TargetPrefix + operation, input, inType, outType, cancellationToken);

    /// <inheritdoc/>
    public void Dispose() => _pipeline.Dispose();
}
