using System.Security.Cryptography;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;

namespace KvsInference.Aws;

/// <summary>
/// Signs each request with SigV4 through AWSSDK.Core's <see cref="AWSSigV4Signer"/>, resolving credentials on every send.
/// </summary>
/// <remarks>
/// The body hash is computed here rather than by the SDK so that the body is read once and stays re-readable:
/// byte content is hashed; content marked with <see cref="UnsignedPayloadOption"/> (streaming uploads such as PutMedia,
/// whose body cannot be read ahead) is signed as <c>UNSIGNED-PAYLOAD</c>. Every request header is signed except the
/// hop-by-hop ones the transport may rewrite.
/// </remarks>
internal sealed class AwsSigningHandler : DelegatingHandler
{
    /// <summary>Request option that marks a streaming body to be signed as UNSIGNED-PAYLOAD.</summary>
    public static readonly HttpRequestOptionsKey<bool> UnsignedPayloadOption = new("KvsInference.Aws.UnsignedPayload");

    internal const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private static readonly HashSet<string> Unsigned = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "User-Agent", "Expect", "Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Upgrade",
        "Proxy-Authorization", "X-Amzn-Trace-Id", "Host",
    };

    private readonly Func<CancellationToken, Task<AWSCredentials>> _credentials;
    private readonly RegionEndpoint _region;
    private readonly string _service;
    private readonly TimeProvider _timeProvider;

    public AwsSigningHandler(Func<CancellationToken, Task<AWSCredentials>> credentials, string region, string service, TimeProvider timeProvider, HttpMessageHandler inner)
        : base(inner)
    {
        _credentials = credentials;
        _region = RegionEndpoint.GetBySystemName(region);
        _service = service;
        _timeProvider = timeProvider;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var credentials = await _credentials(cancellationToken).ConfigureAwait(false);
        await SignAsync(request, credentials, _region, _service, _timeProvider.GetUtcNow().UtcDateTime, cancellationToken).ConfigureAwait(false);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Signs <paramref name="request"/> in place: adds Authorization, X-Amz-Date, X-Amz-Content-SHA256 (and the session token).</summary>
    internal static async Task SignAsync(HttpRequestMessage request, AWSCredentials credentials, RegionEndpoint region, string service,
        DateTime signedAtUtc, CancellationToken cancellationToken)
    {
        var signing = new AWSSigningRequest { HttpMethod = request.Method, RequestUri = request.RequestUri };
        foreach (var header in request.Headers)
        {
            if (Unsigned.Contains(header.Key) || header.Key.Equals("X-Amz-Date", StringComparison.OrdinalIgnoreCase)) continue;
            signing.Headers[header.Key] = string.Join(",", header.Value.Select(v => v.Trim()));
        }
        string payloadHash;
        if (request.Content is null)
        {
            payloadHash = EmptySha256;
        }
        else
        {
            if (request.Content.Headers.ContentType is { } contentType) signing.Headers["Content-Type"] = contentType.ToString();
            if (request.Options.TryGetValue(UnsignedPayloadOption, out var unsigned) && unsigned)
            {
                payloadHash = "UNSIGNED-PAYLOAD";
            }
            else
            {
                var bytes = await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                payloadHash = Convert.ToHexStringLower(SHA256.HashData(bytes));
            }
        }
        signing.Headers["x-amz-content-sha256"] = payloadHash;
        var parameters = new AWSSigV4Parameters
        {
            Credentials = credentials,
            Region = region,
            Service = service,
            SignedAt = signedAtUtc,
        };
        var result = await AWSSigV4Signer.SignAsync(signing, parameters, cancellationToken).ConfigureAwait(false);
        foreach (var (name, value) in result.Headers)
        {
            request.Headers.Remove(name);
            request.Headers.TryAddWithoutValidation(name, value);
        }
    }
}
