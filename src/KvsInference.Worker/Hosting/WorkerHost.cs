using System.Collections;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using KvsInference.Hosting;
using KvsInference.Avatar.Model;
using KvsInference.Avatar.Serving;
using KvsInference.Aws.Kinesis;
using KvsInference.Aws.KinesisVideo;
using KvsInference.Aws.SageMaker;
using KvsInference.Inference;
using KvsInference.Leases;
using KvsInference.Media;
using KvsInference.Metrics;
using KvsInference.Meeting;
using KvsInference.LocalKvs.Storage;
using KvsInference.LocalKvs.Signaling;
using KvsInference.Pipeline;
using KvsInference.Sinks;
using KvsInference.Worker.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KvsInference.Worker.Hosting;

/// <summary>
/// Composes and runs the worker: in AWS mode from the configured services, in local mode (no AWS settings) the whole
/// system in one process: the local media store fed in real time with sample speech, in-memory leases, the in-process
/// model and records to a JSON-lines file.
/// </summary>
internal static class WorkerHost
{
    public const int ExitConfigurationError = 2;

    public static async Task<int> RunAsync(IDictionary<string, string?> overrides, CancellationToken cancellationToken)
    {
        string opsHost = "127.0.0.1";
        int opsPort = 0;
        var builder = StandaloneServer.CreateBuilder(new StandaloneServerOptions
        {
            // The worker's web host stops on Ctrl+C/SIGTERM besides the command's token (its 30 s graceful shutdown).
            HandlesShutdownSignals = true,
            // The ops port (/healthz, /metrics, the meeting page) is known once the settings are bound below.
            Listen = k => StandaloneServer.ListenOn(k, opsHost, opsPort),
        }, new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Configuration.AddInMemoryCollection(overrides);
        builder.Configuration.AddKeyAliases(out var aliases);
        var environment = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value);
        var config = WorkerConfiguration.Bind(builder.Configuration, aliases, environment);
        if (config.Errors.Count > 0)
        {
            Console.Error.WriteLine("Invalid configuration:");
            foreach (var e in config.Errors) Console.Error.WriteLine("  " + e);
            return ExitConfigurationError;
        }
        var settings = config.Worker;
        bool local = config.Local;

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        opsHost = settings.Metrics.Host ?? (local ? "127.0.0.1" : "0.0.0.0");
        opsPort = settings.Metrics.Port;

        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }).AddFilter("Microsoft", LogLevel.Warning));
        var log = loggerFactory.CreateLogger("KvsInference.Worker");
        foreach (var warning in config.Warnings) log.LogWarning("Configuration: {Warning}", warning);
        var time = TimeProvider.System;
        await using var localSystem = local ? await LocalSystem.StartAsync(settings, loggerFactory, cancellationToken) : null;

        var kvsOptions = localSystem is null ? new KinesisVideoClientOptions() : LocalSystem.ClientOptions(new Uri(localSystem.Url));
        var kvs = new KinesisVideoClient(kvsOptions, time, loggerFactory.CreateLogger<KinesisVideoClient>());
        builder.Services.AddSingleton(kvs);
        builder.Services.AddSingleton<IStreamCatalog>(new KvsStreamCatalog(kvs));
        builder.Services.AddSingleton<IMediaSource>(new KvsMediaSource(kvs));
        builder.Services.AddSingleton<ILeaseStore>(_ => CreateLeaseStore(settings, time, loggerFactory));
        builder.Services.AddSingleton<IInferenceClient>(_ => CreateInferenceClient(settings, time, loggerFactory));
        var meetingMode = config.MeetingMode;
        if (localSystem is null && meetingMode == "aws")
        {
            // The meeting page on real KVS: records of every worker of the fleet come back from the Kinesis stream.
            builder.Services.AddSingleton<IRecordSink>(_ => CreateSink(settings, time, loggerFactory));
            builder.Services.AddSingleton(_ => new RecordBroadcaster());
            builder.Services.AddSingleton(sp => new KinesisRecordReader(
                new AmazonKinesisClient(new KinesisClientOptions(), time, loggerFactory.CreateLogger<AmazonKinesisClient>()),
                new KinesisRecordReaderOptions { StreamName = settings.KinesisSink.StreamName },
                sp.GetRequiredService<RecordBroadcaster>(), time, loggerFactory.CreateLogger<KinesisRecordReader>()));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<KinesisRecordReader>());
            builder.Services.AddKvsMeeting(o =>
            {
                o.Mode = MeetingMode.Aws;
                o.StreamPrefix = config.MeetingStreamPrefix;
                o.StreamRetentionHours = settings.Meeting.StreamRetentionHours;
                o.SignedUrlLifetime = TimeSpan.FromSeconds(settings.Meeting.SignedUrlSeconds);
                o.Avatar = settings.Meeting.Avatar;
                AddAllowedHosts(o, settings, opsHost);
            });
        }
        else
        {
            // Records are handed, once the sink has them, to whoever watches a stream: the meeting pages and the RTMP avatar.
            builder.Services.AddSingleton(_ => new RecordBroadcaster(CreateSink(settings, time, loggerFactory)));
            builder.Services.AddSingleton<IRecordSink>(sp => sp.GetRequiredService<RecordBroadcaster>());
        }
        if (localSystem is not null && meetingMode == "local")
        {
            // The meeting web app: the page, signaling, the master's audio into the local store, and the records of each
            // meeting's stream handed to its page by the broadcaster.
            builder.Services.AddSingleton(localSystem.Store);
            // Chromium's offers (audio + video, every codec) are larger than KVS's 10 KB payload limit once base64'd.
            builder.Services.AddKvsSignaling(o => o.MaxMessagePayloadChars = 64 * 1024);
            builder.Services.AddKvsMeeting(o =>
            {
                o.StreamPrefix = config.LocalMeetingStreamPrefix;
                o.IdleTimeout = TimeSpan.FromSeconds(settings.Meeting.IdleTimeoutSeconds);
                o.Avatar = settings.Meeting.Avatar;
                AddAllowedHosts(o, settings, opsHost);
            });
        }
        if (settings.Avatar.Enabled)
        {
            // The broadcaster carries this worker's records, or in AWS meeting mode every worker's (read back from Kinesis).
            var avatarStream = settings.Avatar.Stream ?? localSystem?.Streams.FirstOrDefault() ?? settings.Local.StreamPrefix + "1";
            var zoom = Meeting.Streaming.ZoomOptions.FromEnvironment();
            builder.Services.AddHostedService(sp => new AvatarPublisherService(settings.Avatar, avatarStream, sp.GetRequiredService<RecordBroadcaster>(),
                sp.GetRequiredService<IMediaSource>(), zoom, time, loggerFactory));
        }
        builder.Services.AddKvsInference(config.Pipeline);
        builder.Services.AddHostedService(sp => new StatusReporter(sp.GetRequiredService<KvsInferenceHostedService>(),
            TimeSpan.FromSeconds(settings.Metrics.StatusSeconds), Console.Out, time));
        if (localSystem is not null)
        {
            builder.Services.AddHostedService(sp => new SampleFeeder(kvs, localSystem.Streams, localSystem.SampleMedia, time, loggerFactory.CreateLogger<SampleFeeder>()));
        }

        EmfMetricsExporter? emf = null;
        if (settings.Metrics.Emf ?? !local)
        {
            var emfOptions = new EmfExporterOptions { Namespace = settings.Metrics.Namespace, Interval = TimeSpan.FromSeconds(settings.Metrics.EmfIntervalSeconds) };
            emfOptions.Dimensions["ServiceName"] = settings.Metrics.ServiceName;
            emf = new EmfMetricsExporter(emfOptions, Console.Out, time);
            emf.Start();
        }

        var app = builder.Build();
        var service = app.Services.GetRequiredService<KvsInferenceHostedService>();
        app.MapGet("/healthz", () => service.Worker is null ? Results.Json(new { status = "starting" }, statusCode: 503) : Results.Json(new { status = "ok", worker = service.Worker.WorkerId }));
        app.MapGet("/metrics", () => Results.Json(Snapshot(service)));
        if (meetingMode != "off")
        {
            if (meetingMode == "local")
            {
                app.UseWebSockets();
                app.MapKvsSignaling(app.Services.GetRequiredService<MeetingOptions>().SignalingPath);
            }
            else if (opsHost is not ("127.0.0.1" or "localhost" or "::1"))
            {
                log.LogWarning("The meeting page creates KVS channels and streams for anyone who reaches {Host}:{Port}; set KVSI:Metrics:Host=127.0.0.1 unless that is intended.", opsHost, settings.Metrics.Port);
            }
            app.MapKvsMeeting();
            app.Lifetime.ApplicationStarted.Register(() =>
            {
                foreach (var address in app.BoundAddresses()) log.LogInformation("Meeting page: {Url}/", address.TrimEnd('/'));
            });
        }

        log.LogInformation("KvsInference worker ({Mode}, meeting {Meeting}): {Settings}", local ? "local" : "AWS", meetingMode, config);
        if (localSystem is not null)
        {
            log.LogInformation("Local media store at {Url}; streams {Streams}; records to {File}", localSystem.Url, string.Join(", ", localSystem.Streams), Path.GetFullPath(settings.Sink.File));
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (settings.DurationSeconds > 0) stop.CancelAfter(TimeSpan.FromSeconds(settings.DurationSeconds));
        try
        {
            await app.RunAsync(stop.Token);
        }
        finally
        {
            emf?.Flush();
            emf?.Dispose();
        }
        return 0;
    }

    private static ILeaseStore CreateLeaseStore(WorkerOptions s, TimeProvider time, ILoggerFactory loggers)
    {
        if (string.IsNullOrEmpty(s.LeaseTable.TableName)) return new InMemoryLeaseStore();
        var config = new AmazonDynamoDBConfig { MaxErrorRetry = 0 };
        var endpoint = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_DYNAMODB") ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL");
        if (!string.IsNullOrEmpty(endpoint)) config.ServiceURL = endpoint;
        var region = Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION");
        if (!string.IsNullOrEmpty(region)) config.AuthenticationRegion = region;
        if (string.IsNullOrEmpty(endpoint) && !string.IsNullOrEmpty(region)) config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region);
        var client = new AmazonDynamoDBClient(config);
        return new DynamoDbLeaseStore(client, s.LeaseTable, time, loggers.CreateLogger<DynamoDbLeaseStore>());
    }

    private static IInferenceClient CreateInferenceClient(WorkerOptions s, TimeProvider time, ILoggerFactory loggers)
    {
        if (string.IsNullOrEmpty(s.Inference.SageMakerEndpoint)) return new LocalVisemeInferenceClient(VisemeModel.LoadDefault(), time);
        var runtime = new AmazonSageMakerRuntimeClient(new SageMakerRuntimeClientOptions(), time, loggers.CreateLogger<AmazonSageMakerRuntimeClient>());
        return new SageMakerInferenceClient(runtime, s.Inference.SageMakerEndpoint, s.Inference.Accept);
    }

    /// <summary>The meeting page answers to loopback names, KVSI:Meeting:AllowedHosts, and the ops address when it is a
    /// specific one (not a wildcard).</summary>
    private static void AddAllowedHosts(MeetingOptions options, WorkerOptions settings, string opsHost)
    {
        foreach (var name in (settings.Meeting.AllowedHosts ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            options.AllowedHosts.Add(name);
        }
        if (opsHost is not ("0.0.0.0" or "::" or "*" or "+")) options.AllowedHosts.Add(opsHost.Contains(':', StringComparison.Ordinal) ? $"[{opsHost}]" : opsHost);
    }

    private static IRecordSink CreateSink(WorkerOptions s, TimeProvider time, ILoggerFactory loggers)
    {
        if (string.IsNullOrEmpty(s.KinesisSink.StreamName))
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(s.Sink.File));
            if (directory is not null) Directory.CreateDirectory(directory);
            return new JsonLinesFileSink(s.Sink.File);
        }
        var kinesis = new AmazonKinesisClient(new KinesisClientOptions(), time, loggers.CreateLogger<AmazonKinesisClient>());
        var sink = new KinesisRecordSink(kinesis, s.KinesisSink, time, loggers.CreateLogger<KinesisRecordSink>());
        return new CoalescingRecordSink(sink, new CoalescingRecordSinkOptions(), time);
    }

    private static object Snapshot(KvsInferenceHostedService service)
    {
        var processors = service.Worker?.Processors ?? [];
        return new
        {
            worker = service.Worker?.WorkerId,
            streams = processors.Select(p => new
            {
                stream = p.StreamName,
                state = p.Stats.State,
                framesReceived = p.Stats.FramesReceived,
                framesProcessed = p.Stats.FramesProcessed,
                recordsWritten = p.Stats.RecordsWritten,
                lastLatencyMs = p.Stats.LastLatencyMs,
                millisBehindNow = p.Stats.MillisBehindNow,
                checkpoint = p.Stats.Checkpoint,
            }),
        };
    }
}
