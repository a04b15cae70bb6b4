using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace KvsInference.LocalKvs.Signaling;

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
    private readonly TimeProvider _time;
    private readonly TimeSpan _gracePeriod;
    private int _closing;

    public SignalingConnection(WebSocket socket, SignalingChannel channel, SignalingRole role, string? clientId,
        SignalingOptions options, TimeProvider time, ILogger logger)
    {
        _socket = socket;
        Channel = channel;
        Role = role;
        ClientId = clientId;
        _logger = logger;
        _time = time;
        _gracePeriod = options.GoAwayGracePeriod;
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

    private long _refusalsUnlogged;
    private long _lastRefusalLog;
    private bool _refusalLogged;

    /// <summary>
    /// Counts a refused message and tells whether it is time for the Information line about refusals: the first one,
    /// then at most one per <paramref name="interval"/>, carrying how many were refused since the last line. Called from
    /// the connection's receive loop only, so no lock is needed.
    /// </summary>
    public bool CountRefusal(TimeSpan interval, out long count)
    {
        _refusalsUnlogged++;
        var now = _time.GetTimestamp();
        if (_refusalLogged && _time.GetElapsedTime(_lastRefusalLog, now) < interval)
        {
            count = 0;
            return false;
        }
        count = _refusalsUnlogged;
        _refusalsUnlogged = 0;
        _lastRefusalLog = now;
        _refusalLogged = true;
        return true;
    }

    /// <summary>Refusals counted but not yet reported (for the line logged when the connection ends).</summary>
    public long UnloggedRefusals => _refusalsUnlogged;

    /// <summary>Queues a message; false when the client is closing or too far behind.</summary>
    public bool TrySend(byte[] message) => !IsClosing && _outbound.Writer.TryWrite(message);

    /// <summary>
    /// Sends GO_AWAY, then, after <see cref="SignalingOptions.GoAwayGracePeriod"/> (so that the client can open its next
    /// connection first, as KVS clients do on GO_AWAY), closes the socket with <paramref name="status"/>.
    /// </summary>
    /// <param name="reason">The close reason (logged, and sent truncated to 120 characters).</param>
    /// <param name="status">The close code: 1000 for the ordinary ends, 1009 for a message too big, 1008 for a refusal.</param>
    /// <param name="grace">False to close right after GO_AWAY (the connection broke the protocol or was never admitted).</param>
    public async Task GoAwayAndCloseAsync(string reason, WebSocketCloseStatus status = WebSocketCloseStatus.NormalClosure, bool grace = true)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0) return;
        _logger.LogInformation("signaling: closing {Connection} on {Channel}: {Reason}", Name, Channel.Arn, reason);
        _outbound.Writer.TryWrite(SignalingMessages.GoAwayEvent());
        _outbound.Writer.TryComplete();
        await _writerDone.Task.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (grace && _gracePeriod > TimeSpan.Zero)
        {
            await Task.Delay(_gracePeriod, _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        // A client that never answers the close is dropped a few seconds later.
        Abort.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(status, Truncate(reason), cts.Token);
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
