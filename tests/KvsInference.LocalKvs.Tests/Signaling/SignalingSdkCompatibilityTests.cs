using System.Diagnostics;
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
        var toolDir = Path.Combine(TestPaths.RepoRoot, "tools", "node-tests");
        Assert.True(Directory.Exists(Path.Combine(toolDir, "node_modules", "amazon-kinesis-video-streams-webrtc")),
            $"run `npm ci` in {toolDir} (scripts/setup does it)");

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

        var psi = new ProcessStartInfo("node") { WorkingDirectory = toolDir, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("signaling-compat.js");
        psi.ArgumentList.Add(config);
        // The SDK's default signer insists on wss://; node trusts our self-signed development certificate by its PEM.
        psi.Environment["NODE_EXTRA_CA_CERTS"] = pem;
        using var node = Process.Start(psi)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        try
        {
            await node.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
            throw;
        }
        var output = await stdout + await stderr;
        Assert.True(node.ExitCode == 0, output);
        Assert.Contains("ok viewer offer reaches master with senderClientId", output);
        Assert.Contains("ok channel isolation", output);
        Assert.Contains("ok wrong secret key refused", output);
        Assert.Contains("ok meeting token over ws://", output);
        Assert.Contains("all checks passed", output);
    }
}
