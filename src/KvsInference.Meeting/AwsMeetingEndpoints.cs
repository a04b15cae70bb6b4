namespace KvsInference.Meeting;

/// <summary>
/// The meeting routes of AWS mode only (<see cref="MeetingMode.Aws"/>), beside the API both modes share
/// (<see cref="MeetingEndpointExtensions.MapKvsMeeting"/>): <c>POST /meeting/api/meetings/{id}/connection</c>
/// (<c>Authorization: Bearer &lt;meeting token&gt;</c>) gives the page presigned signaling URLs and ICE servers;
/// <c>POST /meeting/api/meetings/{id}/storage-session</c> (master token) calls JoinStorageSession. There is no WebM
/// ingest: KVS WebRTC ingestion replaces it.
/// </summary>
internal static class AwsMeetingEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/meeting/api/meetings/{id}/connection", async (HttpContext context, string id, AwsMeetingService meetings) =>
            await context.Response.WriteAsJsonAsync(await meetings.ConnectAsync(id, MeetingEndpointExtensions.Bearer(context), context.RequestAborted),
                MeetingEndpointExtensions.CreatedJson, context.RequestAborted));
        endpoints.MapPost("/meeting/api/meetings/{id}/storage-session", async (HttpContext context, string id, AwsMeetingService meetings) =>
            await context.Response.WriteAsJsonAsync(
                new { joined = true, channelArn = await meetings.JoinStorageSessionAsync(id, MeetingEndpointExtensions.Bearer(context), context.RequestAborted) },
                MeetingEndpointExtensions.CreatedJson, context.RequestAborted));
    }
}
