using System.Text.Json;
using KvsInference.Inference;
using KvsInference.Meeting;
using KvsInference.LocalKvs.Signaling;
using KvsInference.Sinks;
using KvsInference.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace KvsInference.Tests.Meeting;

/// <summary>
/// The meeting page's 3D avatar in Debian's headless Chromium with software WebGL (tools/node-tests/avatar3d-e2e.js):
/// the meeting app in this process, the default head and avatars of each convention generated here (TestAvatars), and
/// records of a known syllable pattern published to each meeting's stream as the script asks. The page reads back the
/// rendered morph weights; the script checks they follow the records. Screenshots go to artifacts/screenshots/.
/// </summary>
public sealed class Avatar3dBrowserTests(ITestOutputHelper output)
{
    private const int FeedSeconds = 6;

    [Fact]
    public async Task MasterPage_DefaultVrmOculusArkitAvatars_MorphWeightsFollowRecords()
    {
        BrowserScript.RequireTools();
        BrowserScript.RequireAvatarLibraries();
        var dir = Directory.CreateTempSubdirectory("kvsi-avatar3d-").FullName;
        var wav = Path.Combine(dir, "mic.wav");
        ProcessRunner.Run("sox", ["-n", "-r", "48000", "-c", "1", "-b", "16", wav, "synth", "3", "sine", "220", "vol", "0.1"]);

        using var store = new KvsInference.LocalKvs.Storage.MediaStore(new KvsInference.LocalKvs.Storage.MediaStoreOptions { DataDirectory = Path.Combine(dir, "store") });
        var records = new RecordBroadcaster();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(store).AddSingleton(records).AddKvsSignaling(o => o.MaxMessagePayloadChars = 64 * 1024)
            .AddKvsMeeting(o => o.StreamPrefix = "meeting-");
        await using var app = builder.Build();
        app.UseWebSockets();
        app.MapKvsSignaling("/kvs");
        app.MapKvsMeeting();
        var avatars = new Dictionary<string, byte[]>
        {
            ["avatar.vrm"] = TestAvatars.Vrm(), ["oculus.glb"] = TestAvatars.Oculus(), ["arkit.glb"] = TestAvatars.Arkit(), ["plain.glb"] = TestAvatars.NoConvention(),
        };
        app.MapGet("/test/{name}", (string name) => avatars.TryGetValue(name, out var bytes) ? Results.Bytes(bytes, "model/gltf-binary") : Results.NotFound());
        await app.StartAsync();

        var cases = new object[]
        {
            new { name = "default", avatar = "", convention = "oculus", mouth = "viseme_aa", blink = "eyeBlinkLeft" },
            new { name = "vrm", avatar = "/test/avatar.vrm", convention = "vrm", mouth = "Fcl_MTH_A", blink = "Fcl_EYE_Close_L" },
            new { name = "oculus", avatar = "/test/oculus.glb", convention = "oculus", mouth = "viseme_aa", blink = "eyeBlinkRight" },
            new { name = "arkit", avatar = "/test/arkit.glb", convention = "arkit", mouth = "jawOpen", blink = "eyeBlinkLeft" },
            new { name = "plain", avatar = "/test/plain.glb", fallback = "has no VRM mouth expressions" },
        };
        var artifacts = BrowserScript.Screenshots;
        var feeds = new List<Task>();
        using var stop = new CancellationTokenSource();
        // The script prints `FEED <stream>` when a meeting's page waits for records: they are published from here.
        await using var script = BrowserScript.Start("avatar3d-e2e.js", [app.Urls.First() + "/", wav, artifacts, JsonSerializer.Serialize(cases)], line =>
        {
            if (line.StartsWith("FEED ", StringComparison.Ordinal))
            {
                lock (feeds) feeds.Add(FeedAsync(records, line["FEED ".Length..].Trim(), stop.Token));
            }
        });
        Task[] all;
        BrowserScriptRun run;
        try
        {
            run = await script.WaitAsync(TimeSpan.FromSeconds(300));
        }
        finally
        {
            await stop.CancelAsync();
            lock (feeds) all = feeds.ToArray();
            await Task.WhenAll(all);
        }
        output.WriteLine(run.Output);
        Assert.True(run.Passed, run.Output);
        Assert.Equal(4, all.Length);
        Assert.True(File.Exists(Path.Combine(artifacts, "avatar3d-vrm.png")));
    }

    // Records of one stream as a producer makes them, one 200 ms window of 60 fps frames at a time: a syllable every
    // 1.2 s (aa and jawOpen rise and fall together; silence between).
    private static async Task FeedAsync(RecordBroadcaster records, string stream, CancellationToken ct)
    {
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (int w = 0; w < FeedSeconds * 5 && !ct.IsCancellationRequested; w++)
        {
            var frames = new VisemeFrame[12];
            for (int i = 0; i < frames.Length; i++)
            {
                double t = (w * 200 + i * 1000.0 / 60) / 1000;
                float s = (float)Math.Max(0, Math.Sin(2 * Math.PI * t / 1.2));
                frames[i] = new VisemeFrame(s, 0, 0, 0, 0, s, 1 - s);
            }
            var due = start + (w + 1) * 200 - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            if (due > 0)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(due), ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            records.Publish([new InferenceRecord
            {
                StreamName = stream, FragmentNumber = "1", ProducerTimestamp = start + w * 200, StartOffsetMs = 0, FrameRate = 60,
                Frames = frames, Model = "test-pattern", RecordId = InferenceRecord.MakeRecordId(stream, "1", w * 200),
            }]);
        }
    }
}
