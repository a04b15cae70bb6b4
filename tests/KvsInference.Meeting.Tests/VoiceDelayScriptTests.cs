using KvsInference.TestSupport;

namespace KvsInference.Tests.Meeting;

/// <summary>
/// The meeting page's delay choice (wwwroot/voice-delay.js), run in node from injected record latencies and
/// microphone levels by tools/node-tests/voice-delay.test.js: p95 + margin, raised at once, lowered only across silence
/// (in steps when the pauses are shorter than the fall).
/// </summary>
public sealed class VoiceDelayScriptTests
{
    [Fact]
    public async Task VoiceDelay_InjectedLatenciesAndMicrophone_FollowsMeasurementAndLowersOnlyInSilence()
    {
        string script = Path.Combine(TestPaths.RepoRoot, "tools", "node-tests", "voice-delay.test.js");
        string module = Path.Combine(TestPaths.RepoRoot, "src", "KvsInference.Meeting", "wwwroot", "voice-delay.js");
        var (exitCode, stdout, stderr) = await ProcessRunner.RunAsync("node", [script, module], new Dictionary<string, string?>(), null, TimeSpan.FromSeconds(120));
        Assert.True(exitCode == 0, stdout + stderr);
        Assert.Contains("RESULT {\"passed\":10,\"failed\":[]}", stdout);
    }
}
