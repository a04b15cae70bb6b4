using KvsInference.LocalKvs.Signaling;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Signaling;

/// <summary>The official AWS CLI (v2) against the signaling stand-in's control plane, signing with the keys the stand-in verifies.</summary>
public sealed class AwsCliAgainstSignalingTests
{
    private const string AccessKey = "AKIDCLISIGNALING";
    private const string Secret = "cli-signaling-secret";

    [Fact]
    public async Task AwsCli_SignalingControlPlane_EveryOperationAndErrors()
    {
        var options = new SignalingOptions();
        options.Credentials[AccessKey] = Secret;
        options.IceServers.Add(new IceServer(["turn:turn.example.org:3478?transport=udp"], "user", "pass"));
        await using var host = await SignalingHost.StartAsync(options, new SignalingHostOptions { TlsPort = null });
        var url = host.PlainEndpoint!;
        var cli = new AwsCli(AccessKey, Secret, options.Region);

        var arn = (await cli.OkAsync(url, "kinesisvideo", "create-signaling-channel", "--channel-name", "room-7")).GetProperty("ChannelARN").GetString()!;
        var info = (await cli.OkAsync(url, "kinesisvideo", "describe-signaling-channel", "--channel-name", "room-7")).GetProperty("ChannelInfo");
        Assert.Equal((arn, "ACTIVE", "SINGLE_MASTER"), (info.GetProperty("ChannelARN").GetString(), info.GetProperty("ChannelStatus").GetString(), info.GetProperty("ChannelType").GetString()));
        var listed = await cli.OkAsync(url, "kinesisvideo", "list-signaling-channels");
        Assert.Equal(["room-7"], listed.GetProperty("ChannelInfoList").EnumerateArray().Select(c => c.GetProperty("ChannelName").GetString()));

        var endpoints = (await cli.OkAsync(url, "kinesisvideo", "get-signaling-channel-endpoint", "--channel-arn", arn,
            "--single-master-channel-endpoint-configuration", "Protocols=WSS,HTTPS,Role=VIEWER")).GetProperty("ResourceEndpointList")
            .EnumerateArray().ToDictionary(e => e.GetProperty("Protocol").GetString()!, e => e.GetProperty("ResourceEndpoint").GetString()!);
        Assert.Equal(["HTTPS", "WSS"], endpoints.Keys.Order(StringComparer.Ordinal));

        var ice = await cli.OkAsync(new Uri(endpoints["HTTPS"]), "kinesis-video-signaling", "get-ice-server-config", "--channel-arn", arn, "--client-id", "viewer-1");
        Assert.Equal("turn:turn.example.org:3478?transport=udp", ice.GetProperty("IceServerList")[0].GetProperty("Uris")[0].GetString());

        Assert.Contains("ResourceNotFoundException", await cli.FailAsync(url, "kinesisvideo", "describe-signaling-channel", "--channel-arn", arn + "0"));
        Assert.Contains("ResourceInUseException", await cli.FailAsync(url, "kinesisvideo", "create-signaling-channel", "--channel-name", "room-7"));
        var wrongKey = new AwsCli(AccessKey, "not-the-secret", options.Region);
        Assert.Contains("(AccessDeniedException)", await wrongKey.FailAsync(url, "kinesisvideo", "list-signaling-channels"));

        await cli.OkAsync(url, "kinesisvideo", "delete-signaling-channel", "--channel-arn", arn);
        Assert.Contains("ResourceNotFoundException", await cli.FailAsync(url, "kinesisvideo", "describe-signaling-channel", "--channel-arn", arn));
    }
}
