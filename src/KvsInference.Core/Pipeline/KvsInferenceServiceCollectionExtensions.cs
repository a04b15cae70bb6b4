using KvsInference.Audio;
using KvsInference.Inference;
using KvsInference.Leases;
using KvsInference.Media;
using KvsInference.Sinks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvsInference.Pipeline;

/// <summary>Registers a KvsInference worker in a host.</summary>
public static class KvsInferenceServiceCollectionExtensions
{
    /// <summary>
    /// Adds the worker as a hosted service. The caller registers the parts it chooses: <see cref="IMediaSource"/>,
    /// <see cref="IStreamCatalog"/>, <see cref="IInferenceClient"/> and <see cref="IRecordSink"/> (required), and an
    /// <see cref="ILeaseStore"/> (default: <see cref="InMemoryLeaseStore"/>, for a single process).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options; they are validated when the host starts.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddKvsInference(this IServiceCollection services, Action<KvsInferenceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new KvsInferenceOptions();
        configure(options);
        return services.AddKvsInference(options);
    }

    /// <summary>
    /// Adds the worker as a hosted service with options made beforehand (e.g. bound from configuration and checked by
    /// <see cref="KvsInferenceOptions.FindErrors"/>); otherwise as <see cref="AddKvsInference(IServiceCollection, Action{KvsInferenceOptions})"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="options">The options; they are validated when the host starts.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddKvsInference(this IServiceCollection services, KvsInferenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ILeaseStore, InMemoryLeaseStore>();
        services.TryAddSingleton(sp => new AudioDecoderFactory(sp.GetService<ILogger<AudioDecoderFactory>>()));
        services.TryAddSingleton(sp => new InferenceBatcher(sp.GetRequiredService<IInferenceClient>(), options.Batching,
            sp.GetRequiredService<TimeProvider>(), Logger<InferenceBatcher>(sp)));
        // One instance, reachable both as a hosted service and by type (status pages read its Worker).
        services.TryAddSingleton<KvsInferenceHostedService>();
        services.AddHostedService(sp => sp.GetRequiredService<KvsInferenceHostedService>());
        return services;
    }

    internal static ILogger<T> Logger<T>(IServiceProvider sp) => sp.GetService<ILogger<T>>() ?? NullLogger<T>.Instance;
}

/// <summary>
/// Runs stream discovery (lease creation) and the <see cref="KvsInferenceWorker"/> for the lifetime of the host;
/// stopping the host hands the streams off gracefully.
/// </summary>
public sealed class KvsInferenceHostedService : BackgroundService
{
    private readonly IServiceProvider _services;
    private readonly KvsInferenceOptions _options;

    /// <summary>Creates the service (by dependency injection).</summary>
    /// <param name="services">The service provider holding the parts.</param>
    /// <param name="options">The options given to AddKvsInference.</param>
    public KvsInferenceHostedService(IServiceProvider services, KvsInferenceOptions options)
    {
        _services = services;
        _options = options;
    }

    /// <summary>Gets the worker once the service has started, for status pages.</summary>
    public KvsInferenceWorker? Worker { get; private set; }

    /// <inheritdoc />
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        _options.Validate();
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sp = _services;
        var time = sp.GetRequiredService<TimeProvider>();
        var store = sp.GetRequiredService<ILeaseStore>();
        await store.InitializeAsync(stoppingToken).ConfigureAwait(false);
        await using var synchronizer = new LeaseSynchronizer(store, new StreamSelector(sp.GetRequiredService<IStreamCatalog>(), _options.Discovery),
            _options.Discovery, time, KvsInferenceServiceCollectionExtensions.Logger<LeaseSynchronizer>(sp));
        await synchronizer.StartAsync(stoppingToken).ConfigureAwait(false);

        var coordinator = new LeaseCoordinator(store, _options.Leases, time, KvsInferenceServiceCollectionExtensions.Logger<LeaseCoordinator>(sp));
        await using (coordinator.ConfigureAwait(false))
        {
            var source = sp.GetRequiredService<IMediaSource>();
            var decoders = sp.GetRequiredService<AudioDecoderFactory>();
            var batcher = sp.GetRequiredService<InferenceBatcher>();
            var sink = sp.GetRequiredService<IRecordSink>();
            var processorLogger = KvsInferenceServiceCollectionExtensions.Logger<StreamProcessor>(sp);
            Worker = new KvsInferenceWorker(coordinator,
                stream => new StreamProcessor(stream, source, decoders, batcher, sink, _options.Processing, time, processorLogger),
                _options.Worker, KvsInferenceServiceCollectionExtensions.Logger<KvsInferenceWorker>(sp));
            await Worker.RunAsync(stoppingToken).ConfigureAwait(false);
        }
    }
}
