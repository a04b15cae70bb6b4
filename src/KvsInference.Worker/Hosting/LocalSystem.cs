using Amazon.Runtime;
using KvsInference.Aws.KinesisVideo;
using KvsInference.LocalKvs.Storage;
using KvsInference.Worker.Configuration;
using Microsoft.Extensions.Logging;

namespace KvsInference.Worker.Hosting;

/// <summary>
/// The embedded default's infrastructure: the local KVS-compatible media store on 127.0.0.1 with the demo streams
/// created, and the sample speech that feeds them.
/// </summary>
internal sealed class LocalSystem : IAsyncDisposable
{
    private readonly MediaStoreServer _server;

    private LocalSystem(MediaStoreServer server, IReadOnlyList<string> streams, byte[] sample)
    {
        _server = server;
        Streams = streams;
        SampleMedia = sample;
    }

    public string Url => _server.Url;
    public MediaStore Store => _server.Store;
    public IReadOnlyList<string> Streams { get; }
    public byte[] SampleMedia { get; }

    /// <summary>The KVS client settings for a local media store: its URL, and the development credentials it checks SigV4 against.</summary>
    public static KinesisVideoClientOptions ClientOptions(Uri storeUrl) => new()
    {
        ServiceUrl = storeUrl,
        Region = "us-east-1",
        Credentials = new BasicAWSCredentials("local", "local"),
    };

    public static async Task<LocalSystem> StartAsync(WorkerOptions settings, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var samplePath = Resolve(settings.Local.SampleFile)
            ?? throw new FileNotFoundException($"The sample speech file {settings.Local.SampleFile} was not found (make it with scripts/make-sample-media).");
        var dataDirectory = settings.Local.DataDirectory ?? Path.Combine(Path.GetTempPath(), $"kvsi-local-{Environment.ProcessId}");
        var server = await MediaStoreServer.StartAsync(new MediaStoreOptions
        {
            DataDirectory = dataDirectory,
            Port = settings.Local.MediaStorePort,
            RetentionOverrideHours = null,
        }, null, loggers, cancellationToken);
        var streams = new List<string>();
        for (int i = 1; i <= settings.Local.SampleStreams; i++)
        {
            var name = settings.Local.StreamPrefix + i;
            if (server.Store.ListStreams(name).All(s => s.StreamName != name)) server.Store.CreateStream(name, dataRetentionInHours: 1);
            streams.Add(name);
        }
        return new LocalSystem(server, streams, await File.ReadAllBytesAsync(samplePath, cancellationToken));
    }

    /// <summary>A path relative to the working directory, or else to the executable (the sample ships with it).</summary>
    private static string? Resolve(string path)
    {
        if (File.Exists(path)) return path;
        var besideExe = Path.Combine(AppContext.BaseDirectory, path);
        return File.Exists(besideExe) ? besideExe : null;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
