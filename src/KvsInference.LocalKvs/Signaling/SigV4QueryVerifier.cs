using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using KvsInference.Aws;

namespace KvsInference.LocalKvs.Signaling;

/// <summary>
/// Verifies AWS Signature Version 4 on incoming requests for the configured local credentials: query-signed
/// WebSocket URLs (what the KVS WebRTC SDKs produce) and Authorization-header signed API calls (what the AWS SDKs send).
/// The canonical request is rebuilt from what arrived with <see cref="AwsSigV4"/>, the rules KvsInference.Core's
/// <see cref="SigV4QueryPresigner"/> signs with, so signing and verifying cannot drift apart.
/// </summary>
internal sealed class SigV4Verifier
{
    private const string Algorithm = AwsSigV4.Algorithm;

    private readonly SignalingOptions _options;
    private readonly TimeProvider _time;

    public SigV4Verifier(SignalingOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
    }

    /// <summary>Checks a query-signed URL (X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders, -Signature).</summary>
    /// <returns>null when valid, otherwise why not.</returns>
    public string? VerifyQuery(string method, string path, IReadOnlyList<KeyValuePair<string, string>> query, Func<string, string?> header)
    {
        string? Get(string name) => query.FirstOrDefault(p => p.Key == name).Value;
        if (Get("X-Amz-Algorithm") != Algorithm) return "X-Amz-Algorithm must be AWS4-HMAC-SHA256";
        var credential = Get("X-Amz-Credential");
        var date = Get("X-Amz-Date");
        var signedHeaders = Get("X-Amz-SignedHeaders");
        var signature = Get("X-Amz-Signature");
        if (credential is null || date is null || signedHeaders is null || signature is null)
        {
            return "the signed URL lacks X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders or X-Amz-Signature";
        }
        if (!int.TryParse(Get("X-Amz-Expires") ?? "300", NumberStyles.None, CultureInfo.InvariantCulture, out var expiresSeconds) || expiresSeconds > 604800)
        {
            return "X-Amz-Expires is not a number of seconds up to 604800";
        }
        var canonicalQuery = AwsSigV4.CanonicalQuery(query.Where(p => p.Key != "X-Amz-Signature"));
        return Verify(method, path, canonicalQuery, header, credential, date, signedHeaders, signature, AwsSigV4.EmptyPayloadHash, TimeSpan.FromSeconds(expiresSeconds));
    }

    /// <summary>Checks an Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=... header.</summary>
    /// <returns>null when valid, otherwise why not.</returns>
    public string? VerifyHeader(string method, string path, string queryString, Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        var authorization = header("Authorization");
        if (authorization is null || !authorization.StartsWith(Algorithm + " ", StringComparison.Ordinal))
        {
            return "the request has no AWS4-HMAC-SHA256 Authorization header";
        }
        string? credential = null, signedHeaders = null, signature = null;
        foreach (var part in authorization[(Algorithm.Length + 1)..].Split(',', StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) continue;
            var value = part[(eq + 1)..];
            switch (part[..eq])
            {
                case "Credential": credential = value; break;
                case "SignedHeaders": signedHeaders = value; break;
                case "Signature": signature = value; break;
            }
        }
        var date = header("X-Amz-Date");
        if (credential is null || signedHeaders is null || signature is null || date is null)
        {
            return "the Authorization header lacks Credential, SignedHeaders or Signature, or X-Amz-Date is missing";
        }
        var canonicalQuery = AwsSigV4.CanonicalQuery(ParseQuery(queryString));
        var payloadHash = Convert.ToHexStringLower(SHA256.HashData(body));
        var declared = header("X-Amz-Content-SHA256");
        if (declared is not null && declared != payloadHash && declared != "UNSIGNED-PAYLOAD")
        {
            return "X-Amz-Content-SHA256 does not match the body";
        }
        return Verify(method, path, canonicalQuery, header, credential, date, signedHeaders, signature, declared ?? payloadHash, TimeSpan.Zero);
    }

    private string? Verify(string method, string path, string canonicalQuery, Func<string, string?> header, string credential,
        string date, string signedHeaders, string signature, string payloadHash, TimeSpan expires)
    {
        // Credential = <access key id>/<yyyyMMdd>/<region>/<service>/aws4_request
        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request")
        {
            return "the credential scope is malformed";
        }
        if (!_options.Credentials.TryGetValue(scope[0], out var secret))
        {
            return $"access key id '{scope[0]}' is not known to this server";
        }
        if (scope[2] != _options.Region || scope[3] != SignalingConstants.SigningService)
        {
            return $"the signature is scoped to {scope[2]}/{scope[3]}, expected {_options.Region}/{SignalingConstants.SigningService}";
        }
        if (!AwsSigV4.TryParseDate(date, out var signedAt) || scope[1] != date[..8])
        {
            return "X-Amz-Date is malformed or does not match the credential scope";
        }
        var now = _time.GetUtcNow().UtcDateTime;
        if (signedAt > now + _options.AllowedClockSkew || signedAt + expires + _options.AllowedClockSkew < now)
        {
            return $"the signature dated {date} has expired or is from the future (server time {now:yyyyMMdd'T'HHmmss'Z'})";
        }

        var canonicalHeaders = new StringBuilder();
        foreach (var name in signedHeaders.Split(';'))
        {
            var value = header(name);
            if (value is null) return $"signed header '{name}' is missing";
            canonicalHeaders.Append(name).Append(':').Append(string.Join(' ', value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))).Append('\n');
        }
        var canonicalRequest = AwsSigV4.CanonicalRequest(method, AwsSigV4.CanonicalPath(path), canonicalQuery, canonicalHeaders.ToString(), signedHeaders, payloadHash);
        var expected = AwsSigV4.Signature(secret, date, scope[2], scope[3], canonicalRequest);
        return AwsSigV4.SignaturesEqual(expected, signature)
            ? null
            : "the signature does not match (wrong secret, or the URL was altered)";
    }

    internal static List<KeyValuePair<string, string>> ParseQuery(string queryString)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (var pair in queryString.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            var value = eq < 0 ? "" : pair[(eq + 1)..];
            result.Add(new(Uri.UnescapeDataString(key.Replace('+', ' ')), Uri.UnescapeDataString(value.Replace('+', ' '))));
        }
        return result;
    }
}
