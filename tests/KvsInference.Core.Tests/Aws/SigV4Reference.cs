using System.Security.Cryptography;
using System.Text;

namespace KvsInference.Tests.Aws;

/// <summary>
/// A from-the-spec SigV4 computation used only to check signatures: it is first proven against the published SigV4 test
/// suite (canonical request, string to sign, Authorization byte for byte), then used to verify what the production signer
/// (AWSSDK.Core) put on real requests.
/// </summary>
internal static class SigV4Reference
{
    public const string AccessKey = "AKIDEXAMPLE";
    public const string SecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    public sealed record Result(string CanonicalRequest, string StringToSign, string Signature, string Authorization);

    /// <param name="headers">Headers in wire order (repeats allowed); only those named in <paramref name="signedHeaders"/> are used, host included.</param>
    public static Result Sign(string method, Uri uri, IReadOnlyList<KeyValuePair<string, string>> headers, IReadOnlyList<string> signedHeaders,
        string payloadHash, string amzDate, string region, string service, string accessKey = AccessKey, string secretKey = SecretKey)
    {
        var canonicalHeaders = new StringBuilder();
        foreach (var name in signedHeaders)
        {
            var values = headers.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => Collapse(h.Value));
            canonicalHeaders.Append(name).Append(':').Append(string.Join(",", values)).Append('\n');
        }
        var creq = string.Join("\n",
            method,
            CanonicalPath(uri.AbsolutePath),
            CanonicalQuery(uri.Query),
            canonicalHeaders.ToString(),
            string.Join(";", signedHeaders),
            payloadHash);
        var date = amzDate[..8];
        var scope = $"{date}/{region}/{service}/aws4_request";
        var sts = string.Join("\n", "AWS4-HMAC-SHA256", amzDate, scope, Hex(SHA256.HashData(Encoding.UTF8.GetBytes(creq))));
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretKey), date);
        key = Hmac(key, region);
        key = Hmac(key, service);
        key = Hmac(key, "aws4_request");
        var signature = Hex(Hmac(key, sts));
        var authz = $"AWS4-HMAC-SHA256 Credential={accessKey}/{scope}, SignedHeaders={string.Join(";", signedHeaders)}, Signature={signature}";
        return new Result(creq, sts, signature, authz);
    }

    public static string Sha256Hex(string s) => Hex(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    private static string Collapse(string value) => string.Join(' ', value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private static string CanonicalPath(string path) =>
        path.Length == 0 ? "/" : string.Join("/", path.Split('/').Select(s => Encode(Uri.UnescapeDataString(s))));

    private static string CanonicalQuery(string query)
    {
        if (query.Length <= 1) return "";
        return string.Join("&", query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p =>
            {
                var eq = p.IndexOf('=', StringComparison.Ordinal);
                var k = eq < 0 ? p : p[..eq];
                var v = eq < 0 ? "" : p[(eq + 1)..];
                return (K: Encode(Uri.UnescapeDataString(k)), V: Encode(Uri.UnescapeDataString(v.Replace('+', ' '))));
            })
            .OrderBy(p => p.K, StringComparer.Ordinal).ThenBy(p => p.V, StringComparer.Ordinal)
            .Select(p => p.K + "=" + p.V));
    }

    private static string Encode(string s)
    {
        var sb = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(s))
        {
            if (b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~')
                sb.Append((char)b);
            else
                sb.Append('%').Append(b.ToString("X2"));
        }
        return sb.ToString();
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
