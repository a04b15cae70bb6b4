using System.Text.Json;
using System.Text.Json.Serialization;
using KvsInference.Aws;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KvsInference.Meeting;

/// <summary>
/// The meeting API in AWS mode (<see cref="MeetingMode.Aws"/>), mapped by <see cref="MeetingEndpointExtensions.MapKvsMeeting"/>:
/// <c>POST /meeting/api/meetings</c> creates a meeting on KVS; <c>POST /meeting/api/meetings/{id}/connection</c>
/// (<c>Authorization: Bearer &lt;meeting token&gt;</c>) gives the page presigned signaling URLs and ICE servers;
/// <c>POST /meeting/api/meetings/{id}/storage-session</c> (master token) calls JoinStorageSession;
/// <c>DELETE /meeting/api/meetings/{id}</c> (master token) ends the meeting and deletes its KVS resources;
/// <c>GET /meeting/records</c> streams the meeting's records. There is no WebM ingest: KVS WebRTC ingestion replaces it.
/// </summary>
internal static class AwsMeetingEndpoints
{
    // Absent rather than null: the page passes ICE servers straight to RTCPeerConnection, which would read null as "null".
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/meeting/api/meetings", (HttpContext context, AwsMeetingService meetings) => CreateAsync(context, meetings));
        endpoints.MapPost("/meeting/api/meetings/{id}/connection", (HttpContext context, string id, AwsMeetingService meetings) =>
            Guarded(context, async () => await context.Response.WriteAsJsonAsync(
                await meetings.ConnectAsync(id, Bearer(context), context.RequestAborted), Json, context.RequestAborted)));
        endpoints.MapPost("/meeting/api/meetings/{id}/storage-session", (HttpContext context, string id, AwsMeetingService meetings) =>
            Guarded(context, async () => await context.Response.WriteAsJsonAsync(
                new { joined = true, channelArn = await meetings.JoinStorageSessionAsync(id, Bearer(context), context.RequestAborted) },
                Json, context.RequestAborted)));
        endpoints.MapGet("/meeting/api/meetings/{id}", (HttpContext context, string id, AwsMeetingService meetings) =>
            Guarded(context, async () =>
            {
                context.Response.Headers.CacheControl = "no-store";
                await context.Response.WriteAsJsonAsync(meetings.GetStatus(id, Bearer(context)), MeetingEndpointExtensions.Json, context.RequestAborted);
            }));
        endpoints.MapDelete("/meeting/api/meetings/{id}", (HttpContext context, string id, AwsMeetingService meetings) =>
            Guarded(context, async () =>
            {
                await meetings.EndAsync(id, Bearer(context));
                context.Response.StatusCode = 204;
            }));
        endpoints.MapGet("/meeting/records", async (HttpContext context, AwsMeetingService meetings) =>
        {
            var meeting = meetings.Authorize(context.Request.Query["stream"], context.Request.Query["token"], out var why);
            if (meeting is null)
            {
                await MeetingEndpointExtensions.Error(context, 403, "NotAuthorizedException", "Records refused: " + why + ".");
                return;
            }
            using var use = meetings.Use(meeting);
            await MeetingEndpointExtensions.StreamRecordsAsync(context, meetings.Records, meeting.StreamName);
        });
    }

    private static async Task CreateAsync(HttpContext context, AwsMeetingService meetings)
    {
        if (await MeetingEndpointExtensions.ReadCreateBodyAsync(context) is not { } video) return;
        await Guarded(context, async () =>
        {
            var meeting = await meetings.CreateAsync(video, context.RequestAborted);
            context.Response.StatusCode = 201;
            context.Response.Headers.CacheControl = "no-store";
            await context.Response.WriteAsJsonAsync(new
            {
                Mode = "aws",
                meeting.Id,
                meeting.ChannelArn,
                meeting.IngestChannelArn,
                meeting.StreamName,
                meeting.MasterToken,
                meeting.ViewerToken,
                meeting.Video,
                meeting.JoinCode,
                JoinPath = MeetingEndpointExtensions.JoinPath(meeting.JoinCode),
            }, Json, context.RequestAborted);
        });
    }

    private static string? Bearer(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..].Trim() : null;
    }

    /// <summary>Runs a call and turns its failures into answers: the page's own mistakes as 4xx, KVS failures as 502 naming the operation.</summary>
    private static async Task Guarded(HttpContext context, Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (MeetingRequestException e)
        {
            var type = e.Status switch { 404 => "ResourceNotFoundException", 410 => "MeetingEndedException", 429 => "ClientLimitExceededException", _ => "NotAuthorizedException" };
            await MeetingEndpointExtensions.Error(context, e.Status, type, e.Message);
        }
        catch (Exception e) when (e is AwsServiceException or AwsProtocolException or HttpRequestException or TimeoutException
            or Polly.Timeout.TimeoutRejectedException or InvalidOperationException)
        {
            context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger("KvsInference.Meeting.Aws").LogWarning("meeting API {Path}: {Message}", context.Request.Path, e.Message);
            var type = e is AwsServiceException aws ? aws.ServiceErrorCode : "ServiceUnavailable";
            await MeetingEndpointExtensions.Error(context, 502, type, "Kinesis Video Streams call failed: " + e.Message);
        }
    }
}
