using System.Security.Cryptography;
using KvsInference.Aws;
using KvsInference.Aws.Generated.KinesisVideo;
using KvsInference.Aws.Generated.KinesisVideoSignalingChannels;
using KvsInference.Aws.Generated.KinesisVideoWebRTCStorage;
using KvsInference.Aws.KinesisVideo;
using KvsInference.LocalKvs.Signaling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvsInference.Meeting;

/// <summary>
/// Meetings on Amazon KVS. Creating one makes (or finds) a meeting channel, an ingestion channel and a stream, links the
/// ingestion channel to the stream (UpdateMediaStorageConfiguration) and looks up the channels' endpoints. Pages never
/// see AWS credentials: they present a meeting token and get presigned signaling URLs valid for minutes, and the
/// master asks this service to call JoinStorageSession once its ingestion socket is open. A meeting ends, deleting
/// its channels and stream on KVS and freeing its slot of <see cref="MeetingOptions.MaxMeetings"/>, when its master
/// ends it (<see cref="EndAsync"/>) or when for <see cref="MeetingOptions.IdleTimeout"/> no page has called this
/// service or watched the meeting's records (the pages' signaling connections go to KVS directly, so this service
/// cannot see them; every page watches the records while it is open).
/// </summary>
/// <remarks>
/// Why two channels: while a channel stores media, KVS makes no direct master-viewer connections on it (every peer talks
/// to the storage session), so viewers, who get the avatar and the delayed voice peer-to-peer, meet the master on a
/// channel without storage. On the ingestion channel every offer the master receives is the storage session's, which
/// gets the undelayed microphone (Opus) and the avatar canvas (H.264) that WebRTC ingestion requires.
/// </remarks>
public sealed class AwsMeetingService : IMeetingService
{
    private readonly MeetingTable<Entry> _meetings;
    private readonly KinesisVideoClient _kvs;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private int _reserved;

    private sealed record ChannelEndpoints(Uri Wss, Uri Https, Uri? WebRtc);

    private sealed record Entry(AwsMeetingInfo Info, ChannelEndpoints Master, ChannelEndpoints Viewer, ChannelEndpoints Ingest, MeetingActivity Activity);

    /// <summary>Creates the service.</summary>
    /// <param name="options">The settings (validated here; <see cref="MeetingOptions.Mode"/> must be AWS).</param>
    /// <param name="kvs">The KVS client: its credentials sign the URLs, its region is the meetings'.</param>
    /// <param name="tokens">Issues and checks the meeting tokens.</param>
    /// <param name="records">The records the pages watch (fed by a <see cref="KinesisRecordReader"/>).</param>
    /// <param name="timeProvider">The clock, or null for the system clock.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    /// <exception cref="ArgumentException">The options are not for AWS mode.</exception>
    public AwsMeetingService(MeetingOptions options, KinesisVideoClient kvs, MeetingTokens tokens, RecordBroadcaster records,
        TimeProvider? timeProvider = null, ILogger<AwsMeetingService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Mode != MeetingMode.Aws) throw new ArgumentException("AwsMeetingService needs MeetingOptions.Mode = Aws.", nameof(options));
        Options = options;
        _kvs = kvs ?? throw new ArgumentNullException(nameof(kvs));
        Tokens = tokens ?? throw new ArgumentNullException(nameof(tokens));
        Records = records ?? throw new ArgumentNullException(nameof(records));
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _meetings = new MeetingTable<Entry>(_time, options.IdleTimeout, e => e.Activity, connected: _ => false,
            e => _ = RemoveAsync(e, $"unused for {options.IdleTimeout}"));
    }

    /// <summary>Gets the settings.</summary>
    public MeetingOptions Options { get; }

    /// <summary>Gets the meeting token issuer.</summary>
    public MeetingTokens Tokens { get; }

    /// <summary>Gets the record broadcaster.</summary>
    public RecordBroadcaster Records { get; }

    /// <summary>Gets the join codes of the meetings.</summary>
    public JoinCodes Codes { get; } = new();

    /// <summary>Creates a meeting: channels and stream (found or created), storage linked, endpoints looked up.</summary>
    /// <param name="video">Whether the master sends the avatar video track to the viewers.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>The meeting.</returns>
    /// <exception cref="MeetingRequestException">There are already <see cref="MeetingOptions.MaxMeetings"/> meetings (429).</exception>
    /// <exception cref="AwsServiceException">KVS refused a call.</exception>
    /// <exception cref="InvalidOperationException">An existing stream of the meeting's name retains no data.</exception>
    /// <exception cref="TimeoutException">A channel or the stream did not become ACTIVE within <see cref="MeetingOptions.ResourceActiveTimeout"/>.</exception>
    public async Task<AwsMeetingInfo> CreateAsync(bool video, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _reserved) > Options.MaxMeetings)
        {
            Interlocked.Decrement(ref _reserved);
            throw new MeetingRequestException(429, $"There are already {Options.MaxMeetings} meetings (MeetingOptions.MaxMeetings).");
        }
        try
        {
            var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
            var name = Options.StreamPrefix + id;
            var channelArn = await EnsureChannelAsync(name, id, cancellationToken).ConfigureAwait(false);
            var ingestArn = await EnsureChannelAsync(name + MeetingConstants.IngestChannelSuffix, id, cancellationToken).ConfigureAwait(false);
            var streamArn = await EnsureStreamAsync(name, id, cancellationToken).ConfigureAwait(false);
            var storage = (await _kvs.ControlPlane.DescribeMediaStorageConfigurationAsync(new DescribeMediaStorageConfigurationRequest { ChannelARN = ingestArn },
                cancellationToken).ConfigureAwait(false)).MediaStorageConfiguration;
            if (storage?.Status != "ENABLED" || storage.StreamARN != streamArn)
            {
                await _kvs.ControlPlane.UpdateMediaStorageConfigurationAsync(new UpdateMediaStorageConfigurationRequest
                {
                    ChannelARN = ingestArn,
                    MediaStorageConfiguration = new MediaStorageConfiguration { Status = "ENABLED", StreamARN = streamArn },
                }, cancellationToken).ConfigureAwait(false);
            }
            // Endpoints are per channel and role and do not change: looked up once, as the KVS documentation advises.
            var master = await EndpointsAsync(channelArn, KvsChannelRole.Master, webRtc: false, cancellationToken).ConfigureAwait(false);
            var viewer = await EndpointsAsync(channelArn, KvsChannelRole.Viewer, webRtc: false, cancellationToken).ConfigureAwait(false);
            var ingest = await EndpointsAsync(ingestArn, KvsChannelRole.Master, webRtc: true, cancellationToken).ConfigureAwait(false);
            var viewerToken = Tokens.Issue(channelArn, SignalingRole.Viewer, null, Options.TokenLifetime);
            var info = new AwsMeetingInfo(id, channelArn, ingestArn, name, streamArn,
                Tokens.Issue(channelArn, SignalingRole.Master, null, Options.TokenLifetime),
                viewerToken, video, Codes.Issue(new JoinGrant("aws", id, channelArn, viewerToken, null, video)));
            var entry = new Entry(info, master, viewer, ingest, new MeetingActivity(_time));
            _meetings.ById[id] = entry;
            _meetings.ByStream[name] = entry;
            _logger.LogInformation("meeting {Id} on KVS: channel {Channel}, ingestion channel {Ingest} -> stream {Stream}", id, channelArn, ingestArn, streamArn);
            return info;
        }
        catch
        {
            Interlocked.Decrement(ref _reserved);
            throw;
        }
    }

    /// <summary>Presigns the signaling URLs of one page and gets its ICE servers.</summary>
    /// <param name="meetingId">The meeting.</param>
    /// <param name="token">A master or viewer token of the meeting.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>For the master, both channels as master; for a viewer, the meeting channel with a fresh client id.</returns>
    /// <exception cref="MeetingRequestException">Unknown meeting (404) or a token that does not open it (403).</exception>
    /// <exception cref="AwsServiceException">GetIceServerConfig failed.</exception>
    public async Task<AwsMeetingConnection> ConnectAsync(string? meetingId, string? token, CancellationToken cancellationToken)
    {
        var (entry, role) = Open(meetingId, token, null);
        var info = entry.Info;
        if (role == SignalingRole.Master)
        {
            var meeting = await ChannelAsync(info.ChannelArn, entry.Master, null, cancellationToken).ConfigureAwait(false);
            var ingest = await ChannelAsync(info.IngestChannelArn, entry.Ingest, null, cancellationToken).ConfigureAwait(false);
            return new AwsMeetingConnection("master", meeting, ingest);
        }
        // Viewers of this page carry a known prefix: the master can tell them from any other peer in its logs and stats.
        var clientId = MeetingConstants.ViewerClientIdPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        return new AwsMeetingConnection("viewer", await ChannelAsync(info.ChannelArn, entry.Viewer, clientId, cancellationToken).ConfigureAwait(false), null);
    }

    /// <summary>
    /// Asks the ingestion channel's storage session to offer to the master (JoinStorageSession). Call it after the master's
    /// ingestion socket is open: KVS sends the offer to the master connected at that moment.
    /// </summary>
    /// <param name="meetingId">The meeting.</param>
    /// <param name="token">The master token.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The ingestion channel's ARN.</returns>
    /// <exception cref="MeetingRequestException">Unknown meeting (404) or not the master token (403).</exception>
    /// <exception cref="AwsServiceException">KVS refused the call after the retries of <see cref="AwsResilience"/>.</exception>
    public async Task<string> JoinStorageSessionAsync(string? meetingId, string? token, CancellationToken cancellationToken)
    {
        var (entry, _) = Open(meetingId, token, SignalingRole.Master);
        await _kvs.WebRtcStorageClient(entry.Ingest.WebRtc!).JoinStorageSessionAsync(new JoinStorageSessionRequest { ChannelArn = entry.Info.IngestChannelArn },
            cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("meeting {Id}: JoinStorageSession on {Channel}", entry.Info.Id, entry.Info.IngestChannelArn);
        return entry.Info.IngestChannelArn;
    }

    /// <summary>
    /// Ends a meeting at its master's request: its two signaling channels (KVS closes their connections) and its stream
    /// are deleted, and the slot is free.
    /// </summary>
    /// <param name="meetingId">The meeting.</param>
    /// <param name="token">The master token.</param>
    /// <exception cref="MeetingRequestException">Unknown meeting (404) or not the master token (403).</exception>
    public async Task EndAsync(string? meetingId, string? token)
    {
        var (entry, _) = Open(meetingId, token, SignalingRole.Master);
        await RemoveAsync(entry, "ended by its master").ConfigureAwait(false);
    }

    /// <summary>Tells a page that its meeting still exists (and keeps it in use, as every call with its token does). KVS
    /// does not say who is connected to a channel, so the viewer count and the master's presence are unknown here.</summary>
    /// <param name="meetingId">The meeting.</param>
    /// <param name="token">A master or viewer token of the meeting.</param>
    /// <returns>The status, with <see cref="MeetingStatus.Viewers"/> and <see cref="MeetingStatus.MasterConnected"/> null.</returns>
    /// <exception cref="MeetingRequestException">The meeting ended (410), is unknown (404), or the token does not open it (403).</exception>
    public MeetingStatus GetStatus(string? meetingId, string? token)
    {
        if (meetingId is not null && !_meetings.ById.ContainsKey(meetingId) && Codes.HasEnded(meetingId))
        {
            throw new MeetingRequestException(410, "The meeting has ended.");
        }
        var (entry, _) = Open(meetingId, token, null);
        return new MeetingStatus(entry.Info.Id, null, KinesisVideoConstants.MaxViewersPerSignalingChannel, null);
    }

    /// <summary>Marks a meeting as in use (a page watching its records) until the result is disposed, so that it does
    /// not expire meanwhile.</summary>
    /// <param name="meeting">The meeting.</param>
    /// <returns>Dispose when the use ends.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="meeting"/> is null.</exception>
    public IDisposable Use(AwsMeetingInfo meeting) => _meetings.Use((meeting ?? throw new ArgumentNullException(nameof(meeting))).Id);

    /// <inheritdoc/>
    async Task<MeetingCreated> IMeetingService.CreateAsync(bool video, CancellationToken cancellationToken)
    {
        var m = await CreateAsync(video, cancellationToken).ConfigureAwait(false);
        return new MeetingCreated("aws", m.Id, m.ChannelArn, m.StreamName, m.MasterToken, m.ViewerToken, m.Video, m.JoinCode,
            MeetingEndpointExtensions.JoinPath(m.JoinCode), null, m.IngestChannelArn);
    }

    /// <inheritdoc/>
    IDisposable IMeetingService.WatchRecords(string? streamName, string? token) =>
        Use(Authorize(streamName, token, out var why) ?? throw new MeetingRequestException(403, "Records refused: " + why + "."));

    /// <summary>Stops the idle sweep.</summary>
    public void Dispose() => _meetings.Dispose();

    /// <summary>Ends the meetings no page has used for <see cref="MeetingOptions.IdleTimeout"/>.</summary>
    internal void SweepIdle() => _meetings.SweepIdle();

    private async Task RemoveAsync(Entry entry, string why)
    {
        if (!_meetings.ById.TryRemove(new KeyValuePair<string, Entry>(entry.Info.Id, entry))) return;
        Codes.End(entry.Info.Id);
        _meetings.ByStream.TryRemove(entry.Info.StreamName, out _);
        Interlocked.Decrement(ref _reserved);
        _logger.LogInformation("meeting {Id} ended: {Why}", entry.Info.Id, why);
        // Each deletion on its own: a failure leaves that resource to its owner (named in the log), not the others.
        // No cancellation token: the page's request may be gone by now, and KVS resources left behind cost money.
        await DeleteAsync("signaling channel", entry.Info.IngestChannelArn, ct => _kvs.ControlPlane.DeleteSignalingChannelAsync(new DeleteSignalingChannelRequest { ChannelARN = entry.Info.IngestChannelArn }, ct)).ConfigureAwait(false);
        await DeleteAsync("signaling channel", entry.Info.ChannelArn, ct => _kvs.ControlPlane.DeleteSignalingChannelAsync(new DeleteSignalingChannelRequest { ChannelARN = entry.Info.ChannelArn }, ct)).ConfigureAwait(false);
        await DeleteAsync("stream", entry.Info.StreamArn, ct => _kvs.ControlPlane.DeleteStreamAsync(new DeleteStreamRequest { StreamARN = entry.Info.StreamArn }, ct)).ConfigureAwait(false);

        async Task DeleteAsync(string what, string arn, Func<CancellationToken, Task> delete)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await delete(timeout.Token).ConfigureAwait(false);
            }
            catch (AwsResourceNotFoundException)
            {
                // Already gone: what deleting wanted.
            }
            catch (Exception e) when (e is AwsServiceException or AwsProtocolException or HttpRequestException or OperationCanceledException
                or Polly.Timeout.TimeoutRejectedException)
            {
                _logger.LogWarning("meeting {Id}: deleting {What} {Arn} failed, delete it by hand: {Message}", entry.Info.Id, what, arn, e.Message);
            }
        }
    }

    /// <summary>Finds the meeting of a stream and checks a token for it (any role).</summary>
    /// <param name="streamName">The meeting's stream.</param>
    /// <param name="token">A meeting token.</param>
    /// <param name="why">Why not, when it returns null.</param>
    /// <returns>The meeting, or null.</returns>
    public AwsMeetingInfo? Authorize(string? streamName, string? token, out string why)
    {
        if (!_meetings.TryFindByStream(streamName, token, out var entry, out why)) return null;
        var problem = Tokens.ValidateForChannel(token, entry.Info.ChannelArn);
        if (problem is not null)
        {
            why = problem;
            return null;
        }
        return entry.Info;
    }

    private (Entry Entry, SignalingRole Role) Open(string? meetingId, string? token, SignalingRole? required)
    {
        if (string.IsNullOrEmpty(meetingId) || !_meetings.ById.TryGetValue(meetingId, out var entry))
        {
            throw new MeetingRequestException(404, $"There is no meeting '{meetingId}'.");
        }
        if (string.IsNullOrEmpty(token)) throw new MeetingRequestException(403, "The meeting token is missing (Authorization: Bearer <token>).");
        var channel = entry.Info.ChannelArn;
        var role = Tokens.Validate(token, channel, SignalingRole.Master, null) is null ? SignalingRole.Master : SignalingRole.Viewer;
        var problem = role == SignalingRole.Master ? null : Tokens.Validate(token, channel, SignalingRole.Viewer, null);
        if (problem is not null) throw new MeetingRequestException(403, "The meeting token does not open this meeting: " + problem + ".");
        if (required is { } r && r != role) throw new MeetingRequestException(403, $"This call needs the {r.ToString().ToLowerInvariant()} token.");
        // Only a call that opened the meeting keeps it alive: refused tokens must not hold a slot.
        entry.Activity.Touch();
        return (entry, role);
    }

    private async Task<MeetingChannelConnection> ChannelAsync(string channelArn, ChannelEndpoints endpoints, string? clientId, CancellationToken cancellationToken)
    {
        var turn = (await _kvs.SignalingChannelsClient(endpoints.Https).GetIceServerConfigAsync(new GetIceServerConfigRequest { ChannelARN = channelArn, ClientId = clientId, Service = "TURN" },
            cancellationToken).ConfigureAwait(false)).IceServerList ?? [];
        var ice = new List<MeetingIceServer>();
        // The KVS SDK samples add the region's KVS STUN server; a stand-in endpoint (tests, LocalStack) has none to offer.
        if (AwsCredentialsResolver.IsAwsHost(_kvs.Endpoint)) ice.Add(new MeetingIceServer([$"stun:stun.kinesisvideo.{_kvs.Region}.amazonaws.com:443"], null, null));
        ice.AddRange(turn.Select(s => new MeetingIceServer(s.Uris ?? [], s.Username, s.Password)));
        var url = await _kvs.PresignSignalingUrlAsync(endpoints.Wss, channelArn, clientId, Options.SignedUrlLifetime, cancellationToken).ConfigureAwait(false);
        return new MeetingChannelConnection(channelArn, url, ice, clientId);
    }

    private async Task<ChannelEndpoints> EndpointsAsync(string channelArn, string role, bool webRtc, CancellationToken cancellationToken)
    {
        string[] protocols = webRtc
            ? [KvsChannelProtocol.Wss, KvsChannelProtocol.Https, KvsChannelProtocol.WebRtc]
            : [KvsChannelProtocol.Wss, KvsChannelProtocol.Https];
        var list = (await _kvs.ControlPlane.GetSignalingChannelEndpointAsync(new GetSignalingChannelEndpointRequest
        {
            ChannelARN = channelArn,
            SingleMasterChannelEndpointConfiguration = new SingleMasterChannelEndpointConfiguration { Protocols = [.. protocols], Role = role },
        }, cancellationToken).ConfigureAwait(false)).ResourceEndpointList ?? [];
        Uri Find(string protocol)
        {
            var endpoint = list.FirstOrDefault(e => e.Protocol == protocol)?.ResourceEndpoint;
            return Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
                ? uri
                : throw new AwsProtocolException($"kinesisvideo:GetSignalingChannelEndpoint gave no absolute {protocol} endpoint for {role} on {channelArn}.");
        }
        return new ChannelEndpoints(Find(KvsChannelProtocol.Wss), Find(KvsChannelProtocol.Https), webRtc ? Find(KvsChannelProtocol.WebRtc) : null);
    }

    private async Task<string> EnsureChannelAsync(string name, string meetingId, CancellationToken cancellationToken)
    {
        ChannelInfo channel;
        async Task<ChannelInfo> DescribeAsync() =>
            (await _kvs.ControlPlane.DescribeSignalingChannelAsync(new DescribeSignalingChannelRequest { ChannelName = name }, cancellationToken).ConfigureAwait(false)).ChannelInfo!;
        try
        {
            channel = await DescribeAsync().ConfigureAwait(false);
        }
        catch (AwsResourceNotFoundException)
        {
            await _kvs.ControlPlane.CreateSignalingChannelAsync(new CreateSignalingChannelRequest
            {
                ChannelName = name,
                ChannelType = "SINGLE_MASTER",
                Tags = [new Tag { Key = "kvsinference-meeting", Value = meetingId }],
            }, cancellationToken).ConfigureAwait(false);
            channel = await DescribeAsync().ConfigureAwait(false);
        }
        await WaitActiveAsync("Signaling channel " + name, channel.ChannelStatus ?? "",
            async () => (await DescribeAsync().ConfigureAwait(false)).ChannelStatus ?? "", cancellationToken).ConfigureAwait(false);
        return channel.ChannelARN!;
    }

    /// <summary>Polls a new resource until it is ACTIVE (KVS creates channels and streams asynchronously).</summary>
    private async Task WaitActiveAsync(string what, string status, Func<Task<string>> describe, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + Options.ResourceActiveTimeout;
        while (status != "ACTIVE")
        {
            if (status == "DELETING" || _time.GetUtcNow() > deadline)
            {
                throw new TimeoutException($"{what} is {status}, not ACTIVE (waited up to {Options.ResourceActiveTimeout}).");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), _time, cancellationToken).ConfigureAwait(false);
            status = await describe().ConfigureAwait(false);
        }
    }

    private async Task<string> EnsureStreamAsync(string name, string meetingId, CancellationToken cancellationToken)
    {
        StreamInfo stream;
        async Task<StreamInfo> DescribeAsync() =>
            (await _kvs.ControlPlane.DescribeStreamAsync(new DescribeStreamRequest { StreamName = name }, cancellationToken).ConfigureAwait(false)).StreamInfo!;
        try
        {
            stream = await DescribeAsync().ConfigureAwait(false);
        }
        catch (AwsResourceNotFoundException)
        {
            await _kvs.ControlPlane.CreateStreamAsync(new CreateStreamRequest
            {
                StreamName = name,
                DataRetentionInHours = Options.StreamRetentionHours,
                Tags = new Dictionary<string, string> { ["kvsinference-meeting"] = meetingId },
            }, cancellationToken).ConfigureAwait(false);
            stream = await DescribeAsync().ConfigureAwait(false);
        }
        if ((stream.DataRetentionInHours ?? 0) < 1)
        {
            throw new InvalidOperationException($"Stream {name} retains no data; KVS WebRTC ingestion needs a retention of at least 1 hour.");
        }
        await WaitActiveAsync("Stream " + name, stream.Status ?? "",
            async () => (await DescribeAsync().ConfigureAwait(false)).Status ?? "", cancellationToken).ConfigureAwait(false);
        return stream.StreamARN!;
    }
}
