using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace KvsInference.Peer.Signaling;

/// <summary>
/// One WebSocket on a channel. Its receive loop runs in <see cref="SignalingServer"/>; sends go through a bounded
/// queue drained by one writer task, so a slow client never blocks the sender of a message to it.
/// </summary>
internal sealed class SignalingConnection
{
    private readonly WebSocket _socket;
    private readonly Channel<byte[]> _outbound = System.Threading.Channels.Channel.CreateBounded<byte[]>(
        new BoundedChannelOptions(SignalingConstants.OutboundQueueLength) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _writerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _closing;

    public SignalingConnection(WebSocket socket, SignalingChannel channel, SignalingRole role, string? clientId,
        SignalingOptions options, TimeProvider time, ILogger logger)
    {
        _socket = socket;
        Channel = channel;
        Role = role;
        ClientId = clientId;
        _logger = logger;
        OfferBucket = new TokenBucket(time, options.SdpMessagesPerSecond, Math.Max(1, options.SdpMessagesPerSecond));
        AnswerBucket = new TokenBucket(time, options.SdpMessagesPerSecond, Math.Max(1, options.SdpMessagesPerSecond));
        IceBucket = new TokenBucket(time, options.IceCandidatesPerSecond, Math.Max(1, options.IceCandidatesPerSecond));
        ConnectedAt = time.GetTimestamp();
        LastActivity = ConnectedAt;
        _ = Task.Run(WriteLoopAsync);
    }

    public SignalingChannel Channel { get; }

    public SignalingRole Role { get; }

    /// <summary>The viewer's X-Amz-ClientId; null for the master.</summary>
    public string? ClientId { get; }

    public string Name => Role == SignalingRole.Master ? "master" : "viewer " + ClientId;

    public TokenBucket OfferBucket { get; }

    public TokenBucket AnswerBucket { get; }

    public TokenBucket IceBucket { get; }

    public long ConnectedAt { get; }

    private long _lastActivity;

    /// <summary>Timestamp of the last message received from the client (idle timeout is measured from here).</summary>
    public long LastActivity
    {
        get => Interlocked.Read(ref _lastActivity);
        set => Interlocked.Exchange(ref _lastActivity, value);
    }

    /// <summary>Cancelled a few seconds after the server starts closing, so a client that never answers the close is dropped.</summary>
    public CancellationTokenSource Abort { get; } = new();

    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary>Queues a message; false when the client is closing or too far behind.</summary>
    public bool TrySend(byte[] message) => !IsClosing && _outbound.Writer.TryWrite(message);

    /// <summary>Sends GO_AWAY, then closes the socket once the queue has drained (bounded by a short timeout).</summary>
    public async Task GoAwayAndCloseAsync(string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0) return;
        _logger.LogInformation("signaling: closing {Connection} on {Channel}: {Reason}", Name, Channel.Arn, reason);
        _outbound.Writer.TryWrite(SignalingMessages.GoAwayEvent());
        _outbound.Writer.TryComplete();
        Abort.CancelAfter(TimeSpan.FromSeconds(5));
        await _writerDone.Task.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, Truncate(reason), cts.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _logger.LogDebug(e, "signaling: close of {Connection} failed", Name);
            _socket.Abort();
        }
    }

    /// <summary>Stops the writer when the receive loop has ended (the socket is gone).</summary>
    public void Complete()
    {
        Interlocked.Exchange(ref _closing, 1);
        _outbound.Writer.TryComplete();
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var message in _outbound.Reader.ReadAllAsync())
            {
                if (_socket.State != WebSocketState.Open) break;
                await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            _logger.LogDebug(e, "signaling: send to {Connection} failed", Name);
        }
        finally
        {
            _writerDone.TrySetResult();
        }
    }

    // A close reason is at most 123 bytes of UTF-8.
    private static string Truncate(string reason) => reason.Length <= 120 ? reason : reason[..120];
}
