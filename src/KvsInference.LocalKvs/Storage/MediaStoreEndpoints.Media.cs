using KvsInference.Kvs;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace KvsInference.LocalKvs.Storage;

/// <summary>The media routes: GetMedia, GetMediaForFragmentList and PutMedia (streamed bodies, acknowledgements).</summary>
public static partial class MediaStoreEndpoints
{
    private static async Task GetMediaAsync(MediaStore store, HttpContext context)
    {
        SetRequestId(context);
        GetMediaSession session;
        try
        {
            using JsonDocument body = await ReadJsonAsync(context).ConfigureAwait(false);
            JsonElement root = body.RootElement;
            if (!root.TryGetProperty("StartSelector", out JsonElement selector) || selector.ValueKind != JsonValueKind.Object)
            {
                throw KvsServiceException.InvalidArgument("StartSelector is required.");
            }
            string type = RequiredString(selector, "StartSelectorType");
            if (!KvsStartSelectorTypes.TryParse(type, out KvsStartSelectorType selectorType))
            {
                throw KvsServiceException.InvalidArgument($"StartSelectorType {type} is not one of {string.Join(", ", KvsStartSelectorTypes.WireNames)}.");
            }
            var startSelector = new StartSelector(
                selectorType,
                OptionalString(selector, "AfterFragmentNumber"),
                OptionalTimestamp(selector, "StartTimestamp"),
                OptionalString(selector, "ContinuationToken"));
            session = store.OpenGetMedia(OptionalString(root, "StreamName"), OptionalString(root, "StreamARN"), startSelector);
        }
        catch (KvsServiceException e)
        {
            await WriteErrorAsync(context, e).ConfigureAwait(false);
            return;
        }
        using (session)
        {
            context.Response.ContentType = session.ContentType;
            try
            {
                // Headers go out at once (StartAsync alone does not flush them), so a live reader sees 200 before the first fragment.
                await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                await session.WriteToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // The reader went away.
            }
        }
    }

    private static async Task GetMediaForFragmentListAsync(MediaStore store, HttpContext context)
    {
        SetRequestId(context);
        string? streamName, streamArn;
        IReadOnlyList<StoredFragment> fragments;
        KvsStreamDescription description;
        try
        {
            using JsonDocument body = await ReadJsonAsync(context).ConfigureAwait(false);
            JsonElement root = body.RootElement;
            streamName = OptionalString(root, "StreamName");
            streamArn = OptionalString(root, "StreamARN");
            List<string> numbers = OptionalStringList(root, "Fragments") ?? throw KvsServiceException.InvalidArgument("Fragments is required.");
            fragments = store.ResolveFragmentList(streamName, streamArn, numbers);
            description = store.DescribeStream(streamName, streamArn);
            streamName = description.StreamName;
        }
        catch (KvsServiceException e)
        {
            await WriteErrorAsync(context, e).ConfigureAwait(false);
            return;
        }
        context.Response.ContentType = MediaStore.ContentTypeOf(description);
        await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        try
        {
            await store.WriteFragmentListAsync(streamName, fragments, context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or KvsServiceException)
        {
            // Headers are sent: a fragment removed meanwhile (or a reader gone) ends the body early.
            context.Abort();
        }
    }

    private static async Task PutMediaAsync(MediaStore store, HttpContext context)
    {
        SetRequestId(context);
        HttpRequest request = context.Request;
        string? streamName = Header(request, "x-amzn-stream-name"), streamArn = Header(request, "x-amzn-stream-arn");
        string? typeText = Header(request, "x-amzn-fragment-timecode-type");
        FragmentTimecodeType type;
        DateTimeOffset? producerStart = null;
        MediaStream stream;
        try
        {
            type = typeText switch
            {
                "ABSOLUTE" => FragmentTimecodeType.Absolute,
                "RELATIVE" => FragmentTimecodeType.Relative,
                null => throw KvsServiceException.InvalidArgument("The x-amzn-fragment-timecode-type header (ABSOLUTE or RELATIVE) is required."),
                _ => throw KvsServiceException.InvalidArgument($"x-amzn-fragment-timecode-type must be ABSOLUTE or RELATIVE, not {typeText}."),
            };
            if (Header(request, "x-amzn-producer-start-timestamp") is { } startText)
            {
                if (!decimal.TryParse(startText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal seconds) || seconds > 253402300799m)
                {
                    throw KvsServiceException.InvalidArgument($"x-amzn-producer-start-timestamp must be epoch seconds (e.g. 1700000000.123), not {startText}.");
                }
                producerStart = DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
            }
            stream = store.AcquirePutMedia(streamName, streamArn, type, producerStart);
        }
        catch (KvsServiceException e)
        {
            await WriteErrorAsync(context, e).ConfigureAwait(false);
            return;
        }

        try
        {
            var line = new MemoryStream();
            context.Response.ContentType = "application/json";
            // An upload that ends in an error leaves request bytes unread; the connection must not be reused after it.
            context.Response.Headers.Connection = "close";
            // The acks go out while the upload is still being read (HTTP/1.1 chunked both ways, as KVS does).
            await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            await store.RunPutMediaAsync(stream, request.BodyReader, type, producerStart, async ack =>
            {
                line.SetLength(0);
                WriteAck(line, ack);
                await context.Response.Body.WriteAsync(line.GetBuffer().AsMemory(0, (int)line.Length), context.RequestAborted).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            }, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The producer went away; fragments persisted so far stay.
        }
        finally
        {
            store.ReleasePutMedia(stream);
        }
    }

    internal static void WriteAck(Stream output, PutMediaAck ack)
    {
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WriteString("EventType", ack.EventType switch
            {
                PutMediaAckEventType.Buffering => "BUFFERING",
                PutMediaAckEventType.Received => "RECEIVED",
                PutMediaAckEventType.Persisted => "PERSISTED",
                PutMediaAckEventType.Error => "ERROR",
                _ => "IDLE",
            });
            if (ack.FragmentTimecodeMs is { } timecode) writer.WriteNumber("FragmentTimecode", timecode);
            if (ack.FragmentNumber is { } number) writer.WriteString("FragmentNumber", number);
            if (ack.ErrorId is { } errorId)
            {
                writer.WriteNumber("ErrorId", errorId);
                writer.WriteString("ErrorCode", ack.ErrorCode);
            }
            if (ack.Message is { } message) writer.WriteString("Message", message);
            writer.WriteEndObject();
        }
        output.WriteByte((byte)'\n');
    }
}
