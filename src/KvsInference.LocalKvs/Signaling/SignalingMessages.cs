using System.Text.Json;

namespace KvsInference.LocalKvs.Signaling;

/// <summary>A message a client sent: {"action","messagePayload","recipientClientId","correlationId"}.</summary>
internal sealed record ClientMessage(string Action, string Payload, string? RecipientClientId, string? CorrelationId);

/// <summary>Parsing client messages and writing server events in the KVS signaling wire format.</summary>
internal static class SignalingMessages
{
    public const string SdpOffer = "SDP_OFFER";
    public const string SdpAnswer = "SDP_ANSWER";
    public const string IceCandidate = "ICE_CANDIDATE";
    public const string GoAway = "GO_AWAY";
    public const string StatusResponse = "STATUS_RESPONSE";

    /// <summary>Parses one client message; on failure returns the reason and whatever correlationId could be read.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out ClientMessage? message, out string? correlationId, out string? error)
    {
        message = null;
        correlationId = null;
        try
        {
            using var doc = JsonDocument.Parse(utf8.ToArray());
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "the message is not a JSON object";
                return false;
            }
            correlationId = GetString(root, "correlationId");
            var action = GetString(root, "action");
            var payload = GetString(root, "messagePayload");
            if (action is not (SdpOffer or SdpAnswer or IceCandidate))
            {
                error = $"action must be SDP_OFFER, SDP_ANSWER or ICE_CANDIDATE, not '{action}'";
                return false;
            }
            if (string.IsNullOrEmpty(payload))
            {
                error = "messagePayload is missing or empty";
                return false;
            }
            message = new ClientMessage(action, payload, GetString(root, "recipientClientId"), correlationId);
            error = null;
            return true;
        }
        catch (JsonException e)
        {
            error = "the message is not valid JSON: " + e.Message;
            return false;
        }
    }

    /// <summary>An event delivered to a recipient; senderClientId is omitted for messages from the master (as KVS does).</summary>
    public static byte[] Event(string messageType, string payload, string? senderClientId)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(payload.Length + 128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("messageType", messageType);
            w.WriteString("messagePayload", payload);
            if (senderClientId is not null) w.WriteString("senderClientId", senderClientId);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>GO_AWAY: the server is about to close this connection; the client should reconnect.</summary>
    public static byte[] GoAwayEvent() => "{\"messageType\":\"GO_AWAY\"}"u8.ToArray();

    /// <summary>A failed statusResponse for a rejected message that carried a correlationId.</summary>
    public static byte[] Status(string correlationId, SignalingError error)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("messageType", StatusResponse);
            w.WriteStartObject("statusResponse");
            w.WriteString("correlationId", correlationId);
            w.WriteBoolean("success", false);
            w.WriteString("errorType", error.ErrorType);
            w.WriteString("statusCode", error.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("description", error.Description);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static string? GetString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
}

/// <summary>Why a message was refused, in the AWS error vocabulary a statusResponse carries.</summary>
internal sealed record SignalingError(string ErrorType, int StatusCode, string Description)
{
    public static SignalingError InvalidArgument(string description) => new("InvalidArgumentException", 400, description);

    public static SignalingError Throttled(string description) => new("ClientLimitExceededException", 400, description);

    public static SignalingError NotConnected(string description) => new("ResourceNotFoundException", 404, description);
}
