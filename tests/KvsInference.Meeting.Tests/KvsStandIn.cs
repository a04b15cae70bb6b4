using System.Collections.Concurrent;
using System.Text.Json;
using Amazon.Runtime;
using KvsInference.Aws;
using KvsInference.LocalKvs.Signaling;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KvsInference.Tests.Meeting;

/// <summary>
/// A STAND-IN for Amazon Kinesis Video Streams on 127.0.0.1, because AWS cannot be reached from here. The WebSocket
/// signaling and GetIceServerConfig are this project's own KVS-compatible <see cref="SignalingServer"/> at <c>/kvs</c>
/// (presigned URLs verified by its SigV4 verifier). The control plane at <c>/cp</c> answers in the KVS REST-JSON shapes
/// the calls the AWS-mode meeting makes (signaling channels and streams, created and deleted; media storage configuration) and
/// <c>/webrtc/joinStorageSession</c> records JoinStorageSession. Every control-plane call must carry a valid SigV4
/// Authorization header for <see cref="AccessKeyId"/>. What KVS does beyond these shapes (the storage session's own
/// WebRTC peer, ingestion into a stream) is not modelled: a test plays the storage session where it needs one.
/// </summary>
internal sealed class KvsStandIn : IAsyncDisposable
{
    public const string AccessKeyId = "AKIDKVSSTANDIN";
    public const string SecretAccessKey = "kvs-stand-in-secret-key";
    public const string Region = "us-west-2";

    // KVS's JSON member names are PascalCase (ASP.NET Core would write camelCase).
    private static readonly JsonSerializerOptions Aws = new() { PropertyNamingPolicy = null };

    private readonly WebApplication _app;
    private readonly SigV4Verifier _verifier;
    private readonly ConcurrentDictionary<string, (string Arn, int RetentionHours, int Describes)> _streams = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Status, string? StreamArn)> _storage = new(StringComparer.Ordinal);

    private KvsStandIn(WebApplication app, SignalingServer signaling, SignalingOptions options)
    {
        _app = app;
        Signaling = signaling;
        _verifier = new SigV4Verifier(options, TimeProvider.System);
    }

    public SignalingServer Signaling { get; }

    public Uri Url { get; private set; } = null!;

    /// <summary>The control-plane endpoint to give the KinesisVideoClient.</summary>
    public Uri ControlPlane => new(Url, "/cp");

    /// <summary>Every control-plane operation, in order (e.g. <c>createSignalingChannel</c>).</summary>
    public ConcurrentQueue<string> Operations { get; } = new();

    /// <summary>The channel ARNs of successful JoinStorageSession calls.</summary>
    public ConcurrentQueue<string> Joins { get; } = new();

    /// <summary>After a successful JoinStorageSession: a presigned viewer URL of that channel for a test to play the storage session
    /// (also served at <c>GET /standin/storage-session-url</c>).</summary>
    public Uri? StorageSessionUrl { get; private set; }

    public (string Status, string? StreamArn) StorageOf(string channelArn) => _storage.GetValueOrDefault(channelArn, ("DISABLED", null));

    public bool HasStream(string name) => _streams.ContainsKey(name);

    /// <param name="iceServers">What GetIceServerConfig returns.</param>
    /// <param name="maxPayloadChars">The signaling payload limit (KVS's is 10 KB of base64).</param>
    public static async Task<KvsStandIn> StartAsync(IEnumerable<IceServer>? iceServers = null, int maxPayloadChars = 10 * 1024)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        SignalingOptions? options = null;
        builder.Services.AddKvsSignaling(o =>
        {
            o.Region = Region;
            o.Credentials[AccessKeyId] = SecretAccessKey;
            o.MaxMessagePayloadChars = maxPayloadChars;
            foreach (var server in iceServers ?? []) o.IceServers.Add(server);
            options = o;
        });
        var app = builder.Build();
        var standIn = new KvsStandIn(app, app.Services.GetRequiredService<SignalingServer>(), options!);
        app.UseWebSockets();
        app.MapKvsSignaling("/kvs");
        app.MapPost("/cp/{operation}", (HttpContext c, string operation) => standIn.ControlAsync(c, operation));
        app.MapPost("/webrtc/joinStorageSession", (HttpContext c) => standIn.JoinAsync(c));
        app.MapGet("/standin/storage-session-url", () => standIn.StorageSessionUrl is { } u ? Results.Text(u.ToString()) : Results.NotFound());
        await app.StartAsync();
        standIn.Url = new Uri(app.Urls.First());
        return standIn;
    }

    private async Task<JsonElement?> ReadSignedAsync(HttpContext c)
    {
        using var ms = new MemoryStream();
        await c.Request.Body.CopyToAsync(ms);
        var body = ms.ToArray();
        var why = _verifier.VerifyHeader(c.Request.Method, c.Request.Path.Value ?? "/", c.Request.QueryString.Value ?? "",
            name => c.Request.Headers.TryGetValue(name, out var v) ? v.ToString() : null, body);
        if (why is not null)
        {
            await Error(c, 403, "AccessDeniedException", "stand-in: " + why);
            return null;
        }
        using var doc = JsonDocument.Parse(body.Length == 0 ? "{}"u8.ToArray() : body);
        return doc.RootElement.Clone();
    }

    private async Task ControlAsync(HttpContext c, string operation)
    {
        if (await ReadSignedAsync(c) is not { } request) return;
        Operations.Enqueue(operation);
        string? Str(string name) => request.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        SignalingChannel? Channel() => Str("ChannelARN") is { } arn ? Signaling.FindChannel(arn) : Str("ChannelName") is { } n ? Signaling.FindChannelByName(n) : null;
        switch (operation)
        {
            case "createSignalingChannel":
                if (Str("ChannelType") is not (null or "SINGLE_MASTER")) { await Error(c, 400, "InvalidArgumentException", "ChannelType"); return; }
                if (Signaling.FindChannelByName(Str("ChannelName") ?? "") is not null) { await Error(c, 400, "ResourceInUseException", "The channel exists."); return; }
                await c.Response.WriteAsJsonAsync(new { ChannelARN = Signaling.CreateChannel(Str("ChannelName")!).Arn }, Aws);
                return;
            case "describeSignalingChannel":
                if (Channel() is not { } described) { await Error(c, 404, "ResourceNotFoundException", "The requested channel is not found or not active."); return; }
                await c.Response.WriteAsJsonAsync(new
                {
                    ChannelInfo = new { ChannelARN = described.Arn, ChannelName = described.Name, ChannelStatus = "ACTIVE", ChannelType = "SINGLE_MASTER", CreationTime = described.CreatedAt.ToUnixTimeSeconds() },
                }, Aws);
                return;
            case "getSignalingChannelEndpoint":
                if (Channel() is not { } channel) { await Error(c, 404, "ResourceNotFoundException", "The requested channel is not found or not active."); return; }
                var config = request.GetProperty("SingleMasterChannelEndpointConfiguration");
                var protocols = config.GetProperty("Protocols").EnumerateArray().Select(p => p.GetString()!).ToList();
                if (protocols.Contains("WEBRTC") && StorageOf(channel.Arn).Status != "ENABLED")
                {
                    await Error(c, 400, "InvalidArgumentException", "The signaling channel is not configured for WebRTC ingestion.");
                    return;
                }
                var http = Url.GetLeftPart(UriPartial.Authority);
                await c.Response.WriteAsJsonAsync(new
                {
                    ResourceEndpointList = protocols.Select(p => new
                    {
                        Protocol = p,
                        ResourceEndpoint = p switch { "WSS" => "ws" + http[4..] + "/kvs", "HTTPS" => http + "/kvs", _ => http + "/webrtc" },
                    }),
                }, Aws);
                return;
            case "deleteSignalingChannel":
                if (Channel() is not { } deleted) { await Error(c, 404, "ResourceNotFoundException", "The requested channel is not found or not active."); return; }
                await Signaling.DeleteChannelAsync(deleted.Arn);
                _storage.TryRemove(deleted.Arn, out _);
                c.Response.StatusCode = 200;
                return;
            case "deleteStream":
                var gone = _streams.FirstOrDefault(p => p.Value.Arn == Str("StreamARN"));
                if (gone.Key is null || !_streams.TryRemove(gone.Key, out _)) { await Error(c, 404, "ResourceNotFoundException", "The requested stream is not found or not active."); return; }
                c.Response.StatusCode = 200;
                return;
            case "createStream":
                var name = Str("StreamName")!;
                var retention = request.TryGetProperty("DataRetentionInHours", out var r) ? r.GetInt32() : 0;
                if (!_streams.TryAdd(name, ($"arn:aws:kinesisvideo:{Region}:123456789012:stream/{name}/{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}", retention, 0)))
                {
                    await Error(c, 400, "ResourceInUseException", "The stream exists.");
                    return;
                }
                await c.Response.WriteAsJsonAsync(new { StreamARN = _streams[name].Arn }, Aws);
                return;
            case "describeStream":
                if (!_streams.TryGetValue(Str("StreamName") ?? "", out var stream)) { await Error(c, 404, "ResourceNotFoundException", "The requested stream is not found or not active."); return; }
                _streams[Str("StreamName")!] = stream with { Describes = stream.Describes + 1 };
                // As KVS, a new stream is CREATING for a moment: the first description after creation says so.
                await c.Response.WriteAsJsonAsync(new
                {
                    StreamInfo = new { StreamName = Str("StreamName"), StreamARN = stream.Arn, Status = stream.Describes == 0 ? "CREATING" : "ACTIVE", DataRetentionInHours = stream.RetentionHours },
                }, Aws);
                return;
            case "updateMediaStorageConfiguration":
                if (Channel() is not { } linked) { await Error(c, 404, "ResourceNotFoundException", "channel"); return; }
                var storage = request.GetProperty("MediaStorageConfiguration");
                var status = storage.GetProperty("Status").GetString()!;
                var streamArn = storage.TryGetProperty("StreamARN", out var s) ? s.GetString() : null;
                if (status == "ENABLED" && !_streams.Values.Any(v => v.Arn == streamArn && v.RetentionHours > 0))
                {
                    await Error(c, 400, "InvalidArgumentException", "ENABLED needs the ARN of a stream with data retention.");
                    return;
                }
                _storage[linked.Arn] = (status, status == "ENABLED" ? streamArn : null);
                c.Response.StatusCode = 200;
                return;
            case "describeMediaStorageConfiguration":
                if (Channel() is not { } configured) { await Error(c, 404, "ResourceNotFoundException", "channel"); return; }
                var (st, arn) = StorageOf(configured.Arn);
                await c.Response.WriteAsJsonAsync(new { MediaStorageConfiguration = new { Status = st, StreamARN = arn } }, Aws);
                return;
            default:
                await Error(c, 404, "UnknownOperationException", "The stand-in does not serve " + operation);
                return;
        }
    }

    private async Task JoinAsync(HttpContext c)
    {
        if (await ReadSignedAsync(c) is not { } request) return;
        Operations.Enqueue("joinStorageSession");
        var arn = request.TryGetProperty("channelArn", out var a) ? a.GetString() : null;
        var channel = arn is null ? null : Signaling.FindChannel(arn);
        if (channel is null) { await Error(c, 404, "ResourceNotFoundException", "The channel does not exist."); return; }
        if (StorageOf(channel.Arn).Status != "ENABLED") { await Error(c, 400, "InvalidArgumentException", "The channel has no media storage configured."); return; }
        // The stand-in's assumption of KVS: the storage session offers to the connected master, so there must be one.
        if (!channel.HasMaster) { await Error(c, 404, "ResourceNotFoundException", "No master is connected to the channel."); return; }
        Joins.Enqueue(channel.Arn);
        // What the real storage session would do next is offer to the master as a peer of the channel; a test plays that
        // peer with this URL (a viewer whose client id does not carry our viewers' prefix).
        var ws = new Uri("ws" + Url.GetLeftPart(UriPartial.Authority)[4..] + "/kvs");
        StorageSessionUrl = SigV4QueryPresigner.Presign(ws, [new("X-Amz-ChannelARN", channel.Arn), new("X-Amz-ClientId", "storage-session-stand-in")],
            new ImmutableCredentials(AccessKeyId, SecretAccessKey, null), Region, "kinesisvideo", DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));
        c.Response.StatusCode = 200;
    }

    private static Task Error(HttpContext c, int status, string type, string message)
    {
        c.Response.StatusCode = status;
        c.Response.Headers["x-amzn-ErrorType"] = type;
        return c.Response.WriteAsJsonAsync(new { message }, Aws);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
