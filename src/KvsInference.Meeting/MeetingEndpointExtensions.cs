using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KvsInference.Aws.KinesisVideo;
using KvsInference.LocalKvs.Storage;
using KvsInference.LocalKvs.Signaling;
using KvsInference.Sinks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KvsInference.Meeting;

/// <summary>
/// Registration of the meeting web app in an ASP.NET Core app that also maps the signaling server
/// (<c>MapKvsSignaling(options.SignalingPath)</c>) and calls <c>UseWebSockets()</c>:
/// <c>GET /</c> the page, <c>POST /meeting/api/meetings</c> (application/json) creates a meeting,
/// <c>DELETE /meeting/api/meetings/{id}</c> (Bearer master token) ends it, <c>GET /meeting/ingest</c> (WebSocket)
/// takes the master's MediaRecorder WebM into the stream, <c>GET /meeting/records</c> (Server-Sent Events) streams the
/// meeting's inference records to the page. Every route answers only to the host names of
/// <see cref="MeetingOptions.IsAllowedHost"/> (421 otherwise). In AWS mode (<see cref="MeetingMode.Aws"/>) the API is
/// <see cref="AwsMeetingEndpoints"/>' instead: no signaling server or ingest here, presigned KVS URLs for the page.
/// </summary>
public static class MeetingEndpointExtensions
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static readonly Dictionary<string, string> Assets = new(StringComparer.Ordinal)
    {
        ["/"] = "index.html",
        ["/meeting/meeting.js"] = "meeting.js",
        ["/meeting/face.js"] = "face.js",
        ["/meeting/voice-delay.js"] = "voice-delay.js",
        ["/meeting/avatar3d.js"] = "avatar3d.js",
    };

    /// <summary>
    /// Registers the meeting service of the configured <see cref="MeetingOptions.Mode"/>: in local mode the
    /// <see cref="MeetingService"/> (the store, signaling server and broadcaster must be registered); in AWS mode the
    /// <see cref="AwsMeetingService"/> (a <see cref="KinesisVideoClient"/> and the broadcaster must be registered, and
    /// something must feed the broadcaster, e.g. a <see cref="KinesisRecordReader"/>).
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
            return services;
        }
        services.AddSingleton(sp => new MeetingService(options, sp.GetRequiredService<SignalingServer>(),
            sp.GetRequiredService<MediaStore>(), sp.GetRequiredService<RecordBroadcaster>(), sp.GetService<ILogger<MeetingService>>(),
            sp.GetService<TimeProvider>()));
        return services;
    }

    /// <summary>Maps the page, the meeting API, the ingest WebSocket and the records stream.</summary>
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
        app.MapGet("/meeting/api/join/{code}", (HttpContext context, string code) => JoinAsync(context, code,
            options.Mode == MeetingMode.Aws ? context.RequestServices.GetRequiredService<AwsMeetingService>().Codes : context.RequestServices.GetRequiredService<MeetingService>().Codes));
        AvatarAssets.Map(app, options.Avatar, options.AvatarLibraryDirectory);
        if (options.Mode == MeetingMode.Aws)
        {
            AwsMeetingEndpoints.Map(app);
            return endpoints;
        }
        app.MapPost("/meeting/api/meetings", (HttpContext context, MeetingService meetings) => CreateAsync(context, meetings));
        app.MapGet("/meeting/api/meetings/{id}", (HttpContext context, string id, MeetingService meetings) => StatusAsync(context, id, meetings));
        app.MapDelete("/meeting/api/meetings/{id}", (HttpContext context, string id, MeetingService meetings) => EndAsync(context, id, meetings));
        app.MapGet("/meeting/ingest", (HttpContext context, MeetingService meetings) => IngestAsync(context, meetings));
        app.MapGet("/meeting/records", (HttpContext context, MeetingService meetings) => RecordsAsync(context, meetings));
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

    /// <summary>Who is connected (<see cref="MeetingService.GetStatus"/>); any token of the meeting.</summary>
    private static async Task StatusAsync(HttpContext context, string id, MeetingService meetings)
    {
        context.Response.Headers.CacheControl = "no-store";
        var (status, why, meeting) = meetings.GetStatus(id, Bearer(context));
        if (meeting is not null)
        {
            await context.Response.WriteAsJsonAsync(meeting, Json, context.RequestAborted);
            return;
        }
        var type = status switch { 404 => "ResourceNotFoundException", 410 => "MeetingEndedException", _ => "NotAuthorizedException" };
        await Error(context, status, type, why[..1].ToUpperInvariant() + why[1..] + ".");
    }

    private static async Task EndAsync(HttpContext context, string id, MeetingService meetings)
    {
        var token = Bearer(context);
        var (status, why) = await meetings.EndAsync(id, token);
        if (status == 0)
        {
            context.Response.StatusCode = 204;
            return;
        }
        await Error(context, status, status == 404 ? "ResourceNotFoundException" : "NotAuthorizedException", "Ending the meeting refused: " + why + ".");
    }

    private static byte[] ReadAsset(string name)
    {
        using var stream = typeof(MeetingEndpointExtensions).Assembly.GetManifestResourceStream("KvsInference.Meeting.wwwroot." + name)
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

    private static async Task CreateAsync(HttpContext context, MeetingService meetings)
    {
        if (await ReadCreateBodyAsync(context) is not { } video) return;
        MeetingInfo meeting;
        try
        {
            meeting = meetings.Create(video);
        }
        catch (InvalidOperationException e)
        {
            await Error(context, 429, "ClientLimitExceededException", e.Message);
            return;
        }
        context.Response.StatusCode = 201;
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsJsonAsync(new
        {
            meeting.Id,
            meeting.ChannelArn,
            meeting.StreamName,
            meeting.MasterToken,
            meeting.ViewerToken,
            meeting.Video,
            meetings.Options.SignalingPath,
            meeting.JoinCode,
            JoinPath = JoinPath(meeting.JoinCode),
        }, Json, context.RequestAborted);
    }

    /// <summary>The join link of a code, relative to the page.</summary>
    internal static string JoinPath(string code) => "/?join=" + code;

    internal static Task Error(HttpContext context, int status, string type, string message)
    {
        context.Response.StatusCode = status;
        context.Response.Headers["x-amzn-ErrorType"] = type;
        return context.Response.WriteAsJsonAsync(new { message }, Json);
    }

    /// <summary>
    /// The master's audio: each WebSocket binary message is the next MediaRecorder chunk of one WebM upload, piped into
    /// <see cref="MediaStore.PutMediaAsync(string?, string?, Stream, FragmentTimecodeType, DateTimeOffset?, Func{PutMediaAck, ValueTask}?, CancellationToken)"/>
    /// as it arrives (RELATIVE timecodes from the page's <c>producerStart</c>, Unix ms). Acknowledgements go back as
    /// text messages in the PutMedia JSON shape.
    /// </summary>
    private static async Task IngestAsync(HttpContext context, MeetingService meetings)
    {
        var query = context.Request.Query;
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await Error(context, 400, "InvalidArgumentException", "The ingest is a WebSocket: connect with ws://.../meeting/ingest?stream=...&token=...&producerStart=<unix ms>.");
            return;
        }
        var meeting = meetings.Authorize(query["stream"], query["token"], SignalingRole.Master, out var why);
        if (meeting is null)
        {
            await Error(context, 403, "NotAuthorizedException", "Ingest refused: " + why + ".");
            return;
        }
        DateTimeOffset producerStart = meetings.Store.Time.GetUtcNow();
        if (query["producerStart"] is { Count: > 0 } startText)
        {
            if (!long.TryParse(startText, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
            {
                await Error(context, 400, "InvalidArgumentException", $"producerStart '{startText}' is not Unix milliseconds.");
                return;
            }
            producerStart = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        }

        var logger = context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger("KvsInference.Meeting.Ingest");
        using var use = meetings.Use(meeting);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var ct = context.RequestAborted;
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 * 1024 * 1024, resumeWriterThreshold: 1024 * 1024));
        var sendLock = new SemaphoreSlim(1, 1);
        async ValueTask SendText(string text)
        {
            await sendLock.WaitAsync(ct);
            try
            {
                // After the client's Close (CloseReceived) the last acknowledgements still go out.
                if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived) await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, ct);
            }
            finally
            {
                sendLock.Release();
            }
        }

        Task<IReadOnlyList<PutMediaAck>> put;
        try
        {
            // Acquiring the PutMedia slot happens synchronously inside, so limit errors surface here.
            put = meetings.Store.PutMediaAsync(meeting.StreamName, null, pipe.Reader.AsStream(), FragmentTimecodeType.Relative, producerStart,
                ack => SendText(AckJson(ack)), ct);
            if (put.IsFaulted) await put;
        }
        catch (KvsServiceException e)
        {
            await SendText(JsonSerializer.Serialize(new { EventType = "ERROR", ErrorCode = e.ErrorType, e.Message }));
            await socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, Truncate(e.Message), CancellationToken.None);
            return;
        }

        string closeReason = "ingest ended";
        var closeStatus = WebSocketCloseStatus.NormalClosure;
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long messageBytes = 0;
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, ct);
                if (result.MessageType == WebSocketMessageType.Close) break;
                if (result.MessageType != WebSocketMessageType.Binary)
                {
                    closeStatus = WebSocketCloseStatus.InvalidMessageType;
                    closeReason = "the ingest takes binary WebM chunks only";
                    break;
                }
                messageBytes = result.EndOfMessage ? 0 : messageBytes + result.Count;
                if (messageBytes > meetings.Options.MaxIngestMessageBytes)
                {
                    closeStatus = WebSocketCloseStatus.MessageTooBig;
                    closeReason = $"a chunk is larger than {meetings.Options.MaxIngestMessageBytes} bytes";
                    break;
                }
                var flush = await pipe.Writer.WriteAsync(buffer.AsMemory(0, result.Count), ct);
                if (flush.IsCompleted)
                {
                    // PutMedia stopped reading: it ended with an ERROR ack, which the page already has.
                    closeStatus = WebSocketCloseStatus.InvalidPayloadData;
                    closeReason = "the media store refused the upload";
                    break;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            logger?.LogInformation("meeting ingest {Stream}: connection lost ({Message})", meeting.StreamName, e.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            await pipe.Writer.CompleteAsync();
        }

        try
        {
            var acks = await put;
            logger?.LogInformation("meeting ingest {Stream}: {Persisted} fragments persisted", meeting.StreamName, acks.Count(a => a.EventType == PutMediaAckEventType.Persisted));
        }
        catch (OperationCanceledException)
        {
        }
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try
            {
                await socket.CloseAsync(closeStatus, Truncate(closeReason), CancellationToken.None);
            }
            catch (WebSocketException)
            {
            }
        }
    }

    private static string AckJson(PutMediaAck ack) => JsonSerializer.Serialize(new
    {
        EventType = ack.EventType.ToString().ToUpperInvariant(),
        FragmentTimecode = ack.FragmentTimecodeMs,
        ack.FragmentNumber,
        ack.ErrorId,
        ack.ErrorCode,
        ack.Message,
    });

    private static string Truncate(string s) => s.Length <= 120 ? s : s[..120]; // close reasons are at most 123 bytes

    private static async Task RecordsAsync(HttpContext context, MeetingService meetings)
    {
        var meeting = meetings.Authorize(context.Request.Query["stream"], context.Request.Query["token"], null, out var why);
        if (meeting is null)
        {
            await Error(context, 403, "NotAuthorizedException", "Records refused: " + why + ".");
            return;
        }
        using var use = meetings.Use(meeting);
        await StreamRecordsAsync(context, meetings.Records, meeting.StreamName);
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
