using System.Text.Json;
using KvsInference.LocalKvs.Signaling;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Storage;

/// <summary>
/// Runs tools/node-tests/kvs-sdk-v3.js: the AWS SDK for JavaScript v3 KVS clients (kinesis-video, -media, -archived-media,
/// -signaling), unchanged, against the media store and the signaling stand-in: every operation they serve, NextToken
/// paging and the modelled errors, parsed by the SDK's own generated deserializers.
/// </summary>
public sealed class AwsSdkJsV3AgainstStandInsTests
{
    [Fact]
    public async Task JsSdkV3_EveryStandInOperation_AllChecksPass()
    {
        var toolDir = Path.Combine(TestPaths.RepoRoot, "tools", "node-tests");
        Assert.True(Directory.Exists(Path.Combine(toolDir, "node_modules", "@aws-sdk", "client-kinesis-video")), $"run `npm ci` in {toolDir} (scripts/setup does it)");

        await using var kit = await MediaStoreTestKit.StartAsync();
        await kit.CreateStreamAsync("speech");
        await kit.PutMediaAsync("speech", File.ReadAllBytes(StoreMedia.SpeechWebm), chunkBytes: 4000);
        var fragments = (await kit.PostOkAsync("/listFragments", new { StreamName = "speech" })).GetProperty("Fragments").GetArrayLength();
        Assert.True(fragments >= 2, $"the sample should make several fragments, made {fragments}");

        var options = new SignalingOptions();
        options.Credentials["AKIDKVSINFERENCETEST"] = "kvsinference-test-secret-key";
        options.IceServers.Add(new IceServer(["turn:turn.example.org:3478?transport=udp"], "user", "pass"));
        await using var host = await SignalingHost.StartAsync(options, new SignalingHostOptions { TlsPort = null });

        var config = Path.Combine(Directory.CreateTempSubdirectory("kvsi-sdk-v3-").FullName, "config.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            storeEndpoint = kit.Server.Url.TrimEnd('/'),
            signalingEndpoint = host.PlainEndpoint!.ToString().TrimEnd('/'),
            region = options.Region,
            accessKeyId = "AKIDKVSINFERENCETEST",
            secretAccessKey = "kvsinference-test-secret-key",
            mediaStream = "speech",
            fragmentCount = fragments,
        }));
        var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("AWS_", StringComparison.Ordinal))
            .ToDictionary(k => k, _ => (string?)null);
        var (exit, stdout, stderr) = await ProcessRunner.RunAsync("node", ["kvs-sdk-v3.js", config], environment, toolDir, TimeSpan.FromMinutes(2));

        var output = stdout + stderr;
        Assert.True(exit == 0, output);
        foreach (var check in new[]
        {
            "CreateStream", "DescribeStream", "ListStreams paged by NextToken", "TagStream, UntagStream, ListTagsForStream", "UpdateDataRetention",
            "GetDataEndpoint", "DeleteStream", "control-plane errors", "ListFragments paged by NextToken", "GetMediaForFragmentList", "GetMedia",
            "data-plane errors", "CreateSignalingChannel", "DescribeSignalingChannel", "ListSignalingChannels", "GetSignalingChannelEndpoint",
            "GetIceServerConfig", "wrong secret key refused", "DeleteSignalingChannel",
        })
        {
            Assert.Contains("ok " + check + "\n", output);
        }
    }
}
