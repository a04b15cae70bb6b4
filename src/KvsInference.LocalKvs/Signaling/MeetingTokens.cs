using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KvsInference.LocalKvs.Signaling;

/// <summary>The role a connection takes on a signaling channel.</summary>
public enum SignalingRole
{
    /// <summary>The single master of the channel (no client id).</summary>
    Master,

    /// <summary>One of the viewers (identified by X-Amz-ClientId).</summary>
    Viewer,
}

/// <summary>
/// Meeting tokens: the alternative to SigV4 for browsers that have no AWS credentials. A token is
/// <c>base64url(json).base64url(HMAC-SHA256(key, json))</c> where json names the channel ARN, the role, the viewer's
/// client id (optional: any id when absent) and the expiry (Unix seconds). It is passed as the query parameter
/// <c>X-KvsInference-Token</c> on the WebSocket URL, or as <c>Authorization: Bearer</c> on API calls.
/// </summary>
public sealed class MeetingTokens
{
    private readonly byte[] _key;
    private readonly TimeProvider _time;

    /// <summary>Creates the issuer/validator for a key.</summary>
    /// <param name="key">The HMAC key (at least 16 bytes).</param>
    /// <param name="time">The clock expiry is judged by.</param>
    /// <exception cref="ArgumentException">The key is shorter than 16 bytes.</exception>
    public MeetingTokens(byte[] key, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < 16) throw new ArgumentException("The meeting token key must be at least 16 bytes.", nameof(key));
        _key = key;
        _time = time;
    }

    /// <summary>Issues a token for one channel and role.</summary>
    /// <param name="channelArn">The channel the token opens.</param>
    /// <param name="role">Master or viewer.</param>
    /// <param name="clientId">For a viewer, the only client id it may use; null allows any.</param>
    /// <param name="lifetime">How long the token is valid.</param>
    /// <returns>The token string (URL-safe).</returns>
    public string Issue(string channelArn, SignalingRole role, string? clientId, TimeSpan lifetime)
    {
        ArgumentException.ThrowIfNullOrEmpty(channelArn);
        var claims = new Claims(channelArn, role == SignalingRole.Master ? "MASTER" : "VIEWER", clientId,
            (_time.GetUtcNow() + lifetime).ToUnixTimeSeconds());
        var json = JsonSerializer.SerializeToUtf8Bytes(claims, ClaimsContext.Default.Claims);
        return Base64Url(json) + "." + Base64Url(HMACSHA256.HashData(_key, json));
    }

    /// <summary>Checks a token against the connection it is presented for.</summary>
    /// <returns>null when valid, otherwise why not.</returns>
    public string? Validate(string token, string channelArn, SignalingRole role, string? clientId) =>
        Validate(token, channelArn, role, clientId, out _);

    /// <summary>Checks a token against the connection it is presented for, and tells whether it names the client id.</summary>
    /// <param name="token">The token.</param>
    /// <param name="channelArn">The channel connected to.</param>
    /// <param name="role">The role asked for.</param>
    /// <param name="clientId">The viewer's client id (null for the master).</param>
    /// <param name="boundToClientId">True when the token was issued for exactly this client id (not for any).</param>
    /// <returns>null when valid, otherwise why not.</returns>
    public string? Validate(string token, string channelArn, SignalingRole role, string? clientId, out bool boundToClientId)
    {
        boundToClientId = false;
        var why = Read(token, channelArn, out var claims);
        if (why is not null) return why;
        if (claims!.Role != (role == SignalingRole.Master ? "MASTER" : "VIEWER")) return $"the meeting token does not allow the {role} role";
        if (claims.Cid is not null && claims.Cid != clientId) return "the meeting token is for another client id";
        boundToClientId = claims.Cid is not null;
        return null;
    }

    /// <summary>Checks that a token is genuine, unexpired and for this channel (any role): what the read-only API calls
    /// about the channel (describe, endpoint, ICE servers) and the meeting's records need.</summary>
    /// <returns>null when valid, otherwise why not.</returns>
    public string? ValidateForChannel(string token, string channelArn) => Read(token, channelArn, out _);

    private string? Read(string token, string channelArn, out Claims? claims)
    {
        claims = null;
        var dot = token.IndexOf('.');
        if (dot <= 0) return "the meeting token is malformed";
        byte[] json, mac;
        try
        {
            json = FromBase64Url(token[..dot]);
            mac = FromBase64Url(token[(dot + 1)..]);
        }
        catch (FormatException)
        {
            return "the meeting token is not base64url";
        }
        if (!CryptographicOperations.FixedTimeEquals(mac, HMACSHA256.HashData(_key, json)))
        {
            return "the meeting token's signature does not match";
        }
        try
        {
            claims = JsonSerializer.Deserialize(json, ClaimsContext.Default.Claims);
        }
        catch (JsonException)
        {
            return "the meeting token's claims are not valid JSON";
        }
        if (claims is null) return "the meeting token has no claims";
        if (claims.Exp < _time.GetUtcNow().ToUnixTimeSeconds()) return "the meeting token has expired";
        if (claims.Ch != channelArn) return "the meeting token is for another channel";
        return null;
    }

    private static string Base64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }

    internal sealed record Claims(
        [property: JsonPropertyName("ch")] string Ch,
        [property: JsonPropertyName("role")] string Role,
        [property: JsonPropertyName("cid")] string? Cid,
        [property: JsonPropertyName("exp")] long Exp);
}

[JsonSerializable(typeof(MeetingTokens.Claims))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class ClaimsContext : JsonSerializerContext;
