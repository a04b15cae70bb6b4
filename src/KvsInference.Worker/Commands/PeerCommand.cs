using System.CommandLine;
using System.Net;
using KvsInference.LocalKvs.Signaling;
using KvsInference.LocalKvs.Stun;
using Microsoft.Extensions.Logging;

namespace KvsInference.Worker.Commands;

/// <summary>
/// `peer`: runs the meeting edge on its own: the KVS-compatible signaling server (ws:// and wss:// with a generated
/// development certificate) and the STUN binding server, on 127.0.0.1 by default; prints the endpoints, the channel
/// ARNs and a master and a viewer meeting token, then serves until Ctrl+C.
/// </summary>
internal static class PeerCommand
{
    /// <summary>What the command was asked for.</summary>
    internal sealed record Settings(
        IPAddress Address, int? WsPort, int? WssPort, int? StunPort, IReadOnlyList<string> Channels, string Region,
        string? AccessKeyId, string? SecretAccessKey, IReadOnlyList<string> IceServers, bool AllowAnonymous,
        int MaxViewers, TimeSpan IdleTimeout, string? CertificatePemPath);

    public static Command Create()
    {
        var address = new Option<string>("--address") { Description = "Address to bind (loopback by default).", DefaultValueFactory = _ => "127.0.0.1" };
        var wsPort = new Option<int>("--ws-port") { Description = "Plain ws:// and http:// port (0: any free port, -1: off).", DefaultValueFactory = _ => 8088 };
        var wssPort = new Option<int>("--wss-port") { Description = "wss:// and https:// port with a development certificate (0: any free port, -1: off).", DefaultValueFactory = _ => 8443 };
        var stunPort = new Option<int>("--stun-port") { Description = "UDP port of the STUN binding server (0: any free port, -1: off).", DefaultValueFactory = _ => 3478 };
        var channels = new Option<string[]>("--channel") { Description = "Signaling channel(s) to create at start.", DefaultValueFactory = _ => ["kvsinference"], AllowMultipleArgumentsPerToken = true };
        var region = new Option<string>("--region") { Description = "Region of ARNs and accepted SigV4 signatures.", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("AWS_REGION") ?? "us-west-2" };
        var accessKey = new Option<string?>("--access-key-id") { Description = "Access key id whose SigV4 signatures are accepted (default: AWS_ACCESS_KEY_ID).", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID") };
        var secret = new Option<string?>("--secret-access-key") { Description = "Its secret (default: AWS_SECRET_ACCESS_KEY).", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY") };
        var ice = new Option<string[]>("--ice-server") { Description = "Extra ICE server URI for GetIceServerConfig (stun:/turn:; turn:user:pass@host:port for TURN).", AllowMultipleArgumentsPerToken = true };
        var anonymous = new Option<bool>("--allow-anonymous") { Description = "Accept connections without credentials (loopback development only)." };
        var maxViewers = new Option<int>("--max-viewers") { Description = "Viewers per channel.", DefaultValueFactory = _ => 10 };
        var idle = new Option<int>("--idle-timeout-seconds") { Description = "Close connections idle this long (after GO_AWAY).", DefaultValueFactory = _ => 600 };
        var pem = new Option<string?>("--cert-pem") { Description = "Write the development certificate (PEM) here, for clients to trust (node: NODE_EXTRA_CA_CERTS)." };

        var command = new Command("peer", "Runs the meeting edge: KVS-compatible signaling (ws/wss) and a STUN server on loopback.");
        foreach (var o in new Option[] { address, wsPort, wssPort, stunPort, channels, region, accessKey, secret, ice, anonymous, maxViewers, idle, pem })
        {
            command.Options.Add(o);
        }
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!IPAddress.TryParse(parse.GetValue(address), out var ip))
            {
                Console.Error.WriteLine($"--address '{parse.GetValue(address)}' is not an IP address.");
                return 2;
            }
            static int? Port(int p) => p < 0 ? null : p;
            var settings = new Settings(ip, Port(parse.GetValue(wsPort)), Port(parse.GetValue(wssPort)), Port(parse.GetValue(stunPort)),
                parse.GetValue(channels) ?? [], parse.GetValue(region)!, parse.GetValue(accessKey), parse.GetValue(secret),
                parse.GetValue(ice) ?? [], parse.GetValue(anonymous), parse.GetValue(maxViewers),
                TimeSpan.FromSeconds(parse.GetValue(idle)), parse.GetValue(pem));
            try
            {
                await RunAsync(settings, Console.Out, null, cancellationToken);
                return 0;
            }
            catch (Exception e) when (e is System.ComponentModel.DataAnnotations.ValidationException or ArgumentException or IOException
                or System.Net.Sockets.SocketException)
            {
                Console.Error.WriteLine("peer: " + e.Message);
                return 2;
            }
        });
        return command;
    }

    /// <summary>Starts everything, prints the endpoints, serves until cancelled.</summary>
    /// <param name="settings">What to run.</param>
    /// <param name="output">Where the endpoints are printed.</param>
    /// <param name="started">Told the host once it is listening (tests use it).</param>
    /// <param name="cancellationToken">Stops the servers.</param>
    internal static async Task RunAsync(Settings settings, TextWriter output, Action<SignalingHost>? started, CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));
        await using var stun = settings.StunPort is { } stunPort
            ? StunServer.Start(new StunOptions { Endpoint = new IPEndPoint(settings.Address, stunPort) }, loggerFactory.CreateLogger<StunServer>())
            : null;

        var options = new SignalingOptions
        {
            Region = settings.Region,
            AllowAnonymous = settings.AllowAnonymous,
            MaxViewersPerChannel = settings.MaxViewers,
            IdleTimeout = settings.IdleTimeout,
        };
        if (!string.IsNullOrEmpty(settings.AccessKeyId) && !string.IsNullOrEmpty(settings.SecretAccessKey))
        {
            options.Credentials[settings.AccessKeyId] = settings.SecretAccessKey;
        }
        if (stun is not null) options.IceServers.Add(new IceServer([stun.Uri]));
        foreach (var uri in settings.IceServers) options.IceServers.Add(ParseIceServer(uri));

        await using var host = await SignalingHost.StartAsync(options,
            new SignalingHostOptions { Address = settings.Address, PlainPort = settings.WsPort, TlsPort = settings.WssPort },
            TimeProvider.System, loggerFactory, cancellationToken);
        if (host.Certificate is not null && settings.CertificatePemPath is not null)
        {
            DevelopmentCertificate.WritePem(host.Certificate, settings.CertificatePemPath);
        }

        if (host.WebSocketUrl is not null) await output.WriteLineAsync($"signaling ws:   {host.WebSocketUrl}   (control plane: {host.PlainEndpoint})");
        if (host.SecureWebSocketUrl is not null) await output.WriteLineAsync($"signaling wss:  {host.SecureWebSocketUrl}   (control plane: {host.TlsEndpoint})");
        if (host.Certificate is not null) await output.WriteLineAsync($"certificate:    {host.Certificate.Thumbprint}{(settings.CertificatePemPath is null ? "" : " -> " + settings.CertificatePemPath)}");
        if (stun is not null) await output.WriteLineAsync($"stun:           {stun.Uri}");
        await output.WriteLineAsync($"auth:           {(options.Credentials.Count > 0 ? "SigV4 for " + string.Join(", ", options.Credentials.Keys) + "; " : "")}meeting tokens{(options.AllowAnonymous ? "; anonymous allowed" : "")}");
        foreach (var name in settings.Channels)
        {
            var channel = host.Server.FindChannelByName(name) ?? host.Server.CreateChannel(name);
            await output.WriteLineAsync($"channel:        {channel.Arn}");
            await output.WriteLineAsync($"  master token: {host.Server.Tokens.Issue(channel.Arn, SignalingRole.Master, null, TimeSpan.FromHours(12))}");
            await output.WriteLineAsync($"  viewer token: {host.Server.Tokens.Issue(channel.Arn, SignalingRole.Viewer, null, TimeSpan.FromHours(12))}");
        }
        await output.WriteLineAsync($"(tokens go in the query parameter {SignalingServer.MeetingTokenQueryParameter}; Ctrl+C stops)");
        await output.FlushAsync(cancellationToken);
        started?.Invoke(host);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Parses stun:host:port, or turn:user:password@host:port (credentials moved to Username/Password).</summary>
    internal static IceServer ParseIceServer(string uri)
    {
        var colon = uri.IndexOf(':');
        var at = uri.LastIndexOf('@');
        if (colon <= 0 || uri[..colon] is not ("stun" or "stuns" or "turn" or "turns"))
        {
            throw new ArgumentException($"ICE server '{uri}' must start with stun:, stuns:, turn: or turns:.");
        }
        if (at < 0) return new IceServer([uri]);
        var credentials = uri[(colon + 1)..at];
        var split = credentials.IndexOf(':');
        if (split <= 0) throw new ArgumentException($"ICE server '{uri}': write credentials as user:password@host.");
        return new IceServer([uri[..(colon + 1)] + uri[(at + 1)..]], credentials[..split], credentials[(split + 1)..]);
    }
}
