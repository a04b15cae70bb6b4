using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.Runtime.Internal.Auth;
using Amazon.Util;

namespace KvsInference.Aws;

/// <summary>
/// The pieces of AWS Signature Version 4 that a signer of query-signed URLs and a verifier of them must build the same way:
/// the canonical query string, the canonical path, the canonical request and the signature.
/// </summary>
/// <remarks>
/// Header-signed requests are signed by AWSSDK.Core (<see cref="AwsSigningHandler"/>); this class exists because the SDK
/// has no signer for WebSocket URLs, which KVS signaling needs, and because the local signaling server verifies what
/// browsers and SDKs send with exactly these rules. Percent-encoding is RFC 3986 (<c>A-Z a-z 0-9 - _ . ~</c> stay, all
/// else is <c>%XX</c> of the UTF-8 bytes); the key derivation and HMAC are AWSSDK.Core's.
/// </remarks>
public static class AwsSigV4
{
    /// <summary>The algorithm name in credentials scopes and the <c>X-Amz-Algorithm</c> parameter.</summary>
    public const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>The format of <c>X-Amz-Date</c>, e.g. <c>20150830T123600Z</c>.</summary>
    public const string DateTimeFormat = "yyyyMMdd'T'HHmmss'Z'";

    /// <summary>Gets the hex SHA-256 of an empty payload (what a GET, and so a WebSocket upgrade, signs).</summary>
    public static string EmptyPayloadHash { get; } = Convert.ToHexStringLower(SHA256.HashData([]));

    /// <summary>Builds the canonical query string: names and values percent-encoded, sorted by name then value, joined by <c>&amp;</c>.</summary>
    /// <param name="parameters">The decoded parameters (leave out <c>X-Amz-Signature</c> when verifying).</param>
    /// <returns>The canonical query string (empty for no parameters).</returns>
    public static string CanonicalQuery(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return string.Join('&', parameters
            .Select(p => (Key: Encode(p.Key), Value: Encode(p.Value)))
            .OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Key + "=" + p.Value));
    }

    /// <summary>Builds the canonical path: each segment decoded once, then percent-encoded; an empty path is <c>/</c>.</summary>
    /// <param name="path">The path as it appears in the URL.</param>
    /// <returns>The canonical path.</returns>
    public static string CanonicalPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path.Length == 0 ? "/" : string.Join('/', path.Split('/').Select(s => Encode(Uri.UnescapeDataString(s))));
    }

    /// <summary>Percent-encodes a string the SigV4 way (RFC 3986 unreserved characters stay).</summary>
    /// <param name="value">The decoded value.</param>
    /// <returns>The encoded value.</returns>
    public static string Encode(string value) => AWSSDKUtils.UrlEncode(value ?? "", false);

    /// <summary>Joins the canonical request: method, path, query, headers (each <c>name:value\n</c>), signed header names, payload hash.</summary>
    /// <param name="method">The HTTP method, e.g. <c>GET</c>.</param>
    /// <param name="canonicalPath">From <see cref="CanonicalPath"/>.</param>
    /// <param name="canonicalQuery">From <see cref="CanonicalQuery"/>.</param>
    /// <param name="canonicalHeaders">Lower-case <c>name:trimmed value</c> lines, each ending in <c>\n</c>, sorted by name.</param>
    /// <param name="signedHeaders">The header names joined by <c>;</c>.</param>
    /// <param name="payloadHash">The hex SHA-256 of the body (or <c>UNSIGNED-PAYLOAD</c>).</param>
    /// <returns>The canonical request.</returns>
    public static string CanonicalRequest(string method, string canonicalPath, string canonicalQuery, string canonicalHeaders,
        string signedHeaders, string payloadHash) =>
        string.Join('\n', method, canonicalPath, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash);

    /// <summary>Computes the signature of a canonical request.</summary>
    /// <param name="secretAccessKey">The secret key.</param>
    /// <param name="amzDate">The signing time as <see cref="DateTimeFormat"/>.</param>
    /// <param name="region">The region of the credential scope.</param>
    /// <param name="service">The signing name of the service, e.g. <c>kinesisvideo</c>.</param>
    /// <param name="canonicalRequest">From <see cref="CanonicalRequest"/>.</param>
    /// <returns>The lower-case hex signature.</returns>
    /// <exception cref="ArgumentException"><paramref name="amzDate"/> is not <see cref="DateTimeFormat"/>.</exception>
    public static string Signature(string secretAccessKey, string amzDate, string region, string service, string canonicalRequest)
    {
        ArgumentException.ThrowIfNullOrEmpty(secretAccessKey);
        if (!TryParseDate(amzDate, out _)) throw new ArgumentException($"'{amzDate}' is not a SigV4 date ({DateTimeFormat}).", nameof(amzDate));
        var date = amzDate[..8];
        var stringToSign = string.Join('\n', Algorithm, amzDate, Scope(date, region, service),
            AWSSDKUtils.ToHex(AWS4Signer.ComputeHash(canonicalRequest), true));
        var key = AWS4Signer.ComposeSigningKey(secretAccessKey, region, date, service);
        return AWSSDKUtils.ToHex(AWS4Signer.ComputeKeyedHash(SigningAlgorithm.HmacSHA256, key, stringToSign), true);
    }

    /// <summary>The credential scope <c>yyyyMMdd/region/service/aws4_request</c>.</summary>
    /// <param name="date">The date part, <c>yyyyMMdd</c>.</param>
    /// <param name="region">The region.</param>
    /// <param name="service">The signing name.</param>
    /// <returns>The scope.</returns>
    public static string Scope(string date, string region, string service) => $"{date}/{region}/{service}/aws4_request";

    /// <summary>Formats a time as <see cref="DateTimeFormat"/> (UTC).</summary>
    /// <param name="time">The time.</param>
    /// <returns>E.g. <c>20150830T123600Z</c>.</returns>
    public static string FormatDate(DateTimeOffset time) => time.UtcDateTime.ToString(DateTimeFormat, CultureInfo.InvariantCulture);

    /// <summary>Parses <see cref="DateTimeFormat"/>.</summary>
    /// <param name="amzDate">The text.</param>
    /// <param name="time">The UTC time when it parses.</param>
    /// <returns>Whether it parsed.</returns>
    public static bool TryParseDate(string? amzDate, out DateTime time) =>
        DateTime.TryParseExact(amzDate, DateTimeFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out time);

    /// <summary>Compares two hex signatures in constant time.</summary>
    /// <param name="expected">The computed signature.</param>
    /// <param name="presented">The one that arrived.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool SignaturesEqual(string expected, string presented) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(presented ?? ""));
}
