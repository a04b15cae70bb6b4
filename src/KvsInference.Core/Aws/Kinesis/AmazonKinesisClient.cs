using System.Text.Json.Serialization.Metadata;
using KvsInference.Aws.Generated.Kinesis;
using Microsoft.Extensions.Logging;

namespace KvsInference.Aws.Kinesis;

/// <summary>Settings of <see cref="AmazonKinesisClient"/>.</summary>
public sealed class KinesisClientOptions : AwsClientOptions;

/// <summary>
/// A thin client of Kinesis Data Streams (AWS JSON 1.1: <c>POST /</c>, <c>X-Amz-Target: Kinesis_20131202.&lt;Operation&gt;</c>,
/// <c>application/x-amz-json-1.1</c>, signing name <c>kinesis</c>) on the types generated from the official model.
/// </summary>
public sealed class AmazonKinesisClient : AwsServiceClient, IAmazonKinesis
{
    private const string TargetPrefix = "Kinesis_20131202.";
    /// <summary>Creates the client.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="timeProvider">The clock of retries and timeouts, or null for the system clock.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    /// <exception cref="InvalidOperationException">No region could be resolved, or an endpoint variable is malformed.</exception>
    public AmazonKinesisClient(KinesisClientOptions options, TimeProvider? timeProvider = null, ILogger<AmazonKinesisClient>? logger = null)
        : base(AwsServiceDescriptor.Kinesis, options, timeProvider, logger)
    {
    }

    /// <inheritdoc/>
    public Task<CreateStreamResponse> CreateStreamAsync(CreateStreamRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.StreamName, nameof(request.StreamName));
        return CallAsync("CreateStream", request, Json.CreateStreamRequest, Json.CreateStreamResponse, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<DescribeStreamSummaryResponse> DescribeStreamSummaryAsync(DescribeStreamSummaryRequest request, CancellationToken cancellationToken = default)
    {
        ThrowIfNoStream(request, request?.StreamName, request?.StreamARN);
        var response = await CallAsync("DescribeStreamSummary", request!, Json.DescribeStreamSummaryRequest, Json.DescribeStreamSummaryResponse, cancellationToken).ConfigureAwait(false);
        return response.StreamDescriptionSummary is null
            ? throw new AwsProtocolException("kinesis:DescribeStreamSummary answered without StreamDescriptionSummary.")
            : response;
    }

    /// <inheritdoc/>
    public Task<ListShardsResponse> ListShardsAsync(ListShardsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.NextToken is null) ThrowIfNoStream(request, request.StreamName, request.StreamARN);
        return CallAsync("ListShards", request, Json.ListShardsRequest, Json.ListShardsResponse, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<GetShardIteratorResponse> GetShardIteratorAsync(GetShardIteratorRequest request, CancellationToken cancellationToken = default)
    {
        ThrowIfNoStream(request, request?.StreamName, request?.StreamARN);
        ArgumentException.ThrowIfNullOrWhiteSpace(request!.ShardId, nameof(request.ShardId));
        ArgumentException.ThrowIfNullOrWhiteSpace(request.ShardIteratorType, nameof(request.ShardIteratorType));
        var response = await CallAsync("GetShardIterator", request, Json.GetShardIteratorRequest, Json.GetShardIteratorResponse, cancellationToken).ConfigureAwait(false);
        return response.ShardIterator is null ? throw new AwsProtocolException("kinesis:GetShardIterator answered without ShardIterator.") : response;
    }

    /// <inheritdoc/>
    public async Task<GetRecordsResponse> GetRecordsAsync(GetRecordsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.ShardIterator, nameof(request.ShardIterator));
        var response = await CallAsync("GetRecords", request, Json.GetRecordsRequest, Json.GetRecordsResponse, cancellationToken).ConfigureAwait(false);
        response.Records ??= [];
        return response;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The request has no records or more than 500.</exception>
    public async Task<PutRecordsResponse> PutRecordsAsync(PutRecordsRequest request, CancellationToken cancellationToken = default)
    {
        ThrowIfNoStream(request, request?.StreamName, request?.StreamARN);
        var count = request!.Records?.Count ?? 0;
        if (count is 0 or > 500) throw new ArgumentException($"PutRecords takes 1 to 500 records, not {count}.", nameof(request));
        var response = await CallAsync("PutRecords", request, Json.PutRecordsRequest, Json.PutRecordsResponse, cancellationToken).ConfigureAwait(false);
        response.Records ??= [];
        return response;
    }

    private static void ThrowIfNoStream(object? request, string? streamName, string? streamArn)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(streamName) && string.IsNullOrWhiteSpace(streamArn))
        {
            throw new ArgumentException($"{request.GetType().Name} needs StreamName or StreamARN.", nameof(request));
        }
    }

    private static KinesisModelJsonContext Json => KinesisModelJsonContext.Default;

    private Task<TOut> CallAsync<TIn, TOut>(string operation, TIn input, JsonTypeInfo<TIn> inType, JsonTypeInfo<TOut> outType, CancellationToken cancellationToken) =>
        Pipeline.SendJsonAsync("kinesis:" + operation, Pipeline.Endpoint, TargetPrefix + operation, input, inType, outType, cancellationToken);
}
