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
        BrowserScript.RequireTools();
        var wav = BrowserScript.SpeechWav("Hello everyone. This meeting goes to Kinesis Video Streams through WebRTC ingestion.", "repeat", "3");

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

        var run = await BrowserScript.RunAsync("meeting-aws-e2e.js",
            [app.Urls.First() + "/", kvs.Url.ToString().TrimEnd('/'), wav, Path.Combine(TestPaths.Scratch, "meeting-aws")], TimeSpan.FromSeconds(90));
        var text = run.Output;
        output.WriteLine(text);
        Assert.True(run.Passed, text);
        Assert.Contains("\"mimeType\":\"video/H264\"", text);
        Assert.Contains("\"mimeType\":\"audio/opus\"", text);
        Assert.Single(kvs.Joins.Distinct());
    }
}
