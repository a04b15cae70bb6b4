using Amazon.Runtime;

namespace KvsInference.Aws;

/// <summary>
/// Presigns URLs with SigV4 query parameters, as the KVS WebRTC SDKs' <c>SigV4RequestSigner</c> does for signaling
/// WebSocket URLs: method GET, the only signed header is <c>host</c>, the payload is empty, and the parameters
/// <c>X-Amz-Algorithm</c>, <c>X-Amz-Credential</c>, <c>X-Amz-Date</c>, <c>X-Amz-Expires</c>, <c>X-Amz-SignedHeaders</c>
/// (and <c>X-Amz-Security-Token</c> for temporary credentials, inside the signed request as KVS requires) are added
/// to the caller's before <c>X-Amz-Signature</c>.
/// </summary>
/// <remarks>
/// The URL carries no secret: the access key id is public and a session token is useless without its secret key.
/// It is valid from its signing time for <c>X-Amz-Expires</c> seconds (plus the server's clock-skew allowance), so hand
/// it to a browser only shortly before it connects.
/// </remarks>
public static class SigV4QueryPresigner
{
    /// <summary>The longest expiry SigV4 allows (7 days).</summary>
    public static readonly TimeSpan MaxExpiry = TimeSpan.FromDays(7);

    /// <summary>Presigns <paramref name="endpoint"/> with <paramref name="parameters"/>.</summary>
    /// <param name="endpoint">An absolute URL without query or fragment, e.g. <c>wss://v-1a2b3c4d.kinesisvideo.us-west-2.amazonaws.com</c>.</param>
    /// <param name="parameters">The request's own parameters (e.g. <c>X-Amz-ChannelARN</c>, <c>X-Amz-ClientId</c>), decoded.</param>
    /// <param name="credentials">The credentials to sign with.</param>
    /// <param name="region">The region of the credential scope.</param>
    /// <param name="service">The signing name, e.g. <c>kinesisvideo</c>.</param>
    /// <param name="signedAt">The signing time.</param>
    /// <param name="expires">How long the URL stays valid, 1 s to 7 days (whole seconds).</param>
    /// <returns>The presigned URL.</returns>
    /// <exception cref="ArgumentException">The endpoint is not absolute or has a query or fragment, a parameter is one the
    /// signer sets, or the region, service or credentials are empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="expires"/> is outside 1 s to 7 days.</exception>
    public static Uri Presign(Uri endpoint, IEnumerable<KeyValuePair<string, string>> parameters, ImmutableCredentials credentials,
        string region, string service, DateTimeOffset signedAt, TimeSpan expires)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        if (!endpoint.IsAbsoluteUri || endpoint.Query.Length > 0 || endpoint.Fragment.Length > 0)
        {
            throw new ArgumentException($"'{endpoint}' must be an absolute URL without query or fragment.", nameof(endpoint));
        }
        if (string.IsNullOrEmpty(credentials.AccessKey) || string.IsNullOrEmpty(credentials.SecretKey))
        {
            throw new ArgumentException("The credentials have no access key id or secret key.", nameof(credentials));
        }
        var seconds = (long)expires.TotalSeconds;
        if (seconds < 1 || expires > MaxExpiry)
        {
            throw new ArgumentOutOfRangeException(nameof(expires), expires, "A presigned URL is valid for 1 second to 7 days.");
        }

        var amzDate = AwsSigV4.FormatDate(signedAt);
        var query = new List<KeyValuePair<string, string>>();
        foreach (var p in parameters)
        {
            if (SignerParameters.Contains(p.Key))
            {
                throw new ArgumentException($"The parameter {p.Key} is set by the signer.", nameof(parameters));
            }
            query.Add(p);
        }
        query.Add(new("X-Amz-Algorithm", AwsSigV4.Algorithm));
        query.Add(new("X-Amz-Credential", credentials.AccessKey + "/" + AwsSigV4.Scope(amzDate[..8], region, service)));
        query.Add(new("X-Amz-Date", amzDate));
        query.Add(new("X-Amz-Expires", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        query.Add(new("X-Amz-SignedHeaders", "host"));
        if (credentials.UseToken) query.Add(new("X-Amz-Security-Token", credentials.Token));

        var canonicalQuery = AwsSigV4.CanonicalQuery(query);
        var path = endpoint.AbsolutePath;
        var canonicalRequest = AwsSigV4.CanonicalRequest("GET", AwsSigV4.CanonicalPath(path), canonicalQuery,
            "host:" + HostHeader(endpoint) + "\n", "host", AwsSigV4.EmptyPayloadHash);
        var signature = AwsSigV4.Signature(credentials.SecretKey, amzDate, region, service, canonicalRequest);
        var b = endpoint.GetLeftPart(UriPartial.Path);
        return new Uri(b + "?" + canonicalQuery + "&X-Amz-Signature=" + signature);
    }

    /// <summary>The Host header a client sends for <paramref name="endpoint"/>: the host, with the port unless it is the scheme's default.</summary>
    /// <param name="endpoint">The URL.</param>
    /// <returns>E.g. <c>127.0.0.1:8443</c> or <c>v-1.kinesisvideo.us-west-2.amazonaws.com</c>.</returns>
    public static string HostHeader(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var defaultPort = endpoint.Scheme switch
        {
            "https" or "wss" => 443,
            "http" or "ws" => 80,
            _ => -1,
        };
        return endpoint.Port == defaultPort || endpoint.Port < 0 ? endpoint.Host : endpoint.Host + ":" + endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static readonly HashSet<string> SignerParameters = new(StringComparer.OrdinalIgnoreCase)
    {
        "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature",
    };
}
