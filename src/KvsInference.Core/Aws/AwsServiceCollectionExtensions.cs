using KvsInference.Aws.Kinesis;
using KvsInference.Aws.KinesisVideo;
using KvsInference.Aws.SageMaker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace KvsInference.Aws;

/// <summary>Registers the typed AWS clients as singletons (TimeProvider and loggers come from the container when present).</summary>
public static class AwsServiceCollectionExtensions
{
    /// <summary>Registers <see cref="KinesisVideoClient"/> (the KVS clients) and its control plane as <see cref="IAmazonKinesisVideo"/>.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options, or null for the defaults (environment and default chain).</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddKinesisVideoClient(this IServiceCollection services, Action<KinesisVideoClientOptions>? configure = null)
    {
        services.TryAddSingleton(sp =>
        {
            var options = new KinesisVideoClientOptions();
            configure?.Invoke(options);
            return new KinesisVideoClient(options, sp.GetService<TimeProvider>(), sp.GetService<ILogger<KinesisVideoClient>>());
        });
        services.TryAddSingleton(sp => sp.GetRequiredService<KinesisVideoClient>().ControlPlane);
        return services;
    }

    /// <summary>Registers <see cref="AmazonKinesisClient"/> as <see cref="IAmazonKinesis"/>.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options, or null for the defaults.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddKinesisClient(this IServiceCollection services, Action<KinesisClientOptions>? configure = null)
    {
        services.TryAddSingleton(sp =>
        {
            var options = new KinesisClientOptions();
            configure?.Invoke(options);
            return new AmazonKinesisClient(options, sp.GetService<TimeProvider>(), sp.GetService<ILogger<AmazonKinesisClient>>());
        });
        services.TryAddSingleton<IAmazonKinesis>(sp => sp.GetRequiredService<AmazonKinesisClient>());
        return services;
    }

    /// <summary>Registers <see cref="AmazonSageMakerRuntimeClient"/>, also as <see cref="IAmazonSageMakerRuntime"/>.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options, or null for the defaults.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddSageMakerRuntimeClient(this IServiceCollection services, Action<SageMakerRuntimeClientOptions>? configure = null)
    {
        services.TryAddSingleton(sp =>
        {
            var options = new SageMakerRuntimeClientOptions();
            configure?.Invoke(options);
            return new AmazonSageMakerRuntimeClient(options, sp.GetService<TimeProvider>(), sp.GetService<ILogger<AmazonSageMakerRuntimeClient>>());
        });
        services.TryAddSingleton<IAmazonSageMakerRuntime>(sp => sp.GetRequiredService<AmazonSageMakerRuntimeClient>());
        return services;
    }
}
