using KvsInference.TestSupport;

namespace KvsInference.Tests.Meeting;

/// <summary>
/// The meeting page's estimate of how far the recording's clock has fallen behind the page's (wwwroot/media-clock.js),
/// run in node from injected record timestamps by tools/node-tests/media-clock.test.js: nothing for a jittering or
/// briefly stalled upload, the lost time once a capture stall has left the recording's clock behind.
/// </summary>
public sealed class MediaClockScriptTests
{
    [Fact]
    public async Task MediaClock_InjectedRecordTimestamps_CorrectsOnlyALastingLag()
    {
        string script = Path.Combine(TestPaths.RepoRoot, "tools", "node-tests", "media-clock.test.js");
        string module = Path.Combine(TestPaths.RepoRoot, "src", "KvsInference.Meeting", "wwwroot", "media-clock.js");
        var (exitCode, stdout, stderr) = await ProcessRunner.RunAsync("node", [script, module], new Dictionary<string, string?>(), null, TimeSpan.FromSeconds(120));
        Assert.True(exitCode == 0, stdout + stderr);
        Assert.Contains("RESULT {\"passed\":5,\"failed\":[]}", stdout);
    }
}
