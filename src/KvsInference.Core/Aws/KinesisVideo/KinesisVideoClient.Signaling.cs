namespace KvsInference.Aws.KinesisVideo;

public sealed partial class KinesisVideoClient
{
    /// <summary>The longest validity of a presigned signaling URL handed out by <see cref="PresignSignalingUrlAsync"/>.</summary>
    /// <remarks>The KVS SDKs sign for 299 s; a URL only has to be valid when the WebSocket connects.</remarks>
    public static readonly TimeSpan MaxSignalingUrlLifetime = TimeSpan.FromMinutes(5);

    /// <summary>Creates a signaling channel (CreateSignalingChannel).</summary>
    /// <param name="request">The parameters.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The channel ARN.</returns>
    /// <exception cref="AwsResourceInUseException">A channel of that name exists.</exception>
    /// <exception cref="AwsServiceException">The service refused the call.</exception>
    public async Task<string> CreateSignalingChannelAsync(KvsCreateSignalingChannelRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.ChannelName);
        var output = await ControlAsync("CreateSignalingChannel", "/createSignalingChannel", request,
            SignalingJson.KvsCreateSignalingChannelRequest, SignalingJson.KvsCreateSignalingChannelOutput, cancellationToken).ConfigureAwait(false);
        return output.ChannelArn ?? throw new AwsProtocolException("kinesisvideo:CreateSignalingChannel answered without ChannelARN.");
    }

    /// <summary>Deletes a signaling channel (DeleteSignalingChannel); its connections are closed.</summary>
    /// <param name="channelArn">The channel's ARN.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="AwsResourceNotFoundException">The channel does not exist.</exception>
    /// <exception cref="AwsServiceException">The service refused the call.</exception>
    public async Task DeleteSignalingChannelAsync(string channelArn, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(channelArn);
        await ControlAsync("DeleteSignalingChannel", "/deleteSignalingChannel", new Generated.KinesisVideo.DeleteSignalingChannelRequest { ChannelARN = channelArn },
            SignalingJson.DeleteSignalingChannelRequest, SignalingJson.DeleteSignalingChannelResponse, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Describes a signaling channel (DescribeSignalingChannel).</summary>
    /// <param name="channel">The channel name or ARN (a value starting with <c>arn:</c> is sent as ChannelARN).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The description.</returns>
    /// <exception cref="AwsResourceNotFoundException">The channel does not exist.</exception>
    /// <exception cref="AwsServiceException">The service refused the call.</exception>
    public async Task<KvsSignalingChannelDescription> DescribeSignalingChannelAsync(string channel, CancellationToken cancellationToken)
    {
        var output = await ControlAsync("DescribeSignalingChannel", "/describeSignalingChannel", ChannelRef(channel),
            SignalingJson.KvsChannelRef, SignalingJson.KvsDescribeSignalingChannelOutput, cancellationToken).ConfigureAwait(false);
        return output.ChannelInfo ?? throw new AwsProtocolException("kinesisvideo:DescribeSignalingChannel answered without ChannelInfo.");
    }

    /// <summary>Gets the endpoints of a signaling channel for one role (GetSignalingChannelEndpoint).</summary>
    /// <param name="channelArn">The channel ARN.</param>
    /// <param name="role">One of <see cref="KvsChannelRole"/>.</param>
    /// <param name="protocols">One to five of <see cref="KvsChannelProtocol"/>; WEBRTC only for a channel with media storage enabled.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The endpoints, one per protocol.</returns>
    /// <exception cref="ArgumentException">No protocol, or more than five.</exception>
    /// <exception cref="AwsValidationException">WEBRTC was asked for a channel without media storage (InvalidArgumentException).</exception>
    /// <exception cref="AwsServiceException">The service refused the call.</exception>
    public async Task<IReadOnlyList<KvsResourceEndpoint>> GetSignalingChannelEndpointAsync(string channelArn, string role,
        IReadOnlyList<string> protocols, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(channelArn);
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        ArgumentNullException.ThrowIfNull(protocols);
        if (protocols.Count is 0 or > 5) throw new ArgumentException($"GetSignalingChannelEndpoint takes 1 to 5 protocols, not {protocols.Count}.", nameof(protocols));
        var output = await ControlAsync("GetSignalingChannelEndpoint", "/getSignalingChannelEndpoint",
            new KvsGetSignalingChannelEndpointInput
            {
                ChannelArn = channelArn,
                SingleMasterChannelEndpointConfiguration = new KvsEndpointConfiguration { Protocols = protocols, Role = role },
            },
            SignalingJson.KvsGetSignalingChannelEndpointInput, SignalingJson.KvsGetSignalingChannelEndpointOutput, cancellationToken).ConfigureAwait(false);
        return output.ResourceEndpointList ?? [];
    }

    /// <summary>Gets the TURN servers of a channel (GetIceServerConfig, <c>POST /v1/get-ice-server-config</c> on its HTTPS endpoint).</summary>
    /// <param name="httpsEndpoint">The channel's HTTPS endpoint from <see cref="GetSignalingChannelEndpointAsync"/>.</param>
    /// <param name="channelArn">The channel ARN.</param>
    /// <param name="clientId">The viewer's client id, or null for the master.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The TURN servers with their short-lived credentials.</returns>
    /// <exception cref="AwsServiceException">The service refused the call.</exception>
    public async Task<IReadOnlyList<KvsIceServer>> GetIceServerConfigAsync(Uri httpsEndpoint, string channelArn, string? clientId,
        CancellationToken cancellationToken)
    {
        CheckEndpoint(httpsEndpoint, nameof(httpsEndpoint));
        ArgumentException.ThrowIfNullOrWhiteSpace(channelArn);
        var output = await _pipeline.SendJsonAsync(Service + ":GetIceServerConfig", AwsHttpPipeline.Combine(httpsEndpoint, "/v1/get-ice-server-config"), null,
            new KvsGetIceServerConfigInput { ChannelArn = channelArn, ClientId = clientId },
            SignalingJson.KvsGetIceServerConfigInput, SignalingJson.KvsGetIceServerConfigOutput, cancellationToken).ConfigureAwait(false);
        return output.IceServerList ?? [];
    }

    /// <summary>Links a signaling channel to a stream for WebRTC ingestion, or unlinks it (UpdateMediaStorageConfiguration).</summary>
    /// <param name="channelArn">The channel ARN.</param>
    /// <param name="streamArn">The stream ARN (its retention must be above 0), or null to disable storage.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <remarks>While storage is enabled, KVS makes no direct master-viewer connections on that channel: every peer talks to
    /// the storage session, which the master invites with <see cref="JoinStorageSessionAsync"/>.</remarks>
    /// <exception cref="AwsServiceException">The service refused the call.</exception>
    public async Task UpdateMediaStorageConfigurationAsync(string channelArn, string? streamArn, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(channelArn);
        await ControlAsync("UpdateMediaStorageConfiguration", "/updateMediaStorageConfiguration",
            new KvsUpdateMediaStorageConfigurationInput
            {
                ChannelArn = channelArn,
                MediaStorageConfiguration = new KvsMediaStorageConfiguration { Status = streamArn is null ? "DISABLED" : "ENABLED", StreamArn = streamArn },
            },
            SignalingJson.KvsUpdateMediaStorageConfigurationInput, SignalingJson.KvsEmptyOutput, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads where a signaling channel stores its media (DescribeMediaStorageConfiguration).</summary>
    /// <param name="channel">The channel name or ARN.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The configuration (DISABLED when none was set).</returns>
    /// <exception cref="AwsResourceNotFoundException">The channel does not exist.</exception>
    /// <exception cref="AwsServiceException">The service refused the call.</exception>
    public async Task<KvsMediaStorageConfiguration> DescribeMediaStorageConfigurationAsync(string channel, CancellationToken cancellationToken)
    {
        var output = await ControlAsync("DescribeMediaStorageConfiguration", "/describeMediaStorageConfiguration", ChannelRef(channel),
            SignalingJson.KvsChannelRef, SignalingJson.KvsDescribeMediaStorageConfigurationOutput, cancellationToken).ConfigureAwait(false);
        return output.MediaStorageConfiguration ?? new KvsMediaStorageConfiguration();
    }

    /// <summary>
    /// Asks the channel's storage session to send the connected master an SDP offer, starting WebRTC ingestion into the
    /// linked stream (JoinStorageSession, <c>POST /joinStorageSession</c> on the channel's WEBRTC endpoint).
    /// </summary>
    /// <param name="webRtcEndpoint">The channel's WEBRTC endpoint from <see cref="GetSignalingChannelEndpointAsync"/>.</param>
    /// <param name="channelArn">The channel ARN (media storage enabled, master connected).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <remarks>Not idempotent: each successful call sends one offer. Throttling and 5xx are retried by <see cref="AwsResilience"/>.</remarks>
    /// <exception cref="AwsServiceException">The service refused the call (e.g. ResourceNotFoundException, AccessDeniedException).</exception>
    public async Task JoinStorageSessionAsync(Uri webRtcEndpoint, string channelArn, CancellationToken cancellationToken)
    {
        CheckEndpoint(webRtcEndpoint, nameof(webRtcEndpoint));
        ArgumentException.ThrowIfNullOrWhiteSpace(channelArn);
        await _pipeline.SendJsonAsync(Service + ":JoinStorageSession", AwsHttpPipeline.Combine(webRtcEndpoint, "/joinStorageSession"), null,
            new KvsJoinStorageSessionInput { ChannelArn = channelArn },
            SignalingJson.KvsJoinStorageSessionInput, SignalingJson.KvsEmptyOutput, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Presigns the signaling WebSocket URL of a channel with this client's credentials and region (as the KVS SDKs'
    /// <c>SigV4RequestSigner</c> does): <c>X-Amz-ChannelARN</c>, and <c>X-Amz-ClientId</c> for a viewer.
    /// </summary>
    /// <param name="wssEndpoint">The channel's WSS endpoint for the role, from <see cref="GetSignalingChannelEndpointAsync"/>.</param>
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
        var credentials = await _pipeline.GetCredentialsAsync().ConfigureAwait(false);
        var parameters = new List<KeyValuePair<string, string>> { new("X-Amz-ChannelARN", channelArn) };
        if (clientId is not null) parameters.Add(new("X-Amz-ClientId", clientId));
        return SigV4QueryPresigner.Presign(wssEndpoint, parameters, credentials, Region, Service, _time.GetUtcNow(), lifetime);
    }

    private static KvsChannelRef ChannelRef(string channel)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(channel);
        return channel.StartsWith("arn:", StringComparison.Ordinal) ? new KvsChannelRef { ChannelArn = channel } : new KvsChannelRef { ChannelName = channel };
    }

    private static void CheckEndpoint(Uri endpoint, string name)
    {
        ArgumentNullException.ThrowIfNull(endpoint, name);
        if (!endpoint.IsAbsoluteUri || endpoint.Scheme is not ("https" or "http"))
        {
            throw new ArgumentException($"'{endpoint}' is not an absolute https:// endpoint.", name);
        }
    }

    private static KinesisVideoSignalingJsonContext SignalingJson => KinesisVideoSignalingJsonContext.Default;
}
