using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using KvsInference.Aws;
using KvsInference.Aws.KinesisVideo;
using KvsInference.LocalKvs.Storage;
using KvsInference.LocalKvs.Signaling;
using KvsInference.Sinks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KvsInference.Meeting;

/// <summary>
/// Registration of the meeting web app: <c>GET /</c> the page; the meeting API on <see cref="IMeetingService"/>, the same
/// in both modes: <c>POST /meeting/api/meetings</c> (application/json) creates a meeting, <c>GET /meeting/api/meetings/{id}</c>
/// (Bearer meeting token) tells who is connected, <c>DELETE /meeting/api/meetings/{id}</c> (Bearer master token) ends it,
/// <c>GET /meeting/api/join/{code}</c> opens a join link, <c>GET /meeting/records</c> (Server-Sent Events) streams the
/// meeting's inference records to the page; and each mode's own routes: <see cref="LocalMeetingEndpoints"/> (the
/// master's WebM ingest socket; the app also maps the signaling server, <c>MapKvsSignaling(options.SignalingPath)</c>,
/// and calls <c>UseWebSockets()</c>) or <see cref="AwsMeetingEndpoints"/> (presigned KVS URLs, the storage session).
/// Every route answers only to the host names of <see cref="MeetingOptions.IsAllowedHost"/> (421 otherwise).
/// </summary>
public static class MeetingEndpointExtensions
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // Absent rather than null: the page passes these answers' members on as they are (ICE servers to RTCPeerConnection).
    internal static readonly JsonSerializerOptions CreatedJson = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private const string AssetPrefix = "KvsInference.Meeting.wwwroot.";

    // The page at / and every script of wwwroot/ at /meeting/{name}: the page's ES modules import one another by
    // relative URL, so a new module is served without being listed here.
    private static readonly Dictionary<string, string> Assets = typeof(MeetingEndpointExtensions).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(AssetPrefix, StringComparison.Ordinal) && n.EndsWith(".js", StringComparison.Ordinal))
        .Select(n => KeyValuePair.Create("/meeting/" + n[AssetPrefix.Length..], n[AssetPrefix.Length..]))
        .Append(KeyValuePair.Create("/", "index.html"))
        .ToDictionary(StringComparer.Ordinal);

    /// <summary>
    /// Registers the meeting service of the configured <see cref="MeetingOptions.Mode"/> as <see cref="IMeetingService"/>:
    /// in local mode the <see cref="LocalMeetingService"/> (the store, signaling server and broadcaster must be registered);
    /// in AWS mode the <see cref="AwsMeetingService"/> (a <see cref="KinesisVideoClient"/> and the broadcaster must be
    /// registered, and something must feed the broadcaster, e.g. a <see cref="KinesisRecordReader"/>).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The same collection.</returns>
    public static IServiceCollection AddKvsMeeting(this IServiceCollection services, Action<MeetingOptions>? configure = null)
    {
        var options = new MeetingOptions();
        configure?.Invoke(options);
        options.Validate();
        services.AddSingleton(options);
        if (options.Mode == MeetingMode.Aws)
        {
            services.AddSingleton(sp => new AwsMeetingService(options, sp.GetRequiredService<KinesisVideoClient>(),
                new MeetingTokens(RandomNumberGenerator.GetBytes(32), sp.GetService<TimeProvider>() ?? TimeProvider.System),
                sp.GetRequiredService<RecordBroadcaster>(), sp.GetService<TimeProvider>(), sp.GetService<ILogger<AwsMeetingService>>()));
            services.AddSingleton<IMeetingService>(sp => sp.GetRequiredService<AwsMeetingService>());
        }
        else
        {
            services.AddSingleton(sp => new LocalMeetingService(options, sp.GetRequiredService<SignalingServer>(),
                sp.GetRequiredService<MediaStore>(), sp.GetRequiredService<RecordBroadcaster>(), sp.GetService<ILogger<LocalMeetingService>>(),
                sp.GetService<TimeProvider>()));
            services.AddSingleton<IMeetingService>(sp => sp.GetRequiredService<LocalMeetingService>());
        }
        return services;
    }

    /// <summary>Maps the page, the meeting API, the records stream and the mode's own routes.</summary>
    /// <param name="endpoints">The app's route builder.</param>
    /// <returns>The same builder.</returns>
    public static IEndpointRouteBuilder MapKvsMeeting(this IEndpointRouteBuilder endpoints)
    {
        var options = endpoints.ServiceProvider.GetRequiredService<MeetingOptions>();
        // Every route of the app answers only to the configured host names: a page on another site that rebinds its DNS
        // name to this address would otherwise read the API's answers (master tokens) as same-origin.
        var app = endpoints.MapGroup("").AddEndpointFilter(async (filter, next) =>
        {
            var host = filter.HttpContext.Request.Host.Host;
            if (!options.IsAllowedHost(host))
            {
                await Error(filter.HttpContext, 421, "MisdirectedRequestException",
                    $"The meeting app does not answer to Host '{host}'; open it at localhost, 127.0.0.1, [::1] or a name in MeetingOptions.AllowedHosts.");
                return Results.Empty;
            }
            return await next(filter);
        });
        foreach (var (path, asset) in Assets)
        {
            var bytes = ReadAsset(asset);
            var type = asset.EndsWith(".js", StringComparison.Ordinal) ? "text/javascript; charset=utf-8" : "text/html; charset=utf-8";
            app.MapGet(path, () => Results.Bytes(bytes, type));
        }
        AvatarAssets.Map(app, options.Avatar, options.AvatarLibraryDirectory);
        app.MapGet("/meeting/api/join/{code}", (HttpContext context, string code, IMeetingService meetings) => JoinAsync(context, code, meetings.Codes));

        // The API's refusals and KVS's failures become answers the page can show.
        var api = app.MapGroup("").AddEndpointFilter(async (filter, next) =>
        {
            try
            {
                return await next(filter);
            }
            catch (MeetingRequestException e)
            {
                await Error(filter.HttpContext, e.Status, e.ErrorType, e.Message);
                return Results.Empty;
            }
            catch (Exception e) when (e is AwsServiceException or AwsProtocolException or HttpRequestException or TimeoutException
                or Polly.Timeout.TimeoutRejectedException or InvalidOperationException)
            {
                var context = filter.HttpContext;
                context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger("KvsInference.Meeting").LogWarning("meeting API {Path}: {Message}", context.Request.Path, e.Message);
                var type = e is AwsServiceException aws ? aws.ServiceErrorCode : "ServiceUnavailable";
                await Error(context, 502, type, "Kinesis Video Streams call failed: " + e.Message);
                return Results.Empty;
            }
        });
        api.MapPost("/meeting/api/meetings", (HttpContext context, IMeetingService meetings) => CreateAsync(context, meetings));
        api.MapGet("/meeting/api/meetings/{id}", (HttpContext context, string id, IMeetingService meetings) => StatusAsync(context, id, meetings));
        api.MapDelete("/meeting/api/meetings/{id}", (HttpContext context, string id, IMeetingService meetings) => EndAsync(context, id, meetings));
        api.MapGet("/meeting/records", (HttpContext context, IMeetingService meetings) => RecordsAsync(context, meetings));
        if (options.Mode == MeetingMode.Aws) AwsMeetingEndpoints.Map(api);
        else LocalMeetingEndpoints.Map(api);
        return endpoints;
    }

    internal static string? Bearer(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..].Trim() : null;
    }

    /// <summary>
    /// A join link's code to what the viewer page needs (the viewer token among it): 200, 404 when no meeting has the
    /// code, 410 when its meeting ended. Never cached: the answer holds a token.
    /// </summary>
    private static async Task JoinAsync(HttpContext context, string code, JoinCodes codes)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (codes.TryGet(code, out var grant, out var ended))
        {
            await context.Response.WriteAsJsonAsync(grant, Json, context.RequestAborted);
            return;
        }
        if (ended) await Error(context, 410, "MeetingEndedException", "The meeting of this join link has ended.");
        else await Error(context, 404, "ResourceNotFoundException", "No meeting has this join code; check the link (12 letters and digits, e.g. abcd-efgh-jkmn).");
    }

    /// <summary>Who is connected (<see cref="IMeetingService.GetStatus"/>); any token of the meeting.</summary>
    private static async Task StatusAsync(HttpContext context, string id, IMeetingService meetings)
    {
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsJsonAsync(meetings.GetStatus(id, Bearer(context)), Json, context.RequestAborted);
    }

    private static async Task EndAsync(HttpContext context, string id, IMeetingService meetings)
    {
        await meetings.EndAsync(id, Bearer(context));
        context.Response.StatusCode = 204;
    }

    private static byte[] ReadAsset(string name)
    {
        using var stream = typeof(MeetingEndpointExtensions).Assembly.GetManifestResourceStream(AssetPrefix + name)
            ?? throw new InvalidOperationException($"The meeting page asset {name} is not embedded in {typeof(MeetingEndpointExtensions).Assembly.GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>
    /// Reads the create body <c>{"video":bool}</c> (empty or absent video: video on); answers 415 unless the content type is
    /// application/json (a cross-site form or no-cors fetch can only send text/plain, form types or none, so it cannot
    /// create meetings), 400 when the JSON is bad, and returns null then.
    /// </summary>
    internal static async Task<bool?> ReadCreateBodyAsync(HttpContext context)
    {
        bool video = true;
        if (!System.Net.Http.Headers.MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type)
            || !string.Equals(type.MediaType, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            await Error(context, 415, "UnsupportedMediaTypeException",
                $"Creating a meeting takes Content-Type: application/json (got '{context.Request.ContentType}').");
            return null;
        }
        if (context.Request.ContentLength is not 0)
        {
            try
            {
                using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
                if (body.RootElement.ValueKind != JsonValueKind.Object) throw new JsonException("the body is not a JSON object");
                if (body.RootElement.TryGetProperty("video", out var v))
                {
                    if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw new JsonException("'video' must be true or false");
                    video = v.GetBoolean();
                }
            }
            catch (JsonException e)
            {
                await Error(context, 400, "InvalidArgumentException", "The meeting request is not valid JSON {\"video\":bool}: " + e.Message);
                return null;
            }
        }
        return video;
    }

    private static async Task CreateAsync(HttpContext context, IMeetingService meetings)
    {
        if (await ReadCreateBodyAsync(context) is not { } video) return;
        var meeting = await meetings.CreateAsync(video, context.RequestAborted);
        context.Response.StatusCode = 201;
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsJsonAsync(meeting, CreatedJson, context.RequestAborted);
    }

    /// <summary>The join link of a code, relative to the page.</summary>
    internal static string JoinPath(string code) => "/?join=" + code;

    internal static Task Error(HttpContext context, int status, string type, string message)
    {
        context.Response.StatusCode = status;
        context.Response.Headers["x-amzn-ErrorType"] = type;
        return context.Response.WriteAsJsonAsync(new { message }, Json);
    }

    private static async Task RecordsAsync(HttpContext context, IMeetingService meetings)
    {
        using var watch = meetings.WatchRecords(context.Request.Query["stream"], context.Request.Query["token"]);
        await StreamRecordsAsync(context, meetings.Records, context.Request.Query["stream"]!);
    }

    /// <summary>A meeting's inference records as Server-Sent Events (<c>data: {record JSON}</c>), live from now on.</summary>
    internal static async Task StreamRecordsAsync(HttpContext context, RecordBroadcaster records, string streamName)
    {
        using var subscription = records.Subscribe(streamName);
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        var ct = context.RequestAborted;
        await response.WriteAsync(": records of " + streamName + "\n\n", ct);
        await response.Body.FlushAsync(ct);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                // A comment every 15 s keeps proxies from closing an idle stream and shows a dead page quickly.
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(TimeSpan.FromSeconds(15));
                bool more;
                try
                {
                    more = await subscription.Reader.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await response.WriteAsync(": keep-alive\n\n", ct);
                    await response.Body.FlushAsync(ct);
                    continue;
                }
                if (!more) break;
                while (subscription.Reader.TryRead(out var record))
                {
                    await response.WriteAsync("data: " + JsonSerializer.Serialize(record, Json) + "\n\n", ct);
                }
                await response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
