using KvsInference.Kvs;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace KvsInference.LocalKvs.Storage;

/// <summary>
/// Maps the KVS REST-JSON operations onto a <see cref="MediaStore"/>: control plane (CreateStream, DescribeStream,
/// ListStreams, DeleteStream, TagStream, UntagStream, ListTagsForStream, UpdateDataRetention, GetDataEndpoint),
/// data plane (PutMedia, GetMedia) and archived media (ListFragments, GetMediaForFragmentList), each on
/// <c>POST /&lt;operation&gt;</c> as KVS serves them.
/// </summary>
/// <remarks>
/// SigV4-signed requests are accepted and the signature is not verified (nor is any credential needed): the store is
/// a local development stand-in. Errors carry the KVS status, <c>x-amzn-ErrorType</c> and <c>{"Message":"..."}</c>.
/// </remarks>
public static partial class MediaStoreEndpoints
{
    private const int MaxRequestJsonBytes = 1024 * 1024;

    /// <summary>Mounts the KVS operations at the root of <paramref name="endpoints"/>.</summary>
    /// <param name="endpoints">The app or route group.</param>
    /// <param name="store">The store to serve.</param>
    /// <returns>The same builder.</returns>
    public static IEndpointRouteBuilder MapKvsMediaStore(this IEndpointRouteBuilder endpoints, MediaStore store)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(store);
        MapJson(endpoints, "/createStream", (body, writer, _) =>
        {
            KvsStreamDescription created = store.CreateStream(RequiredString(body, "StreamName"), OptionalInt(body, "DataRetentionInHours") ?? 0,
                OptionalMap(body, "Tags"), OptionalString(body, "DeviceName"), OptionalString(body, "MediaType"), OptionalString(body, "KmsKeyId"));
            writer.WriteString("StreamARN", created.StreamArn);
        });
        MapJson(endpoints, "/describeStream", (body, writer, _) =>
        {
            writer.WritePropertyName("StreamInfo");
            WriteStreamInfo(writer, store.DescribeStream(OptionalString(body, "StreamName"), OptionalString(body, "StreamARN")));
        });
        MapJson(endpoints, "/listStreams", (body, writer, _) => ListStreams(store, body, writer));
        MapJson(endpoints, "/deleteStream", (body, _, _) =>
            store.DeleteStream(RequiredString(body, "StreamARN"), OptionalString(body, "CurrentVersion")));
        MapJson(endpoints, "/tagStream", (body, _, _) =>
            store.TagStream(OptionalString(body, "StreamName"), OptionalString(body, "StreamARN"),
                OptionalMap(body, "Tags") ?? throw KvsServiceException.InvalidArgument("Tags is required.")));
        MapJson(endpoints, "/untagStream", (body, _, _) =>
            store.UntagStream(OptionalString(body, "StreamName"), OptionalString(body, "StreamARN"),
                OptionalStringList(body, "TagKeyList") ?? throw KvsServiceException.InvalidArgument("TagKeyList is required.")));
        MapJson(endpoints, "/listTagsForStream", (body, writer, _) =>
        {
            writer.WritePropertyName("Tags");
            writer.WriteStartObject();
            foreach (var (key, value) in store.ListTagsForStream(OptionalString(body, "StreamName"), OptionalString(body, "StreamARN")))
            {
                writer.WriteString(key, value);
            }
            writer.WriteEndObject();
        });
        MapJson(endpoints, "/updateDataRetention", (body, _, _) =>
        {
            string operation = RequiredString(body, "Operation");
            bool increase = operation switch
            {
                "INCREASE_DATA_RETENTION" => true,
                "DECREASE_DATA_RETENTION" => false,
                _ => throw KvsServiceException.InvalidArgument($"Operation must be INCREASE_DATA_RETENTION or DECREASE_DATA_RETENTION, not {operation}."),
            };
            store.UpdateDataRetention(OptionalString(body, "StreamName"), OptionalString(body, "StreamARN"), RequiredString(body, "CurrentVersion"),
                increase, OptionalInt(body, "DataRetentionChangeInHours") ?? throw KvsServiceException.InvalidArgument("DataRetentionChangeInHours is required."));
        });
        MapJson(endpoints, "/getDataEndpoint", (body, writer, context) =>
        {
            string api = RequiredString(body, "APIName");
            if (api is not ("PUT_MEDIA" or "GET_MEDIA" or "LIST_FRAGMENTS" or "GET_MEDIA_FOR_FRAGMENT_LIST" or "GET_HLS_STREAMING_SESSION_URL"
                or "GET_DASH_STREAMING_SESSION_URL" or "GET_CLIP" or "GET_IMAGES"))
            {
                throw KvsServiceException.InvalidArgument($"APIName {api} is not a KVS data plane API.");
            }
            store.DescribeStream(OptionalString(body, "StreamName"), OptionalString(body, "StreamARN"));
            writer.WriteString("DataEndpoint", store.DataEndpoint ?? $"{context.Request.Scheme}://{context.Request.Host}");
        });
        MapJson(endpoints, "/listFragments", (body, writer, _) => ListFragments(store, body, writer));
        endpoints.MapPost("/getMedia", context => GetMediaAsync(store, context));
        endpoints.MapPost("/getMediaForFragmentList", context => GetMediaForFragmentListAsync(store, context));
        endpoints.MapPost("/putMedia", context => PutMediaAsync(store, context));
        return endpoints;
    }

    private static void MapJson(IEndpointRouteBuilder endpoints, string path, Action<JsonElement, Utf8JsonWriter, HttpContext> handle)
    {
        endpoints.MapPost(path, async context =>
        {
            SetRequestId(context);
            try
            {
                using JsonDocument body = await ReadJsonAsync(context).ConfigureAwait(false);
                var buffer = new MemoryStream();
                using (var writer = new Utf8JsonWriter(buffer))
                {
                    writer.WriteStartObject();
                    handle(body.RootElement, writer, context);
                    writer.WriteEndObject();
                }
                context.Response.ContentType = "application/json";
                context.Response.ContentLength = buffer.Length;
                await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted).ConfigureAwait(false);
            }
            catch (KvsServiceException e)
            {
                await WriteErrorAsync(context, e).ConfigureAwait(false);
            }
        });
    }

    private static void ListStreams(MediaStore store, JsonElement body, Utf8JsonWriter writer)
    {
        int max = OptionalInt(body, "MaxResults") ?? MediaStoreConstants.MaxListStreamsResults;
        if (max is < 1 or > MediaStoreConstants.MaxListStreamsResults)
        {
            throw KvsServiceException.InvalidArgument($"MaxResults must be 1 to {MediaStoreConstants.MaxListStreamsResults}, not {max}.");
        }
        string? prefix = null;
        if (body.TryGetProperty("StreamNameCondition", out JsonElement condition) && condition.ValueKind == JsonValueKind.Object)
        {
            string op = OptionalString(condition, "ComparisonOperator") ?? "BEGINS_WITH";
            if (op != "BEGINS_WITH") throw KvsServiceException.InvalidArgument($"ComparisonOperator must be BEGINS_WITH, not {op}.");
            prefix = RequiredString(condition, "ComparisonValue");
        }
        string? after = DecodeToken(OptionalString(body, "NextToken"));
        List<KvsStreamDescription> streams = store.ListStreams(prefix)
            .Where(s => after is null || string.CompareOrdinal(s.StreamName, after) > 0).ToList();
        writer.WritePropertyName("StreamInfoList");
        writer.WriteStartArray();
        foreach (KvsStreamDescription stream in streams.Take(max)) WriteStreamInfo(writer, stream);
        writer.WriteEndArray();
        if (streams.Count > max) writer.WriteString("NextToken", EncodeToken(streams[max - 1].StreamName));
    }

    private static void ListFragments(MediaStore store, JsonElement body, Utf8JsonWriter writer)
    {
        int max = OptionalInt(body, "MaxResults") ?? MediaStoreConstants.MaxListFragmentsResults;
        if (max is < 1 or > MediaStoreConstants.MaxListFragmentsResults)
        {
            throw KvsServiceException.InvalidArgument($"MaxResults must be 1 to {MediaStoreConstants.MaxListFragmentsResults}, not {max}.");
        }
        bool? byProducer = null;
        DateTimeOffset start = default, end = default;
        if (body.TryGetProperty("FragmentSelector", out JsonElement selector) && selector.ValueKind == JsonValueKind.Object)
        {
            string type = RequiredString(selector, "FragmentSelectorType");
            if (!KvsTimestampOrigins.TryParse(type, out var origin))
            {
                throw KvsServiceException.InvalidArgument($"FragmentSelectorType must be {string.Join(" or ", KvsTimestampOrigins.WireNames)}, not {type}.");
            }
            byProducer = origin == KvsTimestampOrigin.Producer;
            if (!selector.TryGetProperty("TimestampRange", out JsonElement range) || range.ValueKind != JsonValueKind.Object)
            {
                throw KvsServiceException.InvalidArgument("FragmentSelector.TimestampRange is required.");
            }
            start = RequiredTimestamp(range, "StartTimestamp");
            end = RequiredTimestamp(range, "EndTimestamp");
            if (end < start) throw KvsServiceException.InvalidArgument("TimestampRange.EndTimestamp is before StartTimestamp.");
        }
        string? streamName = OptionalString(body, "StreamName"), streamArn = OptionalString(body, "StreamARN");
        store.CheckArchivedRate(store.Resolve(streamName, streamArn));
        IReadOnlyList<StoredFragment> fragments = store.ListFragments(streamName, streamArn, byProducer, start, end);
        string? after = DecodeToken(OptionalString(body, "NextToken"));
        if (after is not null && !FragmentNumber.IsValid(after)) throw KvsServiceException.InvalidArgument("NextToken is not a token this service returned.");
        List<StoredFragment> page = fragments.Where(f => after is null || FragmentNumber.Compare(f.FragmentNumber, after) > 0).Take(max + 1).ToList();
        writer.WritePropertyName("Fragments");
        writer.WriteStartArray();
        foreach (StoredFragment fragment in page.Take(max))
        {
            writer.WriteStartObject();
            writer.WriteString("FragmentNumber", fragment.FragmentNumber);
            writer.WriteNumber("FragmentSizeInBytes", fragment.SizeBytes);
            writer.WriteNumber("ProducerTimestamp", fragment.ProducerTimestamp.ToUnixTimeMilliseconds() / 1000m);
            writer.WriteNumber("ServerTimestamp", fragment.ServerTimestamp.ToUnixTimeMilliseconds() / 1000m);
            writer.WriteNumber("FragmentLengthInMilliseconds", (long)fragment.Duration.TotalMilliseconds);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        if (page.Count > max) writer.WriteString("NextToken", EncodeToken(page[max - 1].FragmentNumber));
    }

    private static void WriteStreamInfo(Utf8JsonWriter writer, KvsStreamDescription stream)
    {
        writer.WriteStartObject();
        writer.WriteNumber("CreationTime", stream.CreationTime.ToUnixTimeMilliseconds() / 1000m);
        writer.WriteNumber("DataRetentionInHours", stream.DataRetentionInHours);
        if (stream.DeviceName is not null) writer.WriteString("DeviceName", stream.DeviceName);
        writer.WriteString("KmsKeyId", stream.KmsKeyId);
        if (stream.MediaType is not null) writer.WriteString("MediaType", stream.MediaType);
        writer.WriteString("Status", stream.Status);
        writer.WriteString("StreamARN", stream.StreamArn);
        writer.WriteString("StreamName", stream.StreamName);
        writer.WriteString("Version", stream.Version);
        writer.WriteEndObject();
    }

    private static async Task WriteErrorAsync(HttpContext context, KvsServiceException error)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }
        context.Response.StatusCode = error.StatusCode;
        context.Response.Headers["x-amzn-ErrorType"] = error.ErrorType;
        context.Response.ContentType = "application/json";
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("Message", error.Message);
            writer.WriteEndObject();
        }
        context.Response.ContentLength = buffer.Length;
        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)).ConfigureAwait(false);
    }

    private static void SetRequestId(HttpContext context) =>
        context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();

    private static async Task<JsonDocument> ReadJsonAsync(HttpContext context)
    {
        var buffer = new MemoryStream();
        byte[] chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxRequestJsonBytes) throw KvsServiceException.InvalidArgument($"The request body is larger than {MaxRequestJsonBytes} bytes.");
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) return JsonDocument.Parse("{}");
        try
        {
            JsonDocument document = JsonDocument.Parse(buffer.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new KvsServiceException(KvsErrorTypes.Serialization, 400, "The request body must be a JSON object.");
            }
            return document;
        }
        catch (JsonException e)
        {
            throw new KvsServiceException(KvsErrorTypes.Serialization, 400, "The request body is not valid JSON: " + e.Message);
        }
    }

    private static string? Header(HttpRequest request, string name) =>
        request.Headers.TryGetValue(name, out var values) && values.Count > 0 && !string.IsNullOrEmpty(values[0]) ? values[0] : null;

    private static string? OptionalString(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String) throw KvsServiceException.InvalidArgument($"{name} must be a string.");
        return value.GetString();
    }

    private static string RequiredString(JsonElement body, string name) =>
        OptionalString(body, name) ?? throw KvsServiceException.InvalidArgument($"{name} is required.");

    private static int? OptionalInt(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int number)) throw KvsServiceException.InvalidArgument($"{name} must be an integer.");
        return number;
    }

    private static Dictionary<string, string>? OptionalMap(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Object) throw KvsServiceException.InvalidArgument($"{name} must be an object of strings.");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty property in value.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String) throw KvsServiceException.InvalidArgument($"{name}.{property.Name} must be a string.");
            map[property.Name] = property.Value.GetString()!;
        }
        return map;
    }

    private static List<string>? OptionalStringList(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Array) throw KvsServiceException.InvalidArgument($"{name} must be a list of strings.");
        var list = new List<string>();
        foreach (JsonElement item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw KvsServiceException.InvalidArgument($"{name} must be a list of strings.");
            list.Add(item.GetString()!);
        }
        return list;
    }

    /// <summary>AWS JSON timestamps are epoch seconds (a number, maybe fractional); ISO 8601 strings are accepted too.</summary>
    private static DateTimeOffset? OptionalTimestamp(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out decimal seconds) && seconds is >= 0 and < 253402300799m)
        {
            return DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
        }
        if (value.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset parsed))
        {
            return parsed;
        }
        throw KvsServiceException.InvalidArgument($"{name} must be a timestamp in epoch seconds.");
    }

    private static DateTimeOffset RequiredTimestamp(JsonElement body, string name) =>
        OptionalTimestamp(body, name) ?? throw KvsServiceException.InvalidArgument($"{name} is required.");

    private static string EncodeToken(string value) => KvsListPage.Encode(value);

    private static string? DecodeToken(string? token) =>
        KvsListPage.TryDecode(token, out var after) ? after : throw KvsServiceException.InvalidArgument("NextToken is not a token this service returned.");
}
