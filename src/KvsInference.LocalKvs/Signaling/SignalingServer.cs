using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvsInference.LocalKvs.Signaling;

/// <summary>
/// A signaling server that speaks the Amazon KVS WebRTC signaling protocol, so that the official KVS WebRTC SDKs
/// work against it unchanged. It holds the channels, accepts WebSocket connections (master: X-Amz-ChannelARN;
/// viewer: + X-Amz-ClientId), routes SDP offers/answers and ICE candidates (master to a viewer by
/// recipientClientId, viewer to the master with senderClientId = the viewer's id) and enforces the KVS limits.
/// Host it with <see cref="SignalingEndpointExtensions.MapKvsSignaling"/>.
/// </summary>
/// <remarks>
/// Rules, as KVS documents them: one master per channel (a new master replaces the old, which gets GO_AWAY then a
/// close); at most <see cref="SignalingOptions.MaxViewersPerChannel"/> viewers; messagePayload at most
/// <see cref="SignalingOptions.MaxMessagePayloadChars"/> base64 characters; per connection 5 SDP offers, 5 SDP
/// answers and 20 ICE candidates per second (token buckets); a rejected message that carried a correlationId gets a
/// STATUS_RESPONSE, one without is dropped (refusals are logged at Debug, and counted at Information once per connection
/// and <see cref="SignalingOptions.RefusalLogInterval"/>); connections end after
/// <see cref="SignalingOptions.MaxConnectionDuration"/>, idle ones after <see cref="SignalingOptions.IdleTimeout"/>,
/// both with GO_AWAY and, <see cref="SignalingOptions.GoAwayGracePeriod"/> later, a close. Credentials are checked before
/// the channel is looked up; a meeting token opens only its own channel, in its role (see docs/security.md). Not modelled: KVS's buffering of viewer messages for an absent master (MessageTtlSeconds),
/// and WebRTC ingestion (JoinStorageSession).
/// </remarks>
public sealed partial class SignalingServer
{
    private readonly ConcurrentDictionary<string, SignalingChannel> _channelsByArn = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SignalingChannel> _channelsByName = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SigV4Verifier _sigV4;

    /// <summary>Creates a server.</summary>
    /// <param name="options">Limits and credentials; validated here.</param>
    /// <param name="time">The clock of rate limits, timeouts and signature dates.</param>
    /// <param name="logger">Where connections, closes and rejected messages are logged.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public SignalingServer(SignalingOptions options, TimeProvider? time = null, ILogger<SignalingServer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _sigV4 = new SigV4Verifier(options, _time);
        Tokens = new MeetingTokens(options.MeetingTokenKey, _time);
    }

    /// <summary>The WebSocket query parameter that carries a meeting token instead of a SigV4 signature.</summary>
    public const string MeetingTokenQueryParameter = SignalingConstants.MeetingTokenParameter;

    /// <summary>Gets the options in force.</summary>
    public SignalingOptions Options { get; }

    /// <summary>Gets the meeting token issuer (for the meeting web app: one token per master or viewer link).</summary>
    public MeetingTokens Tokens { get; }

    /// <summary>Gets the channels that exist.</summary>
    public IReadOnlyCollection<SignalingChannel> Channels => (IReadOnlyCollection<SignalingChannel>)_channelsByArn.Values;

    /// <summary>Creates a channel (as CreateSignalingChannel does).</summary>
    /// <param name="name">1-256 characters of [a-zA-Z0-9_.-].</param>
    /// <returns>The new channel.</returns>
    /// <exception cref="ArgumentException">The name is not valid.</exception>
    /// <exception cref="InvalidOperationException">A channel of that name exists.</exception>
    public SignalingChannel CreateChannel(string name)
    {
        if (name is null || !IdPattern().IsMatch(name))
        {
            throw new ArgumentException($"Channel name '{name}' must be 1-256 characters of [a-zA-Z0-9_.-].", nameof(name));
        }
        var created = _time.GetUtcNow();
        var arn = $"arn:aws:kinesisvideo:{Options.Region}:{Options.AccountId}:channel/{name}/{created.ToUnixTimeMilliseconds()}";
        var channel = new SignalingChannel(name, arn, created);
        if (!_channelsByName.TryAdd(name, channel))
        {
            throw new InvalidOperationException($"The signaling channel '{name}' already exists.");
        }
        _channelsByArn[arn] = channel;
        _logger.LogInformation("signaling: created channel {Arn}", arn);
        return channel;
    }

    /// <summary>Finds a channel by ARN.</summary>
    public SignalingChannel? FindChannel(string arn) => _channelsByArn.GetValueOrDefault(arn);

    /// <summary>Finds a channel by name.</summary>
    public SignalingChannel? FindChannelByName(string name) => _channelsByName.GetValueOrDefault(name);

    /// <summary>Deletes a channel; its connections get GO_AWAY and are closed.</summary>
    /// <returns>Whether the channel existed.</returns>
    public async Task<bool> DeleteChannelAsync(string arn)
    {
        if (!_channelsByArn.TryRemove(arn, out var channel)) return false;
        _channelsByName.TryRemove(channel.Name, out _);
        await Task.WhenAll(channel.All().Select(c => c.GoAwayAndCloseAsync("the signaling channel was deleted")));
        return true;
    }

    /// <summary>Handles the WebSocket endpoint: authenticates the upgrade, then runs the connection until it closes.</summary>
    /// <param name="context">The HTTP request (a WebSocket upgrade with the KVS query parameters).</param>
    public async Task HandleConnectAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await WriteErrorAsync(context, 400, "InvalidArgumentException", "This endpoint accepts WebSocket upgrades only.");
            return;
        }
        var query = SigV4Verifier.ParseQuery(context.Request.QueryString.Value ?? "");
        string? Param(string name) => query.FirstOrDefault(p => p.Key == name).Value;

        var arn = Param("X-Amz-ChannelARN");
        if (string.IsNullOrEmpty(arn))
        {
            await WriteErrorAsync(context, 400, "InvalidArgumentException", "The query parameter X-Amz-ChannelARN is required.");
            return;
        }
        var clientId = Param("X-Amz-ClientId");
        var role = clientId is null ? SignalingRole.Master : SignalingRole.Viewer;
        if (clientId is not null && !IdPattern().IsMatch(clientId))
        {
            await WriteErrorAsync(context, 400, "InvalidArgumentException", "X-Amz-ClientId must be 1-256 characters of [a-zA-Z0-9_.-].");
            return;
        }
        // Authenticate before looking the channel up, so that an unauthenticated caller cannot learn which channels exist.
        var (status, reason, clientIdBound) = AuthenticateConnect(context, query, arn, role, clientId);
        if (status != 0)
        {
            _logger.LogWarning("signaling: refused {Role} on {Arn}: {Reason}", role, arn, reason);
            await WriteErrorAsync(context, status, reason == NoConnectCredential ? "MissingAuthenticationTokenException" : "AccessDeniedException", reason!);
            return;
        }
        var channel = FindChannel(arn);
        if (channel is null)
        {
            await WriteErrorAsync(context, 404, "ResourceNotFoundException", $"The signaling channel {arn} does not exist.");
            return;
        }
        if (role == SignalingRole.Viewer && !clientIdBound && channel.HasViewer(clientId!))
        {
            await WriteErrorAsync(context, 409, "ResourceInUseException", ClientIdInUse(clientId!));
            return;
        }
        if (role == SignalingRole.Viewer && channel.IsFullFor(clientId!, Options.MaxViewersPerChannel))
        {
            await WriteErrorAsync(context, 400, "ClientLimitExceededException",
                $"The channel already has {Options.MaxViewersPerChannel} viewers connected.");
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var connection = new SignalingConnection(socket, channel, role, clientId, Options, _time, _logger);
        SignalingConnection? replaced = null;
        if (role == SignalingRole.Master)
        {
            replaced = channel.SetMaster(connection);
        }
        else
        {
            var admission = channel.TryAddViewer(connection, Options.MaxViewersPerChannel, mayReplace: clientIdBound, out replaced);
            if (admission != ViewerAdmission.Added)
            {
                // Lost a race for the last viewer slot or for the client id after the upgrade.
                await connection.GoAwayAndCloseAsync(admission == ViewerAdmission.Full
                    ? $"the channel already has {Options.MaxViewersPerChannel} viewers connected"
                    : ClientIdInUse(clientId!), WebSocketCloseStatus.PolicyViolation, grace: false);
                return;
            }
        }
        if (replaced is not null)
        {
            _ = replaced.GoAwayAndCloseAsync(role == SignalingRole.Master
                ? "replaced by a new master connection"
                : "replaced by a new connection with the same client id");
        }
        _logger.LogInformation("signaling: {Connection} connected to {Arn}", connection.Name, arn);

        using var watchdog = _time.CreateTimer(_ => CheckTimeouts(connection), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        ScheduleWatchdog(watchdog, connection);
        try
        {
            await ReceiveLoopAsync(socket, connection, watchdog, context.RequestAborted);
        }
        finally
        {
            channel.Remove(connection);
            connection.Complete();
            _logger.LogInformation("signaling: {Connection} left {Arn} ({Unreported} rejected message(s) not reported before)",
                connection.Name, arn, connection.UnloggedRefusals);
        }
    }

    // As AWS: 403 MissingAuthenticationTokenException for a connection without any credential, not 401.
    private static readonly string NoConnectCredential = $"The connection carries neither a SigV4 signature nor {SignalingConstants.MeetingTokenParameter}.";

    /// <summary>Checks the credential of a connection; ClientIdBound tells whether it vouches for the client id (SigV4, or a
    /// meeting token issued for that id), in which case a second connection with the id is the same client reconnecting.</summary>
    private (int Status, string? Reason, bool ClientIdBound) AuthenticateConnect(HttpContext context, List<KeyValuePair<string, string>> query,
        string arn, SignalingRole role, string? clientId)
    {
        var token = query.FirstOrDefault(p => p.Key == SignalingConstants.MeetingTokenParameter).Value;
        if (token is not null)
        {
            var why = Tokens.Validate(token, arn, role, clientId, out var bound);
            return why is null ? (0, null, bound) : (403, why, false);
        }
        if (query.Any(p => p.Key == "X-Amz-Signature"))
        {
            var why = _sigV4.VerifyQuery("GET", context.Request.Path.Value ?? "/", query, name => Header(context, name));
            return why is null ? (0, null, true) : (403, why, false);
        }
        return Options.AllowAnonymous
            ? (0, null, false)
            : (403, NoConnectCredential, false);
    }

    private static string ClientIdInUse(string clientId) =>
        $"A viewer with client id '{clientId}' is already connected; connect with another X-Amz-ClientId.";

    private async Task ReceiveLoopAsync(WebSocket socket, SignalingConnection connection, ITimer watchdog, CancellationToken aborted)
    {
        // The whole frame may be larger than the payload (JSON keys, ids), but anything far beyond is abuse.
        var hardLimit = Options.MaxMessagePayloadChars * 2 + 4096;
        var buffer = new byte[hardLimit];
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, connection.Abort.Token);
        try
        {
            while (socket.State is WebSocketState.Open)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                    {
                        // 1009 Message Too Big, at once: the rest of the frame is not read.
                        await connection.GoAwayAndCloseAsync($"a message exceeded {hardLimit} bytes", WebSocketCloseStatus.MessageTooBig, grace: false);
                        return;
                    }
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), linked.Token);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (socket.State == WebSocketState.CloseReceived)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    }
                    return;
                }
                connection.LastActivity = _time.GetTimestamp();
                ScheduleWatchdog(watchdog, connection);
                HandleMessage(connection, buffer.AsSpan(0, length));
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            _logger.LogDebug(e, "signaling: {Connection} dropped", connection.Name);
        }
    }

    private void HandleMessage(SignalingConnection sender, ReadOnlySpan<byte> utf8)
    {
        if (!SignalingMessages.TryParse(utf8, out var message, out var correlationId, out var error))
        {
            Reject(sender, correlationId, SignalingError.InvalidArgument(error!));
            return;
        }
        if (message!.Payload.Length > Options.MaxMessagePayloadChars)
        {
            Reject(sender, correlationId, SignalingError.InvalidArgument(
                $"messagePayload is {message.Payload.Length} characters; the limit is {Options.MaxMessagePayloadChars}."));
            return;
        }
        var bucket = message.Action switch
        {
            SignalingMessages.SdpOffer => sender.OfferBucket,
            SignalingMessages.SdpAnswer => sender.AnswerBucket,
            _ => sender.IceBucket,
        };
        if (!bucket.TryTake())
        {
            var rate = message.Action == SignalingMessages.IceCandidate ? Options.IceCandidatesPerSecond : Options.SdpMessagesPerSecond;
            Reject(sender, correlationId, SignalingError.Throttled($"{message.Action} is limited to {rate} messages per second per connection."));
            return;
        }

        SignalingConnection? recipient;
        if (sender.Role == SignalingRole.Master)
        {
            if (string.IsNullOrEmpty(message.RecipientClientId))
            {
                Reject(sender, correlationId, SignalingError.InvalidArgument("A message from the master needs recipientClientId."));
                return;
            }
            recipient = sender.Channel.FindViewer(message.RecipientClientId);
            if (recipient is null)
            {
                Reject(sender, correlationId, SignalingError.NotConnected(
                    $"Viewer '{message.RecipientClientId}' is not connected to the channel."));
                return;
            }
        }
        else
        {
            recipient = sender.Channel.Master;
            if (recipient is null)
            {
                Reject(sender, correlationId, SignalingError.NotConnected("No master is connected to the channel."));
                return;
            }
        }
        var senderId = sender.Role == SignalingRole.Viewer ? sender.ClientId : null;
        if (!recipient.TrySend(SignalingMessages.Event(message.Action, message.Payload, senderId)))
        {
            Reject(sender, correlationId, SignalingError.Throttled($"The recipient ({recipient.Name}) is not reading its messages."));
        }
    }

    private void Reject(SignalingConnection sender, string? correlationId, SignalingError error)
    {
        // The reply first: it must never wait behind the log.
        if (!string.IsNullOrEmpty(correlationId))
        {
            sender.TrySend(SignalingMessages.Status(correlationId, error));
        }
        // Every refusal at Debug; at Information only a count per connection and interval, so that a client sending bad
        // frames as fast as it can cannot turn them into as many log lines.
        _logger.LogDebug("signaling: rejected a message from {Connection} on {Arn} ({CorrelationId}): {Type} {Description}",
            sender.Name, sender.Channel.Arn, correlationId ?? "no correlationId", error.ErrorType, error.Description);
        if (sender.CountRefusal(Options.RefusalLogInterval, out var count))
        {
            _logger.LogInformation("signaling: rejected {Count} message(s) from {Connection} on {Arn} since the last report; the latest: {Type} {Description}",
                count, sender.Name, sender.Channel.Arn, error.ErrorType, error.Description);
        }
    }

    private void ScheduleWatchdog(ITimer timer, SignalingConnection connection)
    {
        var now = _time.GetTimestamp();
        var untilMax = Options.MaxConnectionDuration - _time.GetElapsedTime(connection.ConnectedAt, now);
        var untilIdle = Options.IdleTimeout - _time.GetElapsedTime(connection.LastActivity, now);
        var due = untilMax < untilIdle ? untilMax : untilIdle;
        timer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
    }

    private void CheckTimeouts(SignalingConnection connection)
    {
        var now = _time.GetTimestamp();
        if (_time.GetElapsedTime(connection.ConnectedAt, now) >= Options.MaxConnectionDuration)
        {
            _ = connection.GoAwayAndCloseAsync($"the connection reached its maximum duration of {Options.MaxConnectionDuration}");
        }
        else if (_time.GetElapsedTime(connection.LastActivity, now) >= Options.IdleTimeout)
        {
            _ = connection.GoAwayAndCloseAsync($"the connection was idle for {Options.IdleTimeout}");
        }
        // Otherwise a message arrived meanwhile and rescheduled the timer.
    }

    private static string? Header(HttpContext context, string name) =>
        context.Request.Headers.TryGetValue(name, out var v) ? v.ToString() : null;

    private static Task WriteErrorAsync(HttpContext context, int status, string errorType, string message)
    {
        context.Response.StatusCode = status;
        context.Response.Headers["x-amzn-ErrorType"] = errorType;
        return context.Response.WriteAsJsonAsync(new AwsError(message), AwsJson);
    }

    [GeneratedRegex("^[a-zA-Z0-9_.-]{1,256}$")]
    private static partial Regex IdPattern();

    private sealed record AwsError(string Message);
}
