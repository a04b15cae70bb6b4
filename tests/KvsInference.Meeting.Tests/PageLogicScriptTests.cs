using KvsInference.TestSupport;

namespace KvsInference.Tests.Meeting;

/// <summary>
/// The meeting page's plain logic (classic scripts in wwwroot), each run in node by its checks in tools/node-tests:
/// voice-delay.js, the delay choice from injected latencies and microphone levels (p95 + margin, raised at once, lowered
/// only across silence, in steps when the pauses are shorter than the fall); media-clock.js, how far the recording's
/// clock has fallen behind the page's, from injected record timestamps (nothing for a jittering or briefly stalled
/// upload, the lost time once a capture stall has left the recording's clock behind); webm-writer.js, the upload's WebM
/// of 20 ms Opus packets, read back by ffmpeg, ffprobe and mkvinfo (the same samples as the Ogg the packets came from,
/// every packet at its timecode across a gap, Clusters every clusterMs, bad input refused).
/// </summary>
public sealed class PageLogicScriptTests
{
    [Theory]
    [InlineData("voice-delay", 11)]
    [InlineData("media-clock", 5)]
    [InlineData("webm-writer", 4)]
    public async Task Script_InjectedInputs_EveryCheckPasses(string name, int checks)
    {
        string script = Path.Combine(TestPaths.RepoRoot, "tools", "node-tests", name + ".test.js");
        string module = Path.Combine(TestPaths.RepoRoot, "src", "KvsInference.Meeting", "wwwroot", name + ".js");
        var (exitCode, stdout, stderr) = await ProcessRunner.RunAsync("node", [script, module], new Dictionary<string, string?>(), null, TimeSpan.FromSeconds(120));
        Assert.True(exitCode == 0, stdout + stderr);
        Assert.Contains($"RESULT {{\"passed\":{checks},\"failed\":[]}}", stdout);
    }
}
