using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KvsInference.LocalKvs.Signaling;

/// <summary>Where a <see cref="SignalingHost"/> listens.</summary>
public sealed class SignalingHostOptions
{
    /// <summary>Gets or sets the address to bind.</summary>
    /// <value>The default value is 127.0.0.1.</value>
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>Gets or sets the plain ws:// / http:// port; 0 picks a free one, null disables it.</summary>
    /// <value>The default value is 0.</value>
    public int? PlainPort { get; set; } = 0;

    /// <summary>Gets or sets the wss:// / https:// port (development certificate); 0 picks a free one, null disables it.</summary>
    /// <value>The default value is 0.</value>
    public int? TlsPort { get; set; } = 0;

    /// <summary>Gets or sets the TLS certificate; null makes a <see cref="DevelopmentCertificate"/>.</summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>Gets or sets the path prefix of the signaling endpoints.</summary>
    /// <value>The default value is "" (the root, as KVS).</value>
    public string PathPrefix { get; set; } = "";
}

/// <summary>
/// A stand-alone Kestrel app serving only the signaling server (the `peer` command and the tests use it; the meeting
/// web app mounts <see cref="SignalingEndpointExtensions.MapKvsSignaling"/> in its own app instead).
/// </summary>
public sealed class SignalingHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SignalingHost(WebApplication app, SignalingServer server, X509Certificate2? certificate, Uri? plain, Uri? tls, string prefix)
    {
        _app = app;
        Server = server;
        Certificate = certificate;
        PlainEndpoint = plain is null ? null : new Uri(plain, prefix);
        TlsEndpoint = tls is null ? null : new Uri(tls, prefix);
    }

    /// <summary>Gets the signaling server (channels, tokens).</summary>
    public SignalingServer Server { get; }

    /// <summary>Gets the TLS certificate in use, if TLS is enabled.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>Gets the http:// base URL (ws:// for the socket), if enabled.</summary>
    public Uri? PlainEndpoint { get; }

    /// <summary>Gets the https:// base URL (wss:// for the socket), if enabled.</summary>
    public Uri? TlsEndpoint { get; }

    /// <summary>Gets the ws:// URL of the signaling socket, if plain is enabled.</summary>
    public Uri? WebSocketUrl => PlainEndpoint is null ? null : new UriBuilder(PlainEndpoint) { Scheme = "ws" }.Uri;

    /// <summary>Gets the wss:// URL of the signaling socket, if TLS is enabled.</summary>
    public Uri? SecureWebSocketUrl => TlsEndpoint is null ? null : new UriBuilder(TlsEndpoint) { Scheme = "wss" }.Uri;

    /// <summary>Starts the host.</summary>
    /// <param name="signaling">Limits and credentials of the server.</param>
    /// <param name="host">Ports and certificate.</param>
    /// <param name="time">The clock (tests pass a fake one).</param>
    /// <param name="loggerFactory">Logging; none when null.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running host.</returns>
    /// <exception cref="ArgumentException">Neither port is enabled.</exception>
    public static async Task<SignalingHost> StartAsync(SignalingOptions signaling, SignalingHostOptions? host = null,
        TimeProvider? time = null, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        host ??= new SignalingHostOptions();
        if (host.PlainPort is null && host.TlsPort is null) throw new ArgumentException("Enable the plain port, the TLS port or both.", nameof(host));
        var certificate = host.TlsPort is null ? null : host.Certificate ?? DevelopmentCertificate.Create();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (loggerFactory is not null) builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton(time ?? TimeProvider.System);
        // The embedding process (the `peer` command, a test) owns Ctrl+C/SIGTERM: the host must not swallow them.
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, EmbeddedHostLifetime>();
        builder.Services.AddKvsSignaling(o => Copy(signaling, o));
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (host.PlainPort is { } plain) k.Listen(host.Address, plain);
            if (host.TlsPort is { } tls) k.Listen(host.Address, tls, l => l.UseHttps(certificate!));
        });
        var app = builder.Build();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.MapKvsSignaling(host.PathPrefix);
        await app.StartAsync(cancellationToken);

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a)).ToList();
        var prefix = host.PathPrefix.TrimEnd('/') + "/";
        var server = app.Services.GetRequiredService<SignalingServer>();
        return new SignalingHost(app, server, certificate,
            addresses.FirstOrDefault(a => a.Scheme == "http"), addresses.FirstOrDefault(a => a.Scheme == "https"), prefix);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stopTimeout.Token);
        await _app.DisposeAsync();
    }

    // The options object is created by AddKvsSignaling; copy the caller's settings into it.
    private static void Copy(SignalingOptions from, SignalingOptions to)
    {
        to.MaxViewersPerChannel = from.MaxViewersPerChannel;
        to.MaxMessagePayloadChars = from.MaxMessagePayloadChars;
        to.SdpMessagesPerSecond = from.SdpMessagesPerSecond;
        to.IceCandidatesPerSecond = from.IceCandidatesPerSecond;
        to.MaxConnectionDuration = from.MaxConnectionDuration;
        to.IdleTimeout = from.IdleTimeout;
        to.Region = from.Region;
        to.AccountId = from.AccountId;
        to.MeetingTokenKey = from.MeetingTokenKey;
        to.AllowAnonymous = from.AllowAnonymous;
        to.AllowedClockSkew = from.AllowedClockSkew;
        to.GoAwayGracePeriod = from.GoAwayGracePeriod;
        to.RefusalLogInterval = from.RefusalLogInterval;
        to.WssEndpoint = from.WssEndpoint;
        to.HttpsEndpoint = from.HttpsEndpoint;
        foreach (var (k, v) in from.Credentials) to.Credentials[k] = v;
        to.IceServers.AddRange(from.IceServers);
    }
}
