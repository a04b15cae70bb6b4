using Amazon.Runtime;
using KvsInference.Aws;
using KvsInference.LocalKvs.Signaling;
using Microsoft.Extensions.Time.Testing;

namespace KvsInference.Tests.Signaling;

/// <summary>What Core's presigner signs, the signaling server's verifier accepts; anything altered or late it refuses.</summary>
public sealed class SigV4PresignRoundTripTests
{
    private const string ChannelArn = "arn:aws:kinesisvideo:us-west-2:123456789012:channel/meeting-1/1700000000000";
    private static readonly DateTimeOffset Now = new(2024, 5, 17, 9, 30, 15, TimeSpan.Zero);

    private static (SigV4Verifier Verifier, FakeTimeProvider Time) Verifier()
    {
        var options = new SignalingOptions { Region = "us-west-2" };
        options.Credentials["AKIDROUNDTRIP"] = "round-trip-secret";
        var time = new FakeTimeProvider(Now);
        return (new SigV4Verifier(options, time), time);
    }

    private static Uri Presign(string secret = "round-trip-secret", string? clientId = "kvsi-viewer-1", string? token = null)
    {
        var parameters = new List<KeyValuePair<string, string>> { new("X-Amz-ChannelARN", ChannelArn) };
        if (clientId is not null) parameters.Add(new("X-Amz-ClientId", clientId));
        return SigV4QueryPresigner.Presign(new Uri("wss://127.0.0.1:8443/kvs"), parameters, new ImmutableCredentials("AKIDROUNDTRIP", secret, token),
            "us-west-2", "kinesisvideo", Now, TimeSpan.FromSeconds(299));
    }

    private static string? Verify(SigV4Verifier verifier, Uri url, string host = "127.0.0.1:8443") =>
        verifier.VerifyQuery("GET", url.AbsolutePath, SigV4Verifier.ParseQuery(url.Query), name => name.Equals("host", StringComparison.OrdinalIgnoreCase) ? host : null);

    [Fact]
    public void VerifyQuery_PresignedViewerMasterAndSessionUrls_Accepted()
    {
        var (verifier, _) = Verifier();

        Assert.Null(Verify(verifier, Presign()));
        Assert.Null(Verify(verifier, Presign(clientId: null)));
        Assert.Null(Verify(verifier, Presign(token: "session/token+=")));
    }

    [Fact]
    public void VerifyQuery_TamperedUrl_Refused()
    {
        var (verifier, _) = Verifier();
        var url = Presign().ToString();

        var otherChannel = new Uri(url.Replace("meeting-1", "meeting-2", StringComparison.Ordinal));
        var otherClient = new Uri(url.Replace("kvsi-viewer-1", "kvsi-viewer-2", StringComparison.Ordinal));
        var longer = new Uri(url.Replace("X-Amz-Expires=299", "X-Amz-Expires=3000", StringComparison.Ordinal));

        Assert.Contains("does not match", Verify(verifier, otherChannel));
        Assert.Contains("does not match", Verify(verifier, otherClient));
        Assert.Contains("does not match", Verify(verifier, longer));
        Assert.Contains("does not match", Verify(verifier, Presign(), host: "127.0.0.1:9999"));
        Assert.Contains("does not match", Verify(verifier, Presign(secret: "another-secret")));
    }

    [Fact]
    public void VerifyQuery_AfterExpiryAndSkew_Refused()
    {
        var (verifier, time) = Verifier();
        var url = Presign();

        time.Advance(TimeSpan.FromSeconds(299) + TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        Assert.Null(Verify(verifier, url));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Contains("expired", Verify(verifier, url));
    }
}
