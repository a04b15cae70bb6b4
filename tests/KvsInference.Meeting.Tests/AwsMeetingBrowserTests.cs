using System.Diagnostics;
using Amazon.Runtime;
using KvsInference.Aws;
using KvsInference.Aws.KinesisVideo;
using KvsInference.Meeting;
using KvsInference.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace KvsInference.Tests.Meeting;

/// <summary>
/// The meeting page in AWS mode in Debian's headless Chromium (tools/node-tests/meeting-aws-e2e.js), against
/// STAND-INS because AWS cannot be reached here: <see cref="KvsStandIn"/> for KVS (our own signaling server behind
/// KVS-shaped control-plane calls) and a second Chromium page for the KVS storage session. It checks that the master
/// answers the storage session with H.264 video and Opus audio that carry frames and sound, and that a viewer still
/// gets the meeting peer-to-peer. What real KVS does with the media (storing H.264 + AAC) is not tested here.
/// </summary>
public sealed class AwsMeetingBrowserTests(ITestOutputHelper output)
{
    [Fact]
    public async Task MasterPage_AwsMode_StorageSessionStandInGetsH264AndOpusWithFramesAndSound()
    {
        var toolDir = Path.Combine(TestPaths.RepoRoot, "tools", "node-tests");
        Assert.True(Directory.Exists(Path.Combine(toolDir, "node_modules", "playwright-core")), $"run `npm ci` in {toolDir} (scripts/setup does it)");
        var dir = Directory.CreateTempSubdirectory("kvsi-aws-meeting-").FullName;
        var raw = Path.Combine(dir, "speech-raw.wav");
        var wav = Path.Combine(dir, "speech.wav");
        ProcessRunner.Run("espeak-ng", ["-v", "en-us", "-s", "150", "-w", raw, "Hello everyone. This meeting goes to Kinesis Video Streams through WebRTC ingestion."]);
        ProcessRunner.Run("sox", [raw, "-r", "48000", "-c", "1", "-b", "16", "-e", "signed-integer", wav, "repeat", "3"]);

        await using var kvs = await KvsStandIn.StartAsync();
        using var client = new KinesisVideoClient(new KinesisVideoClientOptions
        {
            Region = KvsStandIn.Region,
            ServiceUrl = kvs.ControlPlane,
            Credentials = new BasicAWSCredentials(KvsStandIn.AccessKeyId, KvsStandIn.SecretAccessKey),
            Resilience = new AwsResilienceOptions { MaxRetryAttempts = 1, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) },
        });
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(client).AddSingleton(new RecordBroadcaster()).AddKvsMeeting(o =>
        {
            o.Mode = MeetingMode.Aws;
            o.StreamPrefix = "meeting-";
        });
        await using var app = builder.Build();
        app.MapKvsMeeting();
        await app.StartAsync();

        var psi = new ProcessStartInfo("node") { WorkingDirectory = toolDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "meeting-aws-e2e.js", app.Urls.First() + "/", kvs.Url.ToString().TrimEnd('/'), wav, Path.Combine(TestPaths.Scratch, "meeting-aws") }) psi.ArgumentList.Add(a);
        using var node = Process.Start(psi)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await node.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
            throw new TimeoutException("meeting-aws-e2e.js did not finish within 90 s:\n" + await stdout);
        }
        var text = await stdout + await stderr;
        output.WriteLine(text);
        Assert.True(node.ExitCode == 0, text);
        Assert.Contains("\"mimeType\":\"video/H264\"", text);
        Assert.Contains("\"mimeType\":\"audio/opus\"", text);
        Assert.Single(kvs.Joins.Distinct());
    }
}
