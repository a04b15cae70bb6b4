using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace KvsInference.Peer.MediaStore;

// The wire helpers of the KVS operations: request JSON and headers in, stream infos, errors and tokens out.
public static partial class MediaStoreEndpoints
{
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

    private static string EncodeToken(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value));

    private static string? DecodeToken(string? token)
    {
        if (token is null) return null;
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(token));
        }
        catch (FormatException)
        {
            throw KvsServiceException.InvalidArgument("NextToken is not a token this service returned.");
        }
    }
}
