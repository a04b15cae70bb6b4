using System.CommandLine;
using KvsInference.Worker.Hosting;

namespace KvsInference.Worker.Commands;

/// <summary>
/// The default action (no sub-command): the worker. With no AWS settings it runs the whole system locally; with
/// <c>AWS_ENDPOINT_URL</c>, a region or credentials, and the stream settings, it consumes those services.
/// Every option is also a configuration key (appsettings.json, <c>KVSI__...</c> environment variables).
/// </summary>
internal static class RunCommand
{
    public static void ConfigureRoot(RootCommand root)
    {
        var streams = new Option<string?>("--streams") { Description = "Comma-separated KVS stream names (KVSI:Discovery:StreamNames)." };
        var prefix = new Option<string?>("--stream-prefix") { Description = "Process every stream whose name starts with this (KVSI:Discovery:NamePrefix)." };
        var local = new Option<bool?>("--local") { Description = "Force (true) or forbid (false) the embedded local system (KVSI:Local:Enabled); by default it runs when no AWS settings are present." };
        var sampleStreams = new Option<int?>("--sample-streams") { Description = "Local mode: how many demo streams to feed with sample speech (KVSI:Local:SampleStreams, default 1)." };
        var records = new Option<string?>("--records") { Description = "JSON-lines file for records when no Kinesis stream is set (KVSI:Sink:File, default out/records.jsonl)." };
        var port = new Option<int?>("--metrics-port") { Description = "Port of /healthz and /metrics (KVSI:Metrics:Port, default 8081; 0 picks a free port)." };
        var duration = new Option<double?>("--duration") { Description = "Stop by itself after this many seconds (KVSI:DurationSeconds)." };
        foreach (var option in new Option[] { streams, prefix, local, sampleStreams, records, port, duration }) root.Options.Add(option);
        root.SetAction(async (parseResult, cancellationToken) =>
        {
            var overrides = new Dictionary<string, string?>();
            void Set(string key, object? value) { if (value is not null) overrides[key] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture); }
            Set("KVSI:Discovery:StreamNames", parseResult.GetValue(streams));
            Set("KVSI:Discovery:NamePrefix", parseResult.GetValue(prefix));
            Set("KVSI:Local:Enabled", parseResult.GetValue(local));
            Set("KVSI:Local:SampleStreams", parseResult.GetValue(sampleStreams));
            Set("KVSI:Sink:File", parseResult.GetValue(records));
            Set("KVSI:Metrics:Port", parseResult.GetValue(port));
            Set("KVSI:DurationSeconds", parseResult.GetValue(duration));
            try
            {
                return await WorkerHost.RunAsync(overrides, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C or SIGTERM while the host was still starting: nothing ran yet, so this is a clean stop too.
                return 0;
            }
        });
    }
}
