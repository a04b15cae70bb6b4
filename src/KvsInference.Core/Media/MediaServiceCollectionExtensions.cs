using KvsInference.Aws;
using KvsInference.Aws.KinesisVideo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace KvsInference.Media;

/// <summary>Registers the media parts of Kinesis Video Streams as singletons.</summary>
public static class MediaServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="KvsStreamCatalog"/> as the <see cref="IStreamCatalog"/> and <see cref="KvsMediaSource"/> as the
    /// <see cref="IMediaSource"/>, both over one <see cref="KinesisVideoClient"/> (registered too).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configureClient">Sets the Kinesis Video client options, or null for the defaults (environment and default chain).</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddKvsMedia(this IServiceCollection services, Action<KinesisVideoClientOptions>? configureClient = null)
    {
        services.AddKinesisVideoClient(configureClient);
        services.TryAddSingleton<IStreamCatalog>(sp => new KvsStreamCatalog(sp.GetRequiredService<KinesisVideoClient>()));
        services.TryAddSingleton<IMediaSource>(sp => new KvsMediaSource(sp.GetRequiredService<KinesisVideoClient>()));
        return services;
    }
}
