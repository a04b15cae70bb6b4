using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using KvsInference.Aws;
using KvsInference.Aws.Generated.KinesisVideo;
using KvsInference.Aws.Generated.KinesisVideoSignalingChannels;
using KvsInference.Aws.Generated.KinesisVideoWebRTCStorage;
using KvsInference.Aws.KinesisVideo;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Aws.KinesisVideo;

/// <summary>
/// The KVS signaling control plane, media storage and JoinStorageSession calls against a loopback stand-in of KVS (AWS
/// itself cannot be reached here): the stand-in checks paths and JSON bodies and recomputes every SigV4 signature with
/// the test suite's reference signer.
/// </summary>
public sealed class KinesisVideoClientSignalingTests
{
    private const string ChannelArn = "arn:aws:kinesisvideo:us-west-2:123456789012:channel/meeting-1/1700000000000";
    private const string StreamArn = "arn:aws:kinesisvideo:us-west-2:123456789012:stream/meeting-1/1700000000001";

    private sealed record Seen(string Path, JsonObject Json, bool SignatureValid);

    private static KinesisVideoClient Client(Uri url, AWSCredentials? credentials = null) => new(new KinesisVideoClientOptions
    {
        Region = "us-west-2",
        ServiceUrl = url,
        Credentials = credentials ?? new BasicAWSCredentials(SigV4Reference.AccessKey, SigV4Reference.SecretKey),
        Resilience = new AwsResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) },
    });

    /// <summary>Reads the body and recomputes the request's signature from what arrived.</summary>
    private static async Task<Seen> ReadAsync(HttpListenerContext c)
    {
        using var reader = new StreamReader(c.Request.InputStream);
        var body = await reader.ReadToEndAsync();
        var authorization = c.Request.Headers["Authorization"] ?? "";
        var signedHeaders = authorization.Contains("SignedHeaders=") ? authorization.Split("SignedHeaders=")[1].Split(',')[0].Split(';').ToList() : [];
        var headers = c.Request.Headers.AllKeys.SelectMany(k => c.Request.Headers.GetValues(k)!.Select(v => new KeyValuePair<string, string>(k!, v))).ToList();
        var reference = SigV4Reference.Sign(c.Request.HttpMethod, c.Request.Url!, headers, signedHeaders, SigV4Reference.Sha256Hex(body),
            c.Request.Headers["X-Amz-Date"] ?? "", "us-west-2", "kinesisvideo");
        return new Seen(c.Request.Url!.AbsolutePath, JsonNode.Parse(body)!.AsObject(), reference.Authorization == authorization);
    }

    private static async Task JsonAsync(HttpListenerContext c, object? body, int status = 200, string? errorType = null)
    {
        c.Response.StatusCode = status;
        if (errorType is not null) c.Response.Headers["x-amzn-ErrorType"] = errorType;
        var bytes = body is null ? [] : JsonSerializer.SerializeToUtf8Bytes(body);
        c.Response.ContentType = "application/json";
        c.Response.ContentLength64 = bytes.Length;
        await c.Response.OutputStream.WriteAsync(bytes);
    }

    [Fact]
    public async Task SignalingOperations_AgainstStandIn_PathsBodiesAndSignaturesAsKvsDefines()
    {
        var seen = new ConcurrentQueue<Seen>();
        await using var server = new AwsLoopbackServer(async c =>
        {
            var s = await ReadAsync(c);
            seen.Enqueue(s);
            var baseUrl = c.Request.Url!.GetLeftPart(UriPartial.Authority);
            await (s.Path switch
            {
                "/cp/createSignalingChannel" => JsonAsync(c, new { ChannelARN = ChannelArn }),
                "/cp/describeSignalingChannel" => JsonAsync(c, new
                {
                    ChannelInfo = new
                    {
                        ChannelName = "meeting-1", ChannelARN = ChannelArn, ChannelType = "SINGLE_MASTER", ChannelStatus = "ACTIVE",
                        CreationTime = 1700000000.25, SingleMasterConfiguration = new { MessageTtlSeconds = 60 }, Version = "v1",
                    },
                }),
                "/cp/getSignalingChannelEndpoint" => JsonAsync(c, new
                {
                    ResourceEndpointList = new object[]
                    {
                        new { Protocol = "WSS", ResourceEndpoint = "wss://v-1.kinesisvideo.us-west-2.amazonaws.com" },
                        new { Protocol = "HTTPS", ResourceEndpoint = baseUrl + "/https" },
                        new { Protocol = "WEBRTC", ResourceEndpoint = baseUrl + "/webrtc" },
                    },
                }),
                "/https/v1/get-ice-server-config" => JsonAsync(c, new
                {
                    IceServerList = new[] { new { Uris = new[] { "turn:1.2.3.4:443?transport=udp", "turns:1.2.3.4:443?transport=tcp" }, Username = "u-1", Password = "p-1", Ttl = 300 } },
                }),
                "/cp/updateMediaStorageConfiguration" => JsonAsync(c, null),
                "/cp/describeMediaStorageConfiguration" => JsonAsync(c, new { MediaStorageConfiguration = new { Status = "ENABLED", StreamARN = StreamArn } }),
                "/webrtc/joinStorageSession" => JsonAsync(c, null),
                _ => JsonAsync(c, new { Message = "unexpected " + s.Path }, 500),
            });
        });
        using var client = Client(new Uri(server.Url, "/cp"));
        var ct = CancellationToken.None;

        var arn = (await client.ControlPlane.CreateSignalingChannelAsync(new CreateSignalingChannelRequest
        {
            ChannelName = "meeting-1",
            ChannelType = "SINGLE_MASTER",
            SingleMasterConfiguration = new SingleMasterConfiguration { MessageTtlSeconds = 60 },
            Tags = [new Tag { Key = "kvsinference-meeting", Value = "1" }],
        }, ct)).ChannelARN!;
        var byName = (await client.ControlPlane.DescribeSignalingChannelAsync(new DescribeSignalingChannelRequest { ChannelName = "meeting-1" }, ct)).ChannelInfo!;
        await client.ControlPlane.DescribeSignalingChannelAsync(new DescribeSignalingChannelRequest { ChannelARN = ChannelArn }, ct);
        var endpoints = (await client.ControlPlane.GetSignalingChannelEndpointAsync(new GetSignalingChannelEndpointRequest
        {
            ChannelARN = arn,
            SingleMasterChannelEndpointConfiguration = new SingleMasterChannelEndpointConfiguration
            {
                Role = KvsChannelRole.Master, Protocols = [KvsChannelProtocol.Wss, KvsChannelProtocol.Https, KvsChannelProtocol.WebRtc],
            },
        }, ct)).ResourceEndpointList!;
        var https = new Uri(endpoints.Single(e => e.Protocol == "HTTPS").ResourceEndpoint!);
        var webRtc = new Uri(endpoints.Single(e => e.Protocol == "WEBRTC").ResourceEndpoint!);
        var ice = (await client.SignalingChannelsClient(https).GetIceServerConfigAsync(new GetIceServerConfigRequest { ChannelARN = arn, ClientId = "kvsi-viewer-1", Service = "TURN" }, ct)).IceServerList!;
        await client.ControlPlane.UpdateMediaStorageConfigurationAsync(new UpdateMediaStorageConfigurationRequest
        {
            ChannelARN = arn, MediaStorageConfiguration = new MediaStorageConfiguration { Status = "ENABLED", StreamARN = StreamArn },
        }, ct);
        await client.ControlPlane.UpdateMediaStorageConfigurationAsync(new UpdateMediaStorageConfigurationRequest
        {
            ChannelARN = arn, MediaStorageConfiguration = new MediaStorageConfiguration { Status = "DISABLED" },
        }, ct);
        var storage = (await client.ControlPlane.DescribeMediaStorageConfigurationAsync(new DescribeMediaStorageConfigurationRequest { ChannelARN = arn }, ct)).MediaStorageConfiguration!;
        await client.WebRtcStorageClient(webRtc).JoinStorageSessionAsync(new JoinStorageSessionRequest { ChannelArn = arn }, ct);

        Assert.Equal(ChannelArn, arn);
        Assert.Equal("ACTIVE", byName.ChannelStatus);
        Assert.Equal(60, byName.SingleMasterConfiguration!.MessageTtlSeconds);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1700000000250), byName.CreationTime);
        Assert.Equal(["WSS", "HTTPS", "WEBRTC"], endpoints.Select(e => e.Protocol));
        Assert.Equal(["turn:1.2.3.4:443?transport=udp", "turns:1.2.3.4:443?transport=tcp"], ice.Single().Uris);
        Assert.Equal(("u-1", "p-1", 300), (ice[0].Username, ice[0].Password, ice[0].Ttl));
        Assert.Equal("ENABLED", storage.Status);
        Assert.Equal(StreamArn, storage.StreamARN);

        var all = seen.ToList();
        Assert.All(all, s => Assert.True(s.SignatureValid, $"{s.Path}: the SigV4 signature does not match the reference"));
        JsonObject Body(string path, int index = 0) => all.Where(s => s.Path == path).ElementAt(index).Json;
        var create = Body("/cp/createSignalingChannel");
        Assert.Equal("meeting-1", create["ChannelName"]!.GetValue<string>());
        Assert.Equal("SINGLE_MASTER", create["ChannelType"]!.GetValue<string>());
        Assert.Equal(60, create["SingleMasterConfiguration"]!["MessageTtlSeconds"]!.GetValue<int>());
        Assert.Equal("kvsinference-meeting", create["Tags"]![0]!["Key"]!.GetValue<string>());
        Assert.Equal("meeting-1", Body("/cp/describeSignalingChannel")["ChannelName"]!.GetValue<string>());
        Assert.Null(Body("/cp/describeSignalingChannel")["ChannelARN"]);
        Assert.Equal(ChannelArn, Body("/cp/describeSignalingChannel", 1)["ChannelARN"]!.GetValue<string>());
        var endpoint = Body("/cp/getSignalingChannelEndpoint");
        Assert.Equal(ChannelArn, endpoint["ChannelARN"]!.GetValue<string>());
        Assert.Equal("MASTER", endpoint["SingleMasterChannelEndpointConfiguration"]!["Role"]!.GetValue<string>());
        Assert.Equal(["WSS", "HTTPS", "WEBRTC"], endpoint["SingleMasterChannelEndpointConfiguration"]!["Protocols"]!.AsArray().Select(p => p!.GetValue<string>()));
        var iceBody = Body("/https/v1/get-ice-server-config");
        Assert.Equal((ChannelArn, "kvsi-viewer-1", "TURN"), (iceBody["ChannelARN"]!.GetValue<string>(), iceBody["ClientId"]!.GetValue<string>(), iceBody["Service"]!.GetValue<string>()));
        var enable = Body("/cp/updateMediaStorageConfiguration")["MediaStorageConfiguration"]!;
        Assert.Equal(("ENABLED", StreamArn), (enable["Status"]!.GetValue<string>(), enable["StreamARN"]!.GetValue<string>()));
        var disable = Body("/cp/updateMediaStorageConfiguration", 1)["MediaStorageConfiguration"]!;
        Assert.Equal("DISABLED", disable["Status"]!.GetValue<string>());
        Assert.Null(disable["StreamARN"]);
        Assert.Equal(ChannelArn, Body("/cp/describeMediaStorageConfiguration")["ChannelARN"]!.GetValue<string>());
        // The WebRTC storage API names its member in camelCase, unlike the rest of KVS.
        var join = Body("/webrtc/joinStorageSession");
        Assert.Equal(ChannelArn, join["channelArn"]!.GetValue<string>());
        Assert.Single(join);
    }

    [Fact]
    public async Task JoinStorageSession_ThrottledThenNotFound_RetriesOnlyTheThrottling()
    {
        var calls = 0;
        await using var server = new AwsLoopbackServer(async c =>
        {
            await ReadAsync(c);
            await (Interlocked.Increment(ref calls) switch
            {
                1 => JsonAsync(c, new { Message = "slow down" }, 400, "ClientLimitExceededException"),
                2 => JsonAsync(c, null),
                _ => JsonAsync(c, new { Message = "The channel has no master connected." }, 404, "ResourceNotFoundException"),
            });
        });
        using var client = Client(server.Url);

        var storage = client.WebRtcStorageClient(server.Url);
        await storage.JoinStorageSessionAsync(new JoinStorageSessionRequest { ChannelArn = ChannelArn }, CancellationToken.None);
        var missing = await Assert.ThrowsAsync<AwsResourceNotFoundException>(() => storage.JoinStorageSessionAsync(new JoinStorageSessionRequest { ChannelArn = ChannelArn }, CancellationToken.None));

        Assert.Equal(3, calls);
        Assert.Equal("kinesisvideo:JoinStorageSession", missing.Operation);
        Assert.Contains("no master", missing.Message);
    }

    [Fact]
    public async Task GetSignalingChannelEndpoint_WebRtcWithoutStorage_ThrowsValidationNotRetried()
    {
        var calls = 0;
        await using var server = new AwsLoopbackServer(async c =>
        {
            Interlocked.Increment(ref calls);
            await JsonAsync(c, new { Message = "The channel is not configured for media storage." }, 400, "InvalidArgumentException");
        });
        using var client = Client(server.Url);

        var e = await Assert.ThrowsAsync<AwsValidationException>(() =>
            client.ControlPlane.GetSignalingChannelEndpointAsync(Endpoints(KvsChannelProtocol.WebRtc), CancellationToken.None));

        Assert.Equal(1, calls);
        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        await Assert.ThrowsAsync<ArgumentException>(() => client.ControlPlane.GetSignalingChannelEndpointAsync(Endpoints(), CancellationToken.None));
    }

    private static GetSignalingChannelEndpointRequest Endpoints(params string[] protocols) => new()
    {
        ChannelARN = ChannelArn,
        SingleMasterChannelEndpointConfiguration = new SingleMasterChannelEndpointConfiguration { Role = KvsChannelRole.Master, Protocols = [.. protocols] },
    };

    [Fact]
    public async Task PresignSignalingUrl_Viewer_SignedWithTheClientsCredentialsAndRegion()
    {
        using var client = Client(new Uri("http://127.0.0.1:9"), new SessionAWSCredentials(SigV4Reference.AccessKey, SigV4Reference.SecretKey, "session/token+1"));

        var url = await client.PresignSignalingUrlAsync(new Uri("wss://v-1.kinesisvideo.us-west-2.amazonaws.com"), ChannelArn, "kvsi-viewer-7",
            TimeSpan.FromSeconds(299), CancellationToken.None);

        var query = url.Query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));
        Assert.Equal(ChannelArn, query["X-Amz-ChannelARN"]);
        Assert.Equal("kvsi-viewer-7", query["X-Amz-ClientId"]);
        Assert.Equal("299", query["X-Amz-Expires"]);
        Assert.Equal("session/token+1", query["X-Amz-Security-Token"]);
        Assert.EndsWith("/us-west-2/kinesisvideo/aws4_request", query["X-Amz-Credential"]);
        Assert.StartsWith(SigV4Reference.AccessKey + "/", query["X-Amz-Credential"]);
        Assert.DoesNotContain(SigV4Reference.SecretKey, Uri.UnescapeDataString(url.ToString()));
    }

    [Fact]
    public async Task PresignSignalingUrl_BadArguments_ThrowNaming()
    {
        using var client = Client(new Uri("http://127.0.0.1:9"));
        var wss = new Uri("wss://v-1.kinesisvideo.us-west-2.amazonaws.com");
        var ct = CancellationToken.None;

        var tooLong = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.PresignSignalingUrlAsync(wss, ChannelArn, null, TimeSpan.FromMinutes(6), ct));
        var badId = await Assert.ThrowsAsync<ArgumentException>(() => client.PresignSignalingUrlAsync(wss, ChannelArn, "a b", TimeSpan.FromMinutes(1), ct));
        var https = await Assert.ThrowsAsync<ArgumentException>(() => client.PresignSignalingUrlAsync(new Uri("https://x.example"), ChannelArn, null, TimeSpan.FromMinutes(1), ct));

        Assert.Equal("lifetime", tooLong.ParamName);
        Assert.Contains("[a-zA-Z0-9_.-]", badId.Message);
        Assert.Contains("wss://", https.Message);
    }
}
