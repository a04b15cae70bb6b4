using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvsInference.LocalKvs.Stun;

/// <summary>Where the STUN server listens.</summary>
public sealed class StunOptions
{
    /// <summary>Gets or sets the UDP endpoint to bind.</summary>
    /// <value>The default value is 127.0.0.1:3478 (the standard STUN port on loopback); port 0 picks a free one.</value>
    public IPEndPoint Endpoint { get; set; } = new(IPAddress.Loopback, 3478);
}

/// <summary>
/// A minimal RFC 5389 STUN binding server on UDP: it answers each well-formed Binding Request with a Binding Success
/// Response carrying XOR-MAPPED-ADDRESS (the address the request came from) and FINGERPRINT, and ignores everything
/// else (malformed datagrams, other message types, bad fingerprints) without answering. No authentication
/// (MESSAGE-INTEGRITY) and no TURN relaying: configure a real TURN server in <c>SignalingOptions.IceServers</c> for that.
/// </summary>
public sealed class StunServer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly ILogger _logger;
    private long _answered;
    private long _ignored;

    private StunServer(Socket socket, ILogger logger)
    {
        _socket = socket;
        _logger = logger;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _loop = Task.Run(ReceiveLoopAsync);
    }

    /// <summary>Gets the bound endpoint (with the actual port when 0 was asked).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Gets the stun: URI of this server, for an ICE server list.</summary>
    public string Uri => $"stun:{(LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{LocalEndPoint.Address}]" : LocalEndPoint.Address)}:{LocalEndPoint.Port}";

    /// <summary>Gets how many Binding Requests were answered.</summary>
    public long Answered => Interlocked.Read(ref _answered);

    /// <summary>Gets how many datagrams were ignored as not a valid Binding Request.</summary>
    public long Ignored => Interlocked.Read(ref _ignored);

    /// <summary>Binds the socket and starts answering.</summary>
    /// <param name="options">Where to listen.</param>
    /// <param name="logger">Logs ignored datagrams at debug level.</param>
    /// <returns>The running server.</returns>
    /// <exception cref="SocketException">The endpoint cannot be bound (for example, the port is in use).</exception>
    public static StunServer Start(StunOptions? options = null, ILogger<StunServer>? logger = null)
    {
        options ??= new StunOptions();
        var socket = new Socket(options.Endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(options.Endpoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new StunServer(socket, logger ?? (ILogger)NullLogger.Instance);
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[1500];
        EndPoint any = new IPEndPoint(LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                // ICMP port-unreachable from an earlier reply, or an oversized datagram: neither stops the server.
                Interlocked.Increment(ref _ignored);
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            var packet = buffer.AsSpan(0, received.ReceivedBytes);
            var why = StunMessage.ValidateBindingRequest(packet);
            var from = (IPEndPoint)received.RemoteEndPoint;
            if (why is not null)
            {
                Interlocked.Increment(ref _ignored);
                _logger.LogDebug("stun: ignored {Bytes} bytes from {From}: {Reason}", received.ReceivedBytes, from, why);
                continue;
            }
            var response = StunMessage.BindingSuccess(packet, from);
            try
            {
                await _socket.SendToAsync(response, SocketFlags.None, from, _stop.Token);
                Interlocked.Increment(ref _answered);
            }
            catch (SocketException e)
            {
                _logger.LogDebug(e, "stun: reply to {From} failed", from);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _socket.Dispose();
        _stop.Dispose();
    }
}
