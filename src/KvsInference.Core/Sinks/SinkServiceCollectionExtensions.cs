using KvsInference.Aws;
using KvsInference.Aws.Kinesis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace KvsInference.Sinks;

/// <summary>Registers record sinks as singletons (TimeProvider and loggers come from the container when present).</summary>
public static class SinkServiceCollectionExtensions
{
    /// <summary>Registers <see cref="KinesisRecordSink"/> as the <see cref="IRecordSink"/> (and the Kinesis client it needs).</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the sink options (the stream name at least).</param>
    /// <param name="configureClient">Sets the Kinesis client options, or null for the defaults.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddKinesisRecordSink(this IServiceCollection services, Action<KinesisRecordSinkOptions> configure,
        Action<KinesisClientOptions>? configureClient = null)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddKinesisClient(configureClient);
        services.TryAddSingleton<IRecordSink>(sp =>
        {
            var options = new KinesisRecordSinkOptions();
            configure(options);
            return new KinesisRecordSink(sp.GetRequiredService<IAmazonKinesis>(), options, sp.GetService<TimeProvider>(), sp.GetService<ILogger<KinesisRecordSink>>());
        });
        return services;
    }
}
