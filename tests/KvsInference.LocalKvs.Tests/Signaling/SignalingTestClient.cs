using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using KvsInference.LocalKvs.Signaling;

namespace KvsInference.Tests.Signaling;

/// <summary>A raw ClientWebSocket speaking the KVS signaling wire format, for tests.</summary>
internal sealed class SignalingTestClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;

    private SignalingTestClient(ClientWebSocket socket) => _socket = socket;

    public WebSocketState State => _socket.State;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public string? CloseDescription => _socket.CloseStatusDescription;

    public static async Task<SignalingTestClient> ConnectAsync(SignalingHost host, SignalingChannel channel, string? clientId, string? token = "issue")
    {
        var uri = BuildUri(host, channel, clientId, token);
        var socket = new ClientWebSocket();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var before = Registered(channel, clientId);
        await socket.ConnectAsync(uri, cts.Token);
        // The server registers a connection just after the WebSocket handshake completes; wait for that, so that a
        // message sent next is routed to it (as a KVS client would have its connection established first).
        for (var i = 0; i < 200; i++)
        {
            var now = Registered(channel, clientId);
            if (now is not null && !ReferenceEquals(now, before)) break;
            await Task.Delay(10);
        }
        return new SignalingTestClient(socket);
    }

    private static object? Registered(SignalingChannel channel, string? clientId) =>
        clientId is null ? channel.Master : channel.FindViewer(clientId);

    /// <summary>Tries to connect and returns the HTTP status the upgrade was refused with (101 when it succeeded).</summary>
    public static async Task<HttpStatusCode> TryConnectAsync(Uri uri)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await socket.ConnectAsync(uri, cts.Token);
            return socket.HttpStatusCode;
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }
    }

    public static Uri BuildUri(SignalingHost host, SignalingChannel channel, string? clientId, string? token = "issue")
    {
        if (token == "issue")
        {
            token = host.Server.Tokens.Issue(channel.Arn, clientId is null ? SignalingRole.Master : SignalingRole.Viewer, clientId, TimeSpan.FromMinutes(5));
        }
        var query = "X-Amz-ChannelARN=" + Uri.EscapeDataString(channel.Arn);
        if (clientId is not null) query += "&X-Amz-ClientId=" + Uri.EscapeDataString(clientId);
        if (token is not null) query += "&" + SignalingServer.MeetingTokenQueryParameter + "=" + Uri.EscapeDataString(token);
        return new UriBuilder(host.WebSocketUrl!) { Query = query }.Uri;
    }

    public static string Payload(object value) => Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(value));

    public Task SendAsync(string action, object payload, string? recipientClientId = null, string? correlationId = null) =>
        SendRawAsync(JsonSerializer.Serialize(new Dictionary<string, string?>
        {
            ["action"] = action,
            ["messagePayload"] = payload as string ?? Payload(payload),
            ["recipientClientId"] = recipientClientId,
            ["correlationId"] = correlationId,
        }.Where(p => p.Value is not null).ToDictionary()));

    public async Task SendRawAsync(string text)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cts.Token);
    }

    /// <summary>The next text message as JSON; null when the server closed the socket.</summary>
    public async Task<JsonElement?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var buffer = new byte[64 * 1024];
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await _socket.ReceiveAsync(buffer.AsMemory(length), cts.Token);
            length += result.Count;
        }
        while (!result.EndOfMessage);
        if (result.MessageType == WebSocketMessageType.Close) return null;
        using var doc = JsonDocument.Parse(buffer.AsMemory(0, length));
        return doc.RootElement.Clone();
    }

    /// <summary>True when nothing arrives within the window (the socket stays usable only if this returns true... it is aborted otherwise).</summary>
    public async Task<bool> ReceivesNothingAsync(TimeSpan window)
    {
        try
        {
            var message = await ReceiveAsync(window);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
        }
        _socket.Dispose();
    }
}
