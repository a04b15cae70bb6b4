using Amazon.Runtime;
using KvsInference.Aws;
using KvsInference.Aws.KinesisVideo;

namespace KvsInference.Tests.Aws;

public sealed class AwsServiceClientTests
{
    private static readonly AwsClientOptions Options = new KinesisVideoClientOptions
    {
        Region = "us-west-2",
        Credentials = new BasicAWSCredentials("AKIDEXAMPLE", "secret"),
    };

    public static TheoryData<string> PerEndpointClients => ["media", "archived", "signaling", "storage"];

    private static AwsServiceClient Create(string client, Uri endpoint) => client switch
    {
        "media" => new AmazonKinesisVideoMediaClient(Options, endpoint),
        "archived" => new AmazonKinesisVideoArchivedMediaClient(Options, endpoint),
        "signaling" => new AmazonKinesisVideoSignalingChannelsClient(Options, endpoint),
        _ => new AmazonKinesisVideoWebRTCStorageClient(Options, endpoint),
    };

    [Theory]
    [MemberData(nameof(PerEndpointClients))]
    public void Constructor_EndpointNotHttp_ThrowsNamingIt(string client)
    {
        var e = Assert.Throws<ArgumentException>(() => Create(client, new Uri("ftp://example.com/")));
        Assert.Contains("ftp://example.com/", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KinesisVideoClient_ChannelEndpointNotHttp_ThrowsNamingIt()
    {
        using var router = new KinesisVideoClient((KinesisVideoClientOptions)Options);
        var ftp = new Uri("ftp://example.com/");
        Assert.Equal("httpsEndpoint", Assert.Throws<ArgumentException>(() => router.SignalingChannelsClient(ftp)).ParamName);
        Assert.Equal("webRtcEndpoint", Assert.Throws<ArgumentException>(() => router.WebRtcStorageClient(ftp)).ParamName);
    }

    [Theory]
    [MemberData(nameof(PerEndpointClients))]
    public void Endpoint_HttpsEndpoint_IsTheOneCalled(string client)
    {
        using var c = Create(client, new Uri("https://b-1234abcd.kinesisvideo.us-west-2.amazonaws.com"));
        Assert.Equal("b-1234abcd.kinesisvideo.us-west-2.amazonaws.com", c.Endpoint.Host);
    }
}
