using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using KvsInference.LocalKvs.Signaling;
using KvsInference.LocalKvs.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KvsInference.Meeting;

/// <summary>
/// The meeting routes of local mode only (<see cref="MeetingMode.Local"/>), beside the API both modes share
/// (<see cref="MeetingEndpointExtensions.MapKvsMeeting"/>): <c>GET /meeting/ingest</c> (WebSocket) takes the master's
/// MediaRecorder WebM into the meeting's stream in the local media store. The pages' signaling goes to the local
/// signaling server (<c>MapKvsSignaling</c>), which the app maps itself.
/// </summary>
internal static class LocalMeetingEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/meeting/ingest", (HttpContext context, LocalMeetingService meetings) => IngestAsync(context, meetings));

    /// <summary>
    /// The master's audio: each WebSocket binary message is the next MediaRecorder chunk of one WebM upload, piped into
    /// <see cref="MediaStore.PutMediaAsync(string?, string?, Stream, FragmentTimecodeType, DateTimeOffset?, Func{PutMediaAck, ValueTask}?, CancellationToken)"/>
    /// as it arrives (RELATIVE timecodes from the page's <c>producerStart</c>, Unix ms). Acknowledgements go back as
    /// text messages in the PutMedia JSON shape.
    /// </summary>
    private static async Task IngestAsync(HttpContext context, LocalMeetingService meetings)
    {
        var query = context.Request.Query;
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await MeetingEndpointExtensions.Error(context, 400, "InvalidArgumentException", "The ingest is a WebSocket: connect with ws://.../meeting/ingest?stream=...&token=...&producerStart=<unix ms>.");
            return;
        }
        var meeting = meetings.Authorize(query["stream"], query["token"], SignalingRole.Master, out var why);
        if (meeting is null)
        {
            await MeetingEndpointExtensions.Error(context, 403, "NotAuthorizedException", "Ingest refused: " + why + ".");
            return;
        }
        DateTimeOffset producerStart = meetings.Store.Time.GetUtcNow();
        if (query["producerStart"] is { Count: > 0 } startText)
        {
            if (!long.TryParse(startText, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
            {
                await MeetingEndpointExtensions.Error(context, 400, "InvalidArgumentException", $"producerStart '{startText}' is not Unix milliseconds.");
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
}
