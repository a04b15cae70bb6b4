using System.Text;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using KvsInference.Aws;
using KvsInference.Aws.Generated.KinesisVideo;
using KvsInference.Aws.KinesisVideo;
using KvsInference.LocalKvs.Signaling;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Signaling;

/// <summary>
/// The signaling stand-in's control plane, called by our client and by signed raw requests, with every request and answer
/// checked against the official models (kinesisvideo, kinesis-video-signaling).
/// </summary>
public sealed class SignalingModelConformanceTests
{
    private const string AccessKey = "AKIDCONFORMANCE";
    private const string Secret = "conformance-secret";

    private static Task<SignalingHost> StartAsync()
    {
        var options = new SignalingOptions();
        options.Credentials[AccessKey] = Secret;
        options.IceServers.Add(new IceServer(["turn:turn.example.org:3478?transport=udp"], "user", "pass"));
        options.IceServers.Add(new IceServer(["stun:127.0.0.1:3478"]));
        return SignalingHost.StartAsync(options, new SignalingHostOptions { TlsPort = null });
    }

    private static KinesisVideoClient Client(SignalingHost host, HttpMessageHandler transport) => new(new KinesisVideoClientOptions
    {
        ServiceUrl = host.PlainEndpoint,
        Region = "us-west-2",
        Credentials = new BasicAWSCredentials(AccessKey, Secret),
        EnvironmentVariables = _ => null,
        Transport = transport,
        Resilience = new AwsResilienceOptions { MaxRetryAttempts = 0 },
    });

    private static async Task<(int Status, string Body)> PostAsync(HttpClient http, string path, string json)
    {
        using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ControlPlane_EveryOperationAndNotFound_AnswersMatchTheModels()
    {
        await using var host = await StartAsync();
        var handler = AwsConformanceHandler.OverSockets();
        using var client = Client(host, handler);
        using var signed = new HttpClient(new SigV4SigningHandler(new BasicAWSCredentials(AccessKey, Secret), RegionEndpoint.USWest2, "kinesisvideo", handler))
        {
            BaseAddress = host.PlainEndpoint,
        };

        var cp = client.ControlPlane;
        var arn = (await cp.CreateSignalingChannelAsync(new CreateSignalingChannelRequest { ChannelName = "room-7", ChannelType = "SINGLE_MASTER" }, CancellationToken.None)).ChannelARN!;
        await cp.DescribeSignalingChannelAsync(new DescribeSignalingChannelRequest { ChannelARN = arn }, CancellationToken.None);
        await cp.DescribeSignalingChannelAsync(new DescribeSignalingChannelRequest { ChannelName = "room-7" }, CancellationToken.None);
        var endpoints = (await cp.GetSignalingChannelEndpointAsync(new GetSignalingChannelEndpointRequest
        {
            ChannelARN = arn,
            SingleMasterChannelEndpointConfiguration = new SingleMasterChannelEndpointConfiguration { Role = KvsChannelRole.Viewer, Protocols = [KvsChannelProtocol.Wss, KvsChannelProtocol.Https] },
        }, CancellationToken.None)).ResourceEndpointList!;
        var https = new Uri(endpoints.Single(e => e.Protocol == KvsChannelProtocol.Https).ResourceEndpoint!);
        await client.SignalingChannelsClient(https).GetIceServerConfigAsync(new() { ChannelARN = arn, ClientId = "viewer-1", Service = "TURN" }, CancellationToken.None);
        Assert.Equal(200, (await PostAsync(signed, "listSignalingChannels", """{"MaxResults":10}""")).Status);

        var missing = arn + "0";
        var notFound = new (string Path, string Body)[]
        {
            ("describeSignalingChannel", $$"""{"ChannelARN":"{{missing}}"}"""),
            ("getSignalingChannelEndpoint", $$$"""{"ChannelARN":"{{{missing}}}","SingleMasterChannelEndpointConfiguration":{"Protocols":["WSS"],"Role":"MASTER"}}"""),
            ("v1/get-ice-server-config", $$"""{"ChannelARN":"{{missing}}"}"""),
            ("deleteSignalingChannel", $$"""{"ChannelARN":"{{missing}}"}"""),
        };
        foreach (var (path, body) in notFound)
        {
            var (status, text) = await PostAsync(signed, path, body);
            Assert.True(status == 404, $"{path}: {status} {text}");
        }
        var duplicate = await PostAsync(signed, "createSignalingChannel", """{"ChannelName":"room-7"}""");
        Assert.Equal(400, duplicate.Status);
        Assert.Equal(200, (await PostAsync(signed, "deleteSignalingChannel", $$"""{"ChannelARN":"{{arn}}"}""")).Status);

        Assert.True(handler.Violations.IsEmpty, string.Join("\n", handler.Violations));
        Assert.Equal(
            new[] { "kinesis-video-signaling:GetIceServerConfig", "kinesisvideo:CreateSignalingChannel", "kinesisvideo:DeleteSignalingChannel",
                "kinesisvideo:DescribeSignalingChannel", "kinesisvideo:GetSignalingChannelEndpoint", "kinesisvideo:ListSignalingChannels" },
            handler.Calls.Select(c => c.Operation).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ControlPlane_WrongSecret_AnswersAnErrorEachOperationModels()
    {
        await using var host = await StartAsync();
        var arn = host.Server.CreateChannel("room-9").Arn;
        var handler = AwsConformanceHandler.OverSockets();
        using var wrong = new HttpClient(new SigV4SigningHandler(new BasicAWSCredentials(AccessKey, "not-the-secret"), RegionEndpoint.USWest2, "kinesisvideo", handler))
        {
            BaseAddress = host.PlainEndpoint,
        };
        var calls = new (string Path, string Body)[]
        {
            ("createSignalingChannel", """{"ChannelName":"room-10"}"""),
            ("listSignalingChannels", "{}"),
            ("describeSignalingChannel", $$"""{"ChannelARN":"{{arn}}"}"""),
            ("getSignalingChannelEndpoint", $$"""{"ChannelARN":"{{arn}}"}"""),
            ("v1/get-ice-server-config", $$"""{"ChannelARN":"{{arn}}"}"""),
            ("deleteSignalingChannel", $$"""{"ChannelARN":"{{arn}}"}"""),
        };
        foreach (var (path, body) in calls)
        {
            var (status, text) = await PostAsync(wrong, path, body);
            Assert.True(status == 403, $"{path}: {status} {text}");
        }

        Assert.True(handler.Violations.IsEmpty, string.Join("\n", handler.Violations));
        Assert.Equal(calls.Length, handler.Calls.Count);
    }
}
