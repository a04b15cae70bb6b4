using System.Globalization;
using System.Text.RegularExpressions;
using KvsInference.Avatar.Rendering;
using KvsInference.TestSupport;
using KvsInference.Tests.EndToEnd;
using Xunit.Abstractions;

namespace KvsInference.Tests.Commands;

/// <summary>`avatar-stream --follow` as a separate process beside a running local worker: records from the worker's file, speech from its store.</summary>
public sealed partial class AvatarStreamCommandTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AvatarStream_FollowRunningWorker_PushesLiveAvatarInLipSync()
    {
        Assert.True(NginxRtmpServer.IsInstalled, "nginx and libnginx-mod-rtmp are required (scripts/setup installs them)");
        using var nginx = new NginxRtmpServer();
        nginx.Start();
        var dir = Directory.CreateTempSubdirectory("kvsi-avatar-follow-").FullName;
        var records = Path.Combine(dir, "records.jsonl");
        int storePort = FleetHarness.FreePort();
        using var harness = new FleetHarness();
        using var worker = harness.StartWorkerProcess("worker", [], new Dictionary<string, string>
        {
            ["KVSI__Local__Enabled"] = "true",
            ["KVSI__Local__SampleStreams"] = "1",
            ["KVSI__Local__MediaStorePort"] = storePort.ToString(CultureInfo.InvariantCulture),
            ["KVSI__Local__DataDirectory"] = Path.Combine(dir, "store"),
            ["KVSI__Metrics__Port"] = FleetHarness.FreePort().ToString(CultureInfo.InvariantCulture),
            ["KVSI__Metrics__StatusSeconds"] = "0",
            ["KVSI__Sink__File"] = records,
            ["KVSI__DurationSeconds"] = "40",
        });
        await worker.WaitForLineAsync(StoreLine(), TimeSpan.FromSeconds(30));

        using var avatar = harness.StartWorkerProcess("avatar-stream", ["avatar-stream", "--follow", "--records", records, "--stream", "avatar-demo-1",
            "--kvs-url", $"http://127.0.0.1:{storePort}", "--rtmp", nginx.LiveUrl("follow").ToString(), "--seconds", "16"]);
        Assert.True(await avatar.WaitForExitAsync(TimeSpan.FromSeconds(60)), "avatar-stream did not stop by itself:\n" + harness.Diagnostics());
        output.WriteLine(string.Join('\n', avatar.Lines));
        Assert.True(avatar.ExitCodeOrNull == 0, harness.Diagnostics());
        var stats = StatsLine().Match(string.Join('\n', avatar.Lines));
        Assert.True(stats.Success, harness.Diagnostics());
        Assert.True(long.Parse(stats.Groups["fromRecords"].Value, CultureInfo.InvariantCulture) >= 6 * 25, stats.Value);
        Assert.Equal("0", stats.Groups["late"].Value);

        var sync = await LipSyncMeter.MeasureAsync(Assert.Single(nginx.Recordings()));
        output.WriteLine("avatar-stream --follow: " + sync.Describe());
        Assert.True(sync.Correlation > 0.3, sync.Describe());
        Assert.True(sync.WithinBt1359, sync.Describe());
    }

    [Fact]
    public async Task AvatarStream_FollowWithAudioFile_RefusedNamingTheConflict()
    {
        using var harness = new FleetHarness();
        using var avatar = harness.StartWorkerProcess("avatar-stream", ["avatar-stream", "--follow", "--records", "r.jsonl", "--stream", "s",
            "--audio", "a.wav", "--rtmp", "rtmp://127.0.0.1:1/live/x"]);
        Assert.True(await avatar.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, avatar.ExitCodeOrNull);
        Assert.Contains(avatar.Lines, l => l.Contains("--audio cannot be used with --follow", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"Local media store at (http://127\.0\.0\.1:\d+)")]
    private static partial Regex StoreLine();

    [GeneratedRegex(@"(?<frames>\d+) frames \((?<fromRecords>\d+) from records\), (?<records>\d+) records \((?<late>\d+) late\)")]
    private static partial Regex StatsLine();
}
