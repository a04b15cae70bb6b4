using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KvsInference.LocalKvs.Signaling;

/// <summary>Registration of the KVS-compatible signaling server in an ASP.NET Core app.</summary>
public static class SignalingEndpointExtensions
{
    /// <summary>Registers one <see cref="SignalingServer"/> (singleton) with the given options.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets limits, credentials and ICE servers.</param>
    /// <returns>The same collection.</returns>
    public static IServiceCollection AddKvsSignaling(this IServiceCollection services, Action<SignalingOptions>? configure = null)
    {
        var options = new SignalingOptions();
        configure?.Invoke(options);
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton(sp => new SignalingServer(options,
            sp.GetService<TimeProvider>() ?? TimeProvider.System, sp.GetService<ILogger<SignalingServer>>()));
        return services;
    }

    /// <summary>
    /// Maps the signaling WebSocket (GET <paramref name="pathPrefix"/>, or "/" when empty) and the control-plane
    /// operations (POST prefix/createSignalingChannel, describeSignalingChannel, listSignalingChannels,
    /// deleteSignalingChannel, getSignalingChannelEndpoint, v1/get-ice-server-config). The app must call
    /// <c>app.UseWebSockets()</c> before.
    /// </summary>
    /// <param name="endpoints">The app's route builder.</param>
    /// <param name="pathPrefix">"" to serve at the root as KVS does, or e.g. "/kvs" inside a larger app.</param>
    /// <returns>The same builder.</returns>
    public static IEndpointRouteBuilder MapKvsSignaling(this IEndpointRouteBuilder endpoints, string pathPrefix = "")
    {
        var prefix = pathPrefix.TrimEnd('/');
        endpoints.MapGet(prefix.Length == 0 ? "/" : prefix,
            (HttpContext context, SignalingServer server) => server.HandleConnectAsync(context));
        foreach (var operation in new[] { "createSignalingChannel", "describeSignalingChannel", "listSignalingChannels",
                     "deleteSignalingChannel", "getSignalingChannelEndpoint" })
        {
            endpoints.MapPost($"{prefix}/{operation}",
                (HttpContext context, SignalingServer server) => server.HandleApiAsync(context, operation, prefix));
        }
        endpoints.MapPost($"{prefix}/v1/get-ice-server-config",
            (HttpContext context, SignalingServer server) => server.HandleApiAsync(context, "get-ice-server-config", prefix));
        return endpoints;
    }
}
