using System.Text.Json.Serialization.Metadata;
using KvsInference.Aws.Generated;
using KvsInference.Aws.Generated.KinesisVideo;
using Microsoft.Extensions.Logging;

namespace KvsInference.Aws.KinesisVideo;

/// <summary>
/// A thin client of the Kinesis Video Streams control plane (REST-JSON, signing name <c>kinesisvideo</c>) on the types
/// generated from the official model; paths come from the model's operation table. Data-plane clients are built per
/// endpoint by <see cref="KinesisVideoClient"/>.
/// </summary>
public sealed class AmazonKinesisVideoClient : AwsServiceClient, IAmazonKinesisVideo
{
    /// <summary>The longest validity of a presigned signaling URL handed out by <see cref="PresignSignalingUrlAsync"/>.</summary>
    /// <remarks>The KVS SDKs sign for 299 s; a URL only has to be valid when the WebSocket connects.</remarks>
    public static readonly TimeSpan MaxSignalingUrlLifetime = TimeSpan.FromMinutes(5);

    /// <summary>Creates the client.</summary>
    /// <param name="options">The settings; region, endpoint and credentials are resolved now (credentials lazily on first call).</param>
    /// <param name="timeProvider">The clock for retries and timeouts, or null for the system clock.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    /// <exception cref="InvalidOperationException">No region could be resolved, or an endpoint variable is malformed.</exception>
    public AmazonKinesisVideoClient(KinesisVideoClientOptions options, TimeProvider? timeProvider = null, ILogger? logger = null)
        : base(AwsServiceDescriptor.KinesisVideo, options, timeProvider, logger)
    {
    }

    /// <summary>Gets the region in use.</summary>
    public string Region => Pipeline.Region;

    private static KinesisVideoModelJsonContext Json => KinesisVideoModelJsonContext.Default;

    /// <inheritdoc/>
    public Task<CreateStreamResponse> CreateStreamAsync(CreateStreamRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.StreamName, nameof(request.StreamName));
        return RequireAsync(CallAsync("CreateStream", request, Json.CreateStreamRequest, Json.CreateStreamResponse, cancellationToken), r => r.StreamARN, "StreamARN");
    }

    /// <inheritdoc/>
    public Task<DescribeStreamResponse> DescribeStreamAsync(DescribeStreamRequest request, CancellationToken cancellationToken = default)
    {
        ThrowIfNone(request, request?.StreamName, request?.StreamARN, "StreamName or StreamARN");
        return RequireAsync(CallAsync("DescribeStream", request!, Json.DescribeStreamRequest, Json.DescribeStreamResponse, cancellationToken), r => r.StreamInfo, "StreamInfo");
    }

    /// <inheritdoc/>
    public Task<ListStreamsResponse> ListStreamsAsync(ListStreamsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CallAsync("ListStreams", request, Json.ListStreamsRequest, Json.ListStreamsResponse, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<DeleteStreamResponse> DeleteStreamAsync(DeleteStreamRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.StreamARN, nameof(request.StreamARN));
        return CallAsync("DeleteStream", request, Json.DeleteStreamRequest, Json.DeleteStreamResponse, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<ListTagsForStreamResponse> ListTagsForStreamAsync(ListTagsForStreamRequest request, CancellationToken cancellationToken = default)
    {
        ThrowIfNone(request, request?.StreamName, request?.StreamARN, "StreamName or StreamARN");
        return CallAsync("ListTagsForStream", request!, Json.ListTagsForStreamRequest, Json.ListTagsForStreamResponse, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<GetDataEndpointResponse> GetDataEndpointAsync(GetDataEndpointRequest request, CancellationToken cancellationToken = default)
    {
        ThrowIfNone(request, request?.StreamName, request?.StreamARN, "StreamName or StreamARN");
        ArgumentException.ThrowIfNullOrWhiteSpace(request!.APIName, nameof(request.APIName));
        var response = await CallAsync("GetDataEndpoint", request, Json.GetDataEndpointRequest, Json.GetDataEndpointResponse, cancellationToken).ConfigureAwait(false);
        if (!Uri.TryCreate(response.DataEndpoint, UriKind.Absolute, out _))
        {
            throw new AwsProtocolException($"kinesisvideo:GetDataEndpoint answered '{response.DataEndpoint}', not an absolute URL.");
        }
        return response;
    }

    /// <inheritdoc/>
    public Task<CreateSignalingChannelResponse> CreateSignalingChannelAsync(CreateSignalingChannelRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.ChannelName, nameof(request.ChannelName));
        return RequireAsync(CallAsync("CreateSignalingChannel", request, Json.CreateSignalingChannelRequest, Json.CreateSignalingChannelResponse, cancellationToken),
            r => r.ChannelARN, "ChannelARN");
    }

    /// <inheritdoc/>
    public Task<DescribeSignalingChannelResponse> DescribeSignalingChannelAsync(DescribeSignalingChannelRequest request, CancellationToken cancellationToken = default)
    {
        ThrowIfNone(request, request?.ChannelName, request?.ChannelARN, "ChannelName or ChannelARN");
        return RequireAsync(CallAsync("DescribeSignalingChannel", request!, Json.DescribeSignalingChannelRequest, Json.DescribeSignalingChannelResponse, cancellationToken),
            r => r.ChannelInfo, "ChannelInfo");
    }

    /// <inheritdoc/>
    public Task<DeleteSignalingChannelResponse> DeleteSignalingChannelAsync(DeleteSignalingChannelRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.ChannelARN, nameof(request.ChannelARN));
        return CallAsync("DeleteSignalingChannel", request, Json.DeleteSignalingChannelRequest, Json.DeleteSignalingChannelResponse, cancellationToken);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">No protocol, or more than five.</exception>
    public Task<GetSignalingChannelEndpointResponse> GetSignalingChannelEndpointAsync(GetSignalingChannelEndpointRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.ChannelARN, nameof(request.ChannelARN));
        if (request.SingleMasterChannelEndpointConfiguration?.Protocols is { Count: 0 or > 5 } protocols)
        {
            throw new ArgumentException($"GetSignalingChannelEndpoint takes 1 to 5 protocols, not {protocols.Count}.", nameof(request));
        }
        return CallAsync("GetSignalingChannelEndpoint", request, Json.GetSignalingChannelEndpointRequest, Json.GetSignalingChannelEndpointResponse, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<UpdateMediaStorageConfigurationResponse> UpdateMediaStorageConfigurationAsync(UpdateMediaStorageConfigurationRequest request,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.ChannelARN, nameof(request.ChannelARN));
        ArgumentNullException.ThrowIfNull(request.MediaStorageConfiguration, nameof(request.MediaStorageConfiguration));
        return CallAsync("UpdateMediaStorageConfiguration", request, Json.UpdateMediaStorageConfigurationRequest, Json.UpdateMediaStorageConfigurationResponse, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<DescribeMediaStorageConfigurationResponse> DescribeMediaStorageConfigurationAsync(DescribeMediaStorageConfigurationRequest request,
        CancellationToken cancellationToken = default)
    {
        ThrowIfNone(request, request?.ChannelName, request?.ChannelARN, "ChannelName or ChannelARN");
        return CallAsync("DescribeMediaStorageConfiguration", request!, Json.DescribeMediaStorageConfigurationRequest, Json.DescribeMediaStorageConfigurationResponse, cancellationToken);
    }

    /// <summary>
    /// Presigns the signaling WebSocket URL of a channel with this client's credentials and region (as the KVS SDKs'
    /// <c>SigV4RequestSigner</c> does): <c>X-Amz-ChannelARN</c>, and <c>X-Amz-ClientId</c> for a viewer.
    /// </summary>
    /// <param name="wssEndpoint">The channel's WSS endpoint for the role, from GetSignalingChannelEndpoint.</param>
    /// <param name="channelArn">The channel ARN.</param>
    /// <param name="clientId">The viewer's client id (1-256 of [a-zA-Z0-9_.-]), or null to connect as master.</param>
    /// <param name="lifetime">How long the URL is valid: 1 s to <see cref="MaxSignalingUrlLifetime"/>.</param>
    /// <param name="cancellationToken">Cancels resolving the credentials.</param>
    /// <returns>The presigned wss:// URL.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lifetime"/> is outside 1 s to 5 min.</exception>
    /// <exception cref="ArgumentException">The endpoint is not an absolute ws(s) URL without query, or the client id is malformed.</exception>
    /// <exception cref="InvalidOperationException">No credentials could be resolved.</exception>
    public async Task<Uri> PresignSignalingUrlAsync(Uri wssEndpoint, string channelArn, string? clientId, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(wssEndpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(channelArn);
        if (!wssEndpoint.IsAbsoluteUri || wssEndpoint.Scheme is not ("wss" or "ws"))
        {
            throw new ArgumentException($"'{wssEndpoint}' is not a wss:// (or, on loopback, ws://) endpoint.", nameof(wssEndpoint));
        }
        if (lifetime < TimeSpan.FromSeconds(1) || lifetime > MaxSignalingUrlLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, $"A signaling URL is presigned for 1 s to {MaxSignalingUrlLifetime.TotalMinutes} min.");
        }
        if (clientId is not null && (clientId.Length is 0 or > 256 || !clientId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-')))
        {
            throw new ArgumentException($"Client id '{clientId}' must be 1-256 characters of [a-zA-Z0-9_.-].", nameof(clientId));
        }
        cancellationToken.ThrowIfCancellationRequested();
        var credentials = await Pipeline.GetCredentialsAsync().ConfigureAwait(false);
        var parameters = new List<KeyValuePair<string, string>> { new("X-Amz-ChannelARN", channelArn) };
        if (clientId is not null) parameters.Add(new("X-Amz-ClientId", clientId));
        return SigV4QueryPresigner.Presign(wssEndpoint, parameters, credentials, Region, AwsServiceDescriptor.KinesisVideo.SigningName, Pipeline.Time.GetUtcNow(), lifetime);
    }

    /// <summary>Throws unless one of two alternative required members (name or ARN) is set.</summary>
    internal static void ThrowIfNone(object? request, string? name, string? arn, string what)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(name) && string.IsNullOrWhiteSpace(arn))
        {
            throw new ArgumentException($"{request.GetType().Name} needs {what}.", nameof(request));
        }
    }

    /// <summary>Throws <see cref="AwsProtocolException"/> when an answer lacks a member the model marks as always present.</summary>
    internal static async Task<T> RequireAsync<T>(Task<T> call, Func<T, object?> member, string name)
    {
        var response = await call.ConfigureAwait(false);
        return member(response) is null ? throw new AwsProtocolException($"kinesisvideo answered {typeof(T).Name} without {name}.") : response;
    }

    private Task<TOut> CallAsync<TIn, TOut>(string operation, TIn input, JsonTypeInfo<TIn> inType, JsonTypeInfo<TOut> outType, CancellationToken cancellationToken) =>
        Pipeline.SendOperationAsync(AwsServiceModels.KinesisVideo, operation, input, inType, outType, cancellationToken);
}
