using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KvsInference.Hosting;

/// <summary>How one of the repository's stand-alone web servers listens, logs and stops.</summary>
/// <remarks>The model container, the local media store, the signaling host, the 3D renderer's page and the worker's
/// ops port are all set up by <see cref="StandaloneServer.CreateBuilder"/> from one of these.</remarks>
public sealed class StandaloneServerOptions
{
    /// <summary>Gets or sets the listen URLs in Kestrel's syntax (semicolon-separated; port 0 picks a free port).</summary>
    /// <value>The default value is null: <see cref="Listen"/> names the endpoints.</value>
    public string? Urls { get; set; }

    /// <summary>Gets or sets the endpoints to listen on, for a server that binds an address (or TLS) itself.</summary>
    /// <value>The default value is null: <see cref="Urls"/> names the endpoints.</value>
    /// <remarks>Called when the server starts, so it may read settings bound from the builder's configuration.</remarks>
    public Action<KestrelServerOptions>? Listen { get; set; }

    /// <summary>Gets or sets where the server's logs go.</summary>
    /// <value>The default value is null: no logs.</value>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Gets or sets whether the server handles Ctrl+C and SIGTERM itself (the console lifetime).</summary>
    /// <value>The default value is false: the embedding process owns the signals (<see cref="EmbeddedHostLifetime"/>).</value>
    public bool HandlesShutdownSignals { get; set; }

    /// <summary>Gets or sets whether request bodies have no size cap, because the handler enforces its own limit.</summary>
    /// <value>The default value is false: Kestrel's 30 MB cap.</value>
    public bool UnlimitedRequestBodies { get; set; }

    /// <summary>Gets or sets whether requests and responses are long-lived streams: no body size cap and no minimum
    /// data rates, pauses being the server's own to judge.</summary>
    /// <value>The default value is false.</value>
    public bool LongLivedStreams { get; set; }
}

/// <summary>The one way a stand-alone Kestrel server of this repository is set up.</summary>
public static class StandaloneServer
{
    /// <summary>Creates the builder of a stand-alone server: the slim web host, its endpoints, logging and lifetime.</summary>
    /// <param name="options">How the server listens, logs and stops.</param>
    /// <param name="application">Content root, arguments and environment; null for the defaults.</param>
    /// <returns>The builder; the caller adds its services and endpoints.</returns>
    /// <exception cref="ArgumentException">Neither or both of <see cref="StandaloneServerOptions.Urls"/> and
    /// <see cref="StandaloneServerOptions.Listen"/> are set.</exception>
    public static WebApplicationBuilder CreateBuilder(StandaloneServerOptions options, WebApplicationOptions? application = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Urls) == (options.Listen is null))
        {
            throw new ArgumentException("Set either Urls or Listen: the endpoints of the server.", nameof(options));
        }
        var builder = WebApplication.CreateSlimBuilder(application ?? new WebApplicationOptions());
        builder.Logging.ClearProviders();
        if (options.LoggerFactory is not null) builder.Services.AddSingleton(options.LoggerFactory);
        if (!options.HandlesShutdownSignals)
        {
            // The console lifetime handles SIGINT and SIGTERM itself and cancels their default action, so the
            // embedding process's own handler would never see them.
            builder.Services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();
        }
        if (options.Urls is { } urls) builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            options.Listen?.Invoke(kestrel);
            if (options.UnlimitedRequestBodies || options.LongLivedStreams) kestrel.Limits.MaxRequestBodySize = null;
            if (options.LongLivedStreams)
            {
                kestrel.Limits.MinRequestBodyDataRate = null;
                kestrel.Limits.MinResponseDataRate = null;
            }
        });
        return builder;
    }

    /// <summary>Listens on a host and port as a URL would name them: <c>localhost</c> on both loopback addresses, an IP
    /// address on that address, any other name on every address.</summary>
    /// <param name="kestrel">The server's options.</param>
    /// <param name="host">The host: localhost, an IPv4 or IPv6 address, or a name.</param>
    /// <param name="port">The port; 0 picks a free one (not with localhost).</param>
    public static void ListenOn(KestrelServerOptions kestrel, string host, int port)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) kestrel.ListenLocalhost(port);
        else if (System.Net.IPAddress.TryParse(host, out var address)) kestrel.Listen(address, port);
        else kestrel.ListenAnyIP(port);
    }

    /// <summary>Gets the addresses a started server listens on, with the ports actually bound.</summary>
    /// <param name="app">The started server.</param>
    /// <returns>The addresses as Kestrel reports them (<c>http://127.0.0.1:8080</c>); empty before the start.</returns>
    public static IReadOnlyList<string> BoundAddresses(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];
    }

    /// <summary>Stops the server, giving open requests up to <paramref name="timeout"/>, and releases it.</summary>
    /// <param name="app">The server.</param>
    /// <param name="timeout">How long open requests may take to finish.</param>
    /// <returns>A task that completes when the server is released.</returns>
    public static async ValueTask StopAndDisposeAsync(this WebApplication app, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(app);
        using var stopTimeout = new CancellationTokenSource(timeout);
        try
        {
            await app.StopAsync(stopTimeout.Token).ConfigureAwait(false);
        }
        finally
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }
}
