using System.Text.Json;
using Amazon.Runtime;
using KvsInference.Aws;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Aws;

public sealed class SigV4QueryPresignerTests
{
    private const string ChannelArn = "arn:aws:kinesisvideo:us-west-2:123456789012:channel/meeting-1/1700000000000";
    private static readonly DateTimeOffset SignedAt = new(2024, 5, 17, 9, 30, 15, TimeSpan.Zero);

    private static Dictionary<string, string> Query(Uri url) =>
        url.Query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p[1]));

    [Fact]
    public void Presign_SessionCredentials_SignatureMatchesReferenceWithTokenInsideTheSignedRequest()
    {
        var credentials = new ImmutableCredentials(SigV4Reference.AccessKey, SigV4Reference.SecretKey, "FwoGZXIvYXdzE/token+=");

        var url = SigV4QueryPresigner.Presign(new Uri("wss://v-1a2b3c4d.kinesisvideo.us-west-2.amazonaws.com"),
            [new("X-Amz-ChannelARN", ChannelArn), new("X-Amz-ClientId", "kvsi-viewer-1")], credentials, "us-west-2", "kinesisvideo", SignedAt, TimeSpan.FromSeconds(299));

        var query = Query(url);
        Assert.Equal("AWS4-HMAC-SHA256", query["X-Amz-Algorithm"]);
        Assert.Equal($"{SigV4Reference.AccessKey}/20240517/us-west-2/kinesisvideo/aws4_request", query["X-Amz-Credential"]);
        Assert.Equal("20240517T093015Z", query["X-Amz-Date"]);
        Assert.Equal("299", query["X-Amz-Expires"]);
        Assert.Equal("host", query["X-Amz-SignedHeaders"]);
        Assert.Equal("FwoGZXIvYXdzE/token+=", query["X-Amz-Security-Token"]);
        // Recompute from the URL without its signature: GET, host the only header, empty payload.
        var unsigned = new Uri(url.GetLeftPart(UriPartial.Path) + "?" + string.Join('&', url.Query.TrimStart('?').Split('&').Where(p => !p.StartsWith("X-Amz-Signature=", StringComparison.Ordinal))));
        var reference = SigV4Reference.Sign("GET", unsigned, [new("host", "v-1a2b3c4d.kinesisvideo.us-west-2.amazonaws.com")], ["host"],
            SigV4Reference.Sha256Hex(""), "20240517T093015Z", "us-west-2", "kinesisvideo");
        Assert.Equal(reference.Signature, query["X-Amz-Signature"]);
        Assert.DoesNotContain(SigV4Reference.SecretKey, Uri.UnescapeDataString(url.ToString()));
    }

    [Fact]
    public void Presign_PortAndPath_SignsHostWithPortAndTheCanonicalPath()
    {
        var credentials = new ImmutableCredentials(SigV4Reference.AccessKey, SigV4Reference.SecretKey, null);

        var url = SigV4QueryPresigner.Presign(new Uri("ws://127.0.0.1:8088/kvs"), [new("X-Amz-ChannelARN", ChannelArn)], credentials, "us-west-2", "kinesisvideo", SignedAt, TimeSpan.FromMinutes(5));

        Assert.StartsWith("ws://127.0.0.1:8088/kvs?", url.ToString());
        var query = Query(url);
        Assert.False(query.ContainsKey("X-Amz-Security-Token"));
        var unsigned = new Uri(url.GetLeftPart(UriPartial.Path) + "?" + string.Join('&', url.Query.TrimStart('?').Split('&').Where(p => !p.StartsWith("X-Amz-Signature=", StringComparison.Ordinal))));
        var reference = SigV4Reference.Sign("GET", unsigned, [new("host", "127.0.0.1:8088")], ["host"], SigV4Reference.Sha256Hex(""), "20240517T093015Z", "us-west-2", "kinesisvideo");
        Assert.Equal(reference.Signature, query["X-Amz-Signature"]);
    }

    [Fact]
    public void Presign_BadArguments_ThrowNamingTheProblem()
    {
        var credentials = new ImmutableCredentials("AKID", "secret", null);
        var wss = new Uri("wss://v-1.kinesisvideo.us-west-2.amazonaws.com");

        Assert.Throws<ArgumentOutOfRangeException>(() => SigV4QueryPresigner.Presign(wss, [], credentials, "us-west-2", "kinesisvideo", SignedAt, TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => SigV4QueryPresigner.Presign(wss, [], credentials, "us-west-2", "kinesisvideo", SignedAt, TimeSpan.FromDays(8)));
        var query = Assert.Throws<ArgumentException>(() => SigV4QueryPresigner.Presign(new Uri("wss://h/?a=b"), [], credentials, "us-west-2", "kinesisvideo", SignedAt, TimeSpan.FromMinutes(1)));
        var reserved = Assert.Throws<ArgumentException>(() => SigV4QueryPresigner.Presign(wss, [new("X-Amz-Date", "x")], credentials, "us-west-2", "kinesisvideo", SignedAt, TimeSpan.FromMinutes(1)));

        Assert.Contains("without query", query.Message);
        Assert.Contains("X-Amz-Date is set by the signer", reserved.Message);
    }

    /// <summary>
    /// The same URL the official KVS WebRTC JS SDK (tools/node-tests) signs for the same inputs: what KVS accepts from the
    /// SDK, it accepts from us (the SDK orders X-Amz-Signature among the others; the parameters and signature must agree).
    /// </summary>
    [Fact]
    public void Presign_SameInputsAsOfficialJsSdk_SameParametersAndSignature()
    {
        var toolDir = Path.Combine(TestPaths.RepoRoot, "tools", "node-tests");
        Assert.True(Directory.Exists(Path.Combine(toolDir, "node_modules", "amazon-kinesis-video-streams-webrtc")),
            $"run `npm ci` in {toolDir} (scripts/setup does it)");
        var endpoint = "wss://v-1a2b3c4d.kinesisvideo.us-west-2.amazonaws.com";
        var input = JsonSerializer.Serialize(new { module = Path.Combine(toolDir, "node_modules", "amazon-kinesis-video-streams-webrtc"), endpoint, channelArn = ChannelArn, clientId = "kvsi-viewer-1", date = SignedAt.ToString("O"), accessKeyId = "AKIDEXAMPLE", secretAccessKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken = "tok/en+=" });
        const string script = """
            const a = JSON.parse(process.argv[1]);
            const { SigV4RequestSigner } = require(a.module);
            new SigV4RequestSigner('us-west-2', { accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey, sessionToken: a.sessionToken })
              .getSignedURL(a.endpoint, { 'X-Amz-ChannelARN': a.channelArn, 'X-Amz-ClientId': a.clientId }, new Date(a.date))
              .then(url => console.log(url), e => { console.error(e); process.exit(1); });
            """;
        var sdkUrl = new Uri(ProcessRunner.Run("node", ["-e", script, input], TimeSpan.FromSeconds(60)).Trim());

        var ours = SigV4QueryPresigner.Presign(new Uri(endpoint), [new("X-Amz-ChannelARN", ChannelArn), new("X-Amz-ClientId", "kvsi-viewer-1")],
            new ImmutableCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok/en+="), "us-west-2", "kinesisvideo", SignedAt, TimeSpan.FromSeconds(299));

        Assert.Equal(sdkUrl.GetLeftPart(UriPartial.Path), ours.GetLeftPart(UriPartial.Path));
        Assert.Equal(Query(sdkUrl).OrderBy(p => p.Key), Query(ours).OrderBy(p => p.Key));
    }
}
