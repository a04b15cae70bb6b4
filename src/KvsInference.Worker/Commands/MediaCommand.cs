using System.CommandLine;
using KvsInference.LocalKvs.Storage;
using Microsoft.Extensions.Logging;

namespace KvsInference.Worker.Commands;

/// <summary>
/// <c>media serve [--host 127.0.0.1] [--port 4567] [--data-dir DIR] [--retention HOURS] [--auto-create] [--get-media-idle-seconds S]</c>: runs the local
/// KVS-compatible media store alone until Ctrl+C.
/// </summary>
internal static class MediaCommand
{
    public static Command Create()
    {
        var host = new Option<string>("--host") { Description = "Address to bind.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port to bind (0 picks a free one).", DefaultValueFactory = _ => 4567 };
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "Directory for streams and fragments (kept across restarts).",
            DefaultValueFactory = _ => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "kvsinference", "media"),
        };
        var retention = new Option<int?>("--retention") { Description = "Hours to keep fragments of every stream, instead of each stream's DataRetentionInHours." };
        var idle = new Option<double?>("--get-media-idle-seconds")
        {
            Description = "Seconds a GetMedia response waits for a new fragment before it ends (default 20; KVS times a read out after 3 s without fragments).",
        };
        var autoCreate = new Option<bool>("--auto-create") { Description = "Create a stream on its first PutMedia or GetMedia instead of answering ResourceNotFoundException." };
        var serve = new Command("serve", "Serves the KVS control plane, PutMedia/GetMedia and archived media (ListFragments, GetMediaForFragmentList) over HTTP.");
        serve.Options.Add(host);
        serve.Options.Add(port);
        serve.Options.Add(dataDir);
        serve.Options.Add(retention);
        serve.Options.Add(autoCreate);
        serve.Options.Add(idle);
        serve.SetAction(async (parseResult, cancellationToken) =>
        {
            var options = new MediaStoreOptions
            {
                Host = parseResult.GetValue(host)!,
                Port = parseResult.GetValue(port),
                DataDirectory = parseResult.GetValue(dataDir)!,
                RetentionOverrideHours = parseResult.GetValue(retention),
                AutoCreateStreams = parseResult.GetValue(autoCreate),
            };
            if (parseResult.GetValue(idle) is { } idleSeconds)
            {
                if (!double.IsFinite(idleSeconds) || idleSeconds is < 0.01 or > 86_400)
                {
                    Console.Error.WriteLine($"media serve: --get-media-idle-seconds {idleSeconds} is not between 0.01 and 86400.");
                    return 2;
                }
                options.GetMediaIdleTimeout = TimeSpan.FromSeconds(idleSeconds);
            }
            using ILoggerFactory logging = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information)
                .AddFilter("Microsoft.AspNetCore", LogLevel.Warning));
            MediaStoreServer server;
            try
            {
                server = await MediaStoreServer.StartAsync(options, TimeProvider.System, logging, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or System.ComponentModel.DataAnnotations.ValidationException or FormatException)
            {
                Console.Error.WriteLine($"media serve: {e.Message}");
                return 2;
            }
            await using (server.ConfigureAwait(false))
            {
                Console.WriteLine($"KVS-compatible media store on {server.Url} (data in {Path.GetFullPath(options.DataDirectory)}); Ctrl+C stops it.");
                Console.WriteLine($"  aws kinesisvideo --endpoint-url {server.Url} --no-sign-request list-streams");
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C.
                }
            }
            return 0;
        });
        var media = new Command("media", "The local KVS-compatible media store.");
        media.Subcommands.Add(serve);
        return media;
    }
}
