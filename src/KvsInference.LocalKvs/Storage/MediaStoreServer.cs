using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KvsInference.LocalKvs.Storage;

/// <summary>
/// The media store on its own Kestrel server: <c>await using var server = await MediaStoreServer.StartAsync(options);</c>
/// then point KVS clients at <see cref="Url"/>.
/// </summary>
public sealed class MediaStoreServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MediaStoreServer(WebApplication app, MediaStore store, string url)
    {
        _app = app;
        Store = store;
        Url = url;
    }

    /// <summary>Gets the store the server serves (for in-process use: create streams, ingest, read).</summary>
    /// <value>Owned by the server; disposed with it.</value>
    public MediaStore Store { get; }

    /// <summary>Gets the base URL the server listens on, e.g. <c>http://127.0.0.1:4567</c>; GetDataEndpoint answers it.</summary>
    /// <value>With the port actually bound (when <see cref="MediaStoreOptions.Port"/> is 0).</value>
    public string Url { get; }

    /// <summary>Opens the store and starts serving it.</summary>
    /// <param name="options">The options (data directory, host, port, limits).</param>
    /// <param name="timeProvider">The clock, or null for the system clock.</param>
    /// <param name="loggerFactory">Logging, or null for none.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server.</returns>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    /// <exception cref="IOException">The port is taken or the data directory cannot be used.</exception>
    public static async Task<MediaStoreServer> StartAsync(MediaStoreOptions options, TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        IPAddress address = options.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(options.Host);
        var store = new MediaStore(options, timeProvider, loggerFactory?.CreateLogger<MediaStore>());
        WebApplication app;
        try
        {
            WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            builder.Services.AddRoutingCore();
            if (loggerFactory is not null) builder.Services.AddSingleton(loggerFactory);
            else builder.Services.AddLogging();
            // The embedding process (`media serve`, the worker, a test) owns Ctrl+C/SIGTERM: the host must not swallow them.
            builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, EmbeddedHostLifetime>();
            builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            {
                kestrel.Listen(address, options.Port);
                // PutMedia uploads and GetMedia reads are long-lived streams: no body size cap, and pauses are the
                // store's to judge (PutMediaReadTimeout, GetMediaIdleTimeout), not Kestrel's minimum data rates.
                kestrel.Limits.MaxRequestBodySize = null;
                kestrel.Limits.MinRequestBodyDataRate = null;
                kestrel.Limits.MinResponseDataRate = null;
                kestrel.AddServerHeader = false;
            });
            app = builder.Build();
            app.UseRouting();
            app.MapKvsMediaStore(store);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            store.Dispose();
            throw;
        }
        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(bound);
        string url = $"http://{(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString())}:{uri.Port}";
        store.DataEndpoint = url;
        return new MediaStoreServer(app, store, url);
    }

    /// <summary>Stops serving (open GetMedia and PutMedia connections are closed) and stops the retention sweep.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        Store.BeginShutdown();
        try
        {
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            Store.Dispose();
        }
    }
}
