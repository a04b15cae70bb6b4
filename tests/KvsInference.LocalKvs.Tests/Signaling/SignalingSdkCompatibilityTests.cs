using System.Text.Json;
using KvsInference.LocalKvs.Signaling;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Signaling;

/// <summary>Runs tools/node-tests/signaling-compat.js: the official KVS WebRTC JS SDK, unchanged, against our server.</summary>
public sealed class SignalingSdkCompatibilityTests
{
    [Fact]
    public async Task OfficialJsSdk_MasterAndViewers_AllChecksPass()
    {
        BrowserScript.RequireTools("amazon-kinesis-video-streams-webrtc", chromium: false);

        var options = new SignalingOptions();
        options.Credentials["AKIDKVSINFERENCETEST"] = "kvsinference-test-secret-key";
        await using var host = await SignalingHost.StartAsync(options);
        var channelA = host.Server.CreateChannel("compat-a");
        var channelB = host.Server.CreateChannel("compat-b");

        var dir = Directory.CreateTempSubdirectory("kvsi-sdk-").FullName;
        var pem = Path.Combine(dir, "dev-cert.pem");
        DevelopmentCertificate.WritePem(host.Certificate!, pem);
        var config = Path.Combine(dir, "config.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            wssEndpoint = host.SecureWebSocketUrl!.ToString().TrimEnd('/'),
            wsEndpoint = host.WebSocketUrl!.ToString().TrimEnd('/'),
            region = options.Region,
            accessKeyId = "AKIDKVSINFERENCETEST",
            secretAccessKey = "kvsinference-test-secret-key",
            channelA = channelA.Arn,
            channelB = channelB.Arn,
            viewerToken = host.Server.Tokens.Issue(channelA.Arn, SignalingRole.Viewer, "token-viewer", TimeSpan.FromMinutes(5)),
        }));

        // The SDK's default signer insists on wss://; node trusts our self-signed development certificate by its PEM.
        var run = await BrowserScript.RunAsync("signaling-compat.js", [config], TimeSpan.FromSeconds(180),
            environment: new Dictionary<string, string> { ["NODE_EXTRA_CA_CERTS"] = pem });
        var output = run.Output;
        Assert.True(run.Passed, output);
        Assert.Contains("ok viewer offer reaches master with senderClientId", output);
        Assert.Contains("ok channel isolation", output);
        Assert.Contains("ok wrong secret key refused", output);
        Assert.Contains("ok meeting token over ws://", output);
        Assert.Contains("all checks passed", output);
    }
}
