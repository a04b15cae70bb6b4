using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using KvsInference.Validation;
using Microsoft.Extensions.Logging;

namespace KvsInference.Aws.KinesisVideo;

/// <summary>
/// A thin typed client of Kinesis Video Streams (REST-JSON, signing name <c>kinesisvideo</c>): the control plane
/// (ListStreams, DescribeStream, ListTagsForStream, CreateStream, GetDataEndpoint) and the data plane (GetMedia,
/// ListFragments, GetMediaForFragmentList, PutMedia) on the endpoints GetDataEndpoint returns, cached per stream and API.
/// </summary>
/// <remarks>
/// Wherever a stream is named by a <c>stream</c> argument, a value starting with <c>arn:</c> is sent as <c>StreamARN</c>
/// and anything else as <c>StreamName</c>. Control-plane calls and the connection phase of data-plane calls are retried
/// by <see cref="AwsResilience"/>; a streaming body, once returned, is not (the caller resumes with a start selector).
/// PutMedia is never retried because its body is consumed as it is sent.
/// </remarks>
public sealed partial class KinesisVideoClient : IDisposable
{
    private const string Service = "kinesisvideo";
    private readonly AwsHttpPipeline _pipeline;
    private readonly KinesisVideoClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly ConcurrentDictionary<(string Stream, string Api), (Uri Endpoint, DateTimeOffset Expires)> _endpoints = new();

    /// <summary>Creates the client.</summary>
    /// <param name="options">The settings; region, endpoint and credentials are resolved now (credentials lazily on first call).</param>
    /// <param name="timeProvider">The clock for retries, timeouts and the endpoint cache, or null for the system clock.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    /// <exception cref="InvalidOperationException">No region could be resolved, or an endpoint variable is malformed.</exception>
    public KinesisVideoClient(KinesisVideoClientOptions options, TimeProvider? timeProvider = null, ILogger<KinesisVideoClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        OptionsValidator.Validate(options);
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger;
        _pipeline = new AwsHttpPipeline(AwsServiceDescriptor.KinesisVideo, options, _time, logger);
    }

    /// <summary>Gets the control-plane endpoint in use.</summary>
    public Uri Endpoint => _pipeline.Endpoint;

    /// <summary>Gets the region in use.</summary>
    public string Region => _pipeline.Region;

    /// <summary>Lists one page of streams (ListStreams).</summary>
    /// <param name="namePrefix">Only streams whose name begins with this (StreamNameCondition BEGINS_WITH), or null for all.</param>
    /// <param name="nextToken">The token of the page to read, or null for the first.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page.</returns>
    /// <exception cref="AwsServiceException">The service refused the call.</exception>
    public async Task<KvsStreamPage> ListStreamsPageAsync(string? namePrefix, string? nextToken, CancellationToken cancellationToken)
    {
        var input = new KvsListStreamsInput
        {
            MaxResults = Math.Min(_options.PageSize, KinesisVideoConstants.MaxListStreamsResults),
            NextToken = nextToken,
            StreamNameCondition = string.IsNullOrEmpty(namePrefix) ? null : new KvsStreamNameCondition { ComparisonValue = namePrefix },
        };
        var output = await ControlAsync("ListStreams", "/listStreams", input, Json.KvsListStreamsInput, Json.KvsListStreamsOutput, cancellationToken).ConfigureAwait(false);
        return new KvsStreamPage(output.StreamInfoList ?? [], string.IsNullOrEmpty(output.NextToken) ? null : output.NextToken);
    }

    /// <summary>Lists every stream whose name begins with <paramref name="namePrefix"/>, following NextToken.</summary>
    /// <param name="namePrefix">The prefix, or null for all streams.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>The streams in the order the service listed them.</returns>
    /// <exception cref="AwsServiceException">The service refused a call.</exception>
    public async Task<IReadOnlyList<KvsStreamDescription>> ListAllStreamsAsync(string? namePrefix, CancellationToken cancellationToken)
    {
        var all = new List<KvsStreamDescription>();
        string? token = null;
        do
        {
            var page = await ListStreamsPageAsync(namePrefix, token, cancellationToken).ConfigureAwait(false);
            all.AddRange(page.Streams);
            token = page.NextToken;
        }
        while (token is not null);
        return all;
    }

    /// <summary>Describes one stream (DescribeStream).</summary>
    /// <param name="stream">The stream name or ARN.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The description.</returns>
    /// <exception cref="AwsResourceNotFoundException">The stream does not exist.</exception>
    /// <exception cref="AwsServiceException">The service refused the call.</exception>
    public async Task<KvsStreamDescription> DescribeStreamAsync(string stream, CancellationToken cancellationToken)
    {
        var output = await ControlAsync("DescribeStream", "/describeStream", Ref(stream), Json.KvsStreamRef, Json.KvsDescribeStreamOutput, cancellationToken).ConfigureAwait(false);
        return output.StreamInfo ?? throw new AwsProtocolException("kinesisvideo:DescribeStream answered without StreamInfo.");
    }

    /// <summary>Lists the tags of one stream (ListTagsForStream), following NextToken.</summary>
    /// <param name="stream">The stream name or ARN.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>The tags.</returns>
    /// <exception cref="AwsResourceNotFoundException">The stream does not exist.</exception>
    /// <exception cref="AwsServiceException">The service refused a call.</exception>
    public async Task<IReadOnlyDictionary<string, string>> ListTagsForStreamAsync(string stream, CancellationToken cancellationToken)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        string? token = null;
        do
        {
            var r = Ref(stream);
            var output = await ControlAsync("ListTagsForStream", "/listTagsForStream",
                new KvsStreamRef { StreamName = r.StreamName, StreamArn = r.StreamArn, NextToken = token },
                Json.KvsStreamRef, Json.KvsListTagsOutput, cancellationToken).ConfigureAwait(false);
            foreach (var (k, v) in output.Tags ?? []) tags[k] = v;
            token = string.IsNullOrEmpty(output.NextToken) ? null : output.NextToken;
        }
        while (token is not null);
        return tags;
    }

    /// <summary>Creates a stream (CreateStream).</summary>
    /// <param name="request">The parameters.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new stream's ARN.</returns>
    /// <exception cref="AwsResourceInUseException">A stream of that name exists.</exception>
    /// <exception cref="AwsServiceException">The service refused the call.</exception>
    public async Task<string> CreateStreamAsync(KvsCreateStreamRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.StreamName);
        var output = await ControlAsync("CreateStream", "/createStream", request, Json.KvsCreateStreamRequest, Json.KvsCreateStreamOutput, cancellationToken).ConfigureAwait(false);
        return output.StreamArn ?? throw new AwsProtocolException("kinesisvideo:CreateStream answered without StreamARN.");
    }

    /// <summary>Deletes a stream and its data (DeleteStream); KVS deletes it asynchronously (status DELETING).</summary>
    /// <param name="streamArn">The stream's ARN.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="AwsResourceNotFoundException">The stream does not exist.</exception>
    /// <exception cref="AwsServiceException">The service refused the call.</exception>
    public async Task DeleteStreamAsync(string streamArn, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(streamArn);
        await ControlAsync("DeleteStream", "/deleteStream", new Generated.KinesisVideo.DeleteStreamRequest { StreamARN = streamArn },
            Json.DeleteStreamRequest, Json.DeleteStreamResponse, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gets the data endpoint of one stream and API (GetDataEndpoint), cached for <see cref="KinesisVideoClientOptions.DataEndpointCacheDuration"/>.</summary>
    /// <param name="stream">The stream name or ARN.</param>
    /// <param name="apiName">One of <see cref="KvsApiName"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The endpoint.</returns>
    /// <exception cref="AwsResourceNotFoundException">The stream does not exist.</exception>
    /// <exception cref="AwsServiceException">The service refused the call.</exception>
    public async Task<Uri> GetDataEndpointAsync(string stream, string apiName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiName);
        var now = _time.GetUtcNow();
        if (_endpoints.TryGetValue((stream, apiName), out var cached) && cached.Expires > now) return cached.Endpoint;
        var r = Ref(stream);
        var output = await ControlAsync("GetDataEndpoint", "/getDataEndpoint",
            new KvsGetDataEndpointInput { ApiName = apiName, StreamName = r.StreamName, StreamArn = r.StreamArn },
            Json.KvsGetDataEndpointInput, Json.KvsGetDataEndpointOutput, cancellationToken).ConfigureAwait(false);
        if (!Uri.TryCreate(output.DataEndpoint, UriKind.Absolute, out var endpoint))
        {
            throw new AwsProtocolException($"kinesisvideo:GetDataEndpoint answered '{output.DataEndpoint}', not an absolute URL.");
        }
        _endpoints[(stream, apiName)] = (endpoint, now + _options.DataEndpointCacheDuration);
        return endpoint;
    }

    /// <summary>Forgets the cached data endpoints of a stream (after its endpoint failed, so the next call asks again).</summary>
    /// <param name="stream">The stream name or ARN.</param>
    public void InvalidateDataEndpoints(string stream)
    {
        foreach (var key in _endpoints.Keys.Where(k => k.Stream == stream).ToList()) _endpoints.TryRemove(key, out _);
    }

    private static KvsStreamRef Ref(string stream)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        return stream.StartsWith("arn:", StringComparison.Ordinal) ? new KvsStreamRef { StreamArn = stream } : new KvsStreamRef { StreamName = stream };
    }

    private Task<TOut> ControlAsync<TIn, TOut>(string operation, string path, TIn input, JsonTypeInfo<TIn> inType, JsonTypeInfo<TOut> outType, CancellationToken cancellationToken) =>
        _pipeline.SendJsonAsync(Service + ":" + operation, AwsHttpPipeline.Combine(_pipeline.Endpoint, path), null, input, inType, outType, cancellationToken);

    /// <summary>Runs a data-plane call against the stream's data endpoint, forgetting the endpoint when the call fails.</summary>
    private async Task<T> DataAsync<T>(string stream, string apiName, Func<Uri, Task<T>> call, CancellationToken cancellationToken)
    {
        var endpoint = await GetDataEndpointAsync(stream, apiName, cancellationToken).ConfigureAwait(false);
        try
        {
            return await call(endpoint).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or Polly.Timeout.TimeoutRejectedException or AwsServiceException { IsRetryable: true })
        {
            // The endpoint may have moved: ask GetDataEndpoint again next time.
            _endpoints.TryRemove((stream, apiName), out _);
            throw;
        }
    }

    private static KinesisVideoJsonContext Json => KinesisVideoJsonContext.Default;

    /// <inheritdoc/>
    public void Dispose() => _pipeline.Dispose();

    internal static HttpRequestMessage JsonPost(Uri uri, byte[] payload)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(payload) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return request;
    }

    internal static byte[] Serialize<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(value, type);
}
