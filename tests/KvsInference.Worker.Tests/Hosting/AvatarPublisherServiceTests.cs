using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using KvsInference.Avatar.Rendering;
using KvsInference.TestSupport;
using KvsInference.Tests.EndToEnd;
using Xunit.Abstractions;

namespace KvsInference.Tests.Hosting;

/// <summary>
/// The live avatar pushed by the worker itself (KVSI:Avatar:Rtmp): the worker in local mode plays the sample speech into
/// its demo stream, infers it, and pushes the avatar of that stream with its speech to a local nginx-rtmp server.
/// </summary>
[Collection(RealTimeBrowserCollection.Name)]
public sealed partial class AvatarPublisherServiceTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Worker_AvatarRtmpConfigured_PushesLiveAvatarInLipSyncToNginx()
    {
        Assert.True(NginxRtmpServer.IsInstalled, "nginx and libnginx-mod-rtmp are required (scripts/setup installs them)");
        using var nginx = new NginxRtmpServer();
        nginx.Start();
        var dir = Directory.CreateTempSubdirectory("kvsi-avatar-live-").FullName;
        using var harness = new FleetHarness();
        var settings = FleetHarness.LocalWorkerSettings(dir, sampleStreams: 1);
        settings["KVSI__Sink__File"] = Path.Combine(dir, "records.jsonl");
        settings["KVSI__Avatar__Rtmp"] = nginx.LiveUrl("worker-avatar").ToString();
        // More than the default 1.5 s: the test machine runs other workers and encoders at the same time.
        settings["KVSI__Avatar__DelayMs"] = "2500";
        // 30 s, of which the push needs 16 s (400 frames): a starved machine can take 10 s to start the worker and its feed.
        settings["KVSI__DurationSeconds"] = "30";
        using var worker = harness.StartWorkerProcess("worker", [], settings);
        Assert.True(await worker.WaitForExitAsync(TimeSpan.FromSeconds(90)), "the worker did not stop by itself:\n" + harness.Diagnostics());
        var log = string.Join('\n', worker.Lines);
        output.WriteLine(string.Join('\n', worker.Lines.Where(l => l.Contains("avatar", StringComparison.Ordinal))));

        var stats = StatsLine().Match(log);
        Assert.True(stats.Success, "no avatar statistics in the worker's log:\n" + harness.Diagnostics(40));
        long frames = long.Parse(stats.Groups["frames"].Value, CultureInfo.InvariantCulture);
        long fromRecords = long.Parse(stats.Groups["fromRecords"].Value, CultureInfo.InvariantCulture);
        long late = long.Parse(stats.Groups["late"].Value, CultureInfo.InvariantCulture);
        // How fast the push runs depends on the machine (two test runs side by side pushed 12 fps); the behaviour checked is
        // that it pushes for long enough, drawn from records, to measure the lip sync below (10 s, 4 s of them from records).
        Assert.True(frames >= 10 * 25, $"only {frames} frames pushed in a 30 s run");
        Assert.True(fromRecords >= 4 * 25, $"only {fromRecords} frames were drawn from records");
        long records = long.Parse(stats.Groups["records"].Value, CultureInfo.InvariantCulture);
        // How many records are late depends on the machine's load (the delay absorbs a normal one); the behaviour is
        // that the avatar is drawn from records, so nearly all of them must be in time.
        Assert.True(late * 10 <= records, $"{late} of {records} records arrived after their moment was drawn");

        var recording = Assert.Single(nginx.Recordings());
        var probe = ProcessRunner.Run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width,height,r_frame_rate:format=duration", "-of", "json", recording],
            TimeSpan.FromSeconds(20));
        output.WriteLine(probe);
        using var doc = JsonDocument.Parse(probe);
        var codecs = doc.RootElement.GetProperty("streams").EnumerateArray().Select(s => s.GetProperty("codec_name").GetString()!).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["aac", "h264"], codecs);
        double duration = double.Parse(doc.RootElement.GetProperty("format").GetProperty("duration").GetString()!, CultureInfo.InvariantCulture);
        Assert.True(duration >= 15, $"the recording lasts {duration:F1} s");

        // The mouth drawn from the records against the speech read back from KVS, as a viewer of the stream sees them.
        var sync = await LipSyncMeter.MeasureAsync(recording);
        output.WriteLine("live avatar over RTMP: " + sync.Describe());
        Assert.True(sync.Correlation > 0.3, "mouth and speech do not correlate: " + sync.Describe());
        Assert.True(sync.WithinBt1359, sync.Describe());
    }

    [GeneratedRegex(@"avatar: (?<frames>\d+) frames \((?<fromRecords>\d+) from records\), (?<records>\d+) records \((?<late>\d+) late\)")]
    private static partial Regex StatsLine();
}
