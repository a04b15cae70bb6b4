using KvsInference.TestSupport;

namespace KvsInference.Tests.Meeting;

/// <summary>
/// The browser tests' shared runner (TestSupport/BrowserScript.cs with tools/node-tests/browser.js): no Chromium is left
/// behind however the script ends, a script over its limit fails naming itself with its output, and a page condition
/// that never holds fails naming what was awaited and its last value.
/// </summary>
public sealed class BrowserScriptTests
{
    // Starts Chromium as the browser tests do (fake microphone), then does `then` (JavaScript, with `context` and `page`).
    private static string Script(string dir, string then)
    {
        var path = Path.Combine(dir, "script.js");
        File.WriteAllText(path, $$"""
            'use strict';
            const path = require('node:path');
            const { launchWithFakeMic, waitFor } = require(path.join(process.argv[2], 'browser'));
            (async () => {
              const context = await launchWithFakeMic(process.argv[3], 'browser-script-test-');
              const page = context.pages()[0] ?? await context.newPage();
              console.log('LAUNCHED');
              {{then}}
              process.exit(0);
            })().catch(e => { console.log('FAILED ' + e.message); process.exit(1); });
            """);
        return path;
    }

    private static (string Dir, string Wav) Setup()
    {
        BrowserScript.RequireTools();
        var dir = Directory.CreateTempSubdirectory("kvsi-browser-script-").FullName;
        var wav = Path.Combine(dir, "mic.wav");
        ProcessRunner.Run("sox", ["-n", "-r", "48000", "-c", "1", "-b", "16", wav, "synth", "1", "sine", "220", "vol", "0.1"]);
        return (dir, wav);
    }

    private static async Task WaitForLineAsync(BrowserScript script, string line)
    {
        for (var until = DateTime.UtcNow.AddSeconds(90); !script.Output.Split('\n').Contains(line);)
        {
            Assert.True(DateTime.UtcNow < until, $"no line '{line}' from the script within 90 s:\n{script.Output}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task DisposeAsync_ScriptStillRunning_EndsItsChromium()
    {
        var (dir, wav) = Setup();
        var script = BrowserScript.Start(Script(dir, "await new Promise(() => {});"), [BrowserScript.ToolDirectory, wav]);
        await using (script)
        {
            await WaitForLineAsync(script, "LAUNCHED");
            Assert.NotEmpty(BrowserScript.ChromiumProcesses(script.ProfileDirectory));
        }
        Assert.Empty(BrowserScript.ChromiumProcesses(script.ProfileDirectory));
    }

    // SIGKILL gives Playwright no chance to close Chromium, which leads its own process group and often lives on (not
    // always: it may also notice its closed pipe and exit by itself, which one CI run saw, so that is not asserted).
    [Fact]
    public async Task DisposeAsync_NodeKilledLeavingChromium_EndsThatChromium()
    {
        var (dir, wav) = Setup();
        var script = BrowserScript.Start(Script(dir, "process.kill(process.pid, 'SIGKILL');"), [BrowserScript.ToolDirectory, wav]);
        await using (script)
        {
            var run = await script.WaitAsync(TimeSpan.FromSeconds(90));
            Assert.False(run.Passed);
        }
        Assert.Empty(BrowserScript.ChromiumProcesses(script.ProfileDirectory));
    }

    [Fact]
    public async Task WaitFor_ConditionNeverHolds_FailsNamingWhatWasAwaitedAndItsLastValue()
    {
        var (dir, wav) = Setup();
        var run = await BrowserScript.RunAsync(Script(dir, """
            await page.setContent('<title>short</title>');
            await waitFor(page, () => document.title.length > 10, 'a long title', 500);
            """), [BrowserScript.ToolDirectory, wav], TimeSpan.FromSeconds(90));
        Assert.False(run.Passed, run.Output);
        Assert.Contains("FAILED timed out after 500 ms waiting for a long title (() => document.title.length > 10): its last value false; page state", run.Output);
    }

    [Fact]
    public async Task WaitAsync_ScriptOverItsLimit_ThrowsNamingTheScriptWithItsOutput()
    {
        BrowserScript.RequireTools(chromium: false);
        var path = Path.Combine(Directory.CreateTempSubdirectory("kvsi-browser-script-").FullName, "slow.js");
        await File.WriteAllTextAsync(path, "console.log('still working'); setInterval(() => {}, 1000);");
        await using var script = BrowserScript.Start(path, []);
        var e = await Assert.ThrowsAsync<TimeoutException>(() => script.WaitAsync(TimeSpan.FromSeconds(2)));
        Assert.Contains($"{path} did not finish within 2 s", e.Message);
        Assert.Contains("still working", e.Message);
    }

    [Fact]
    public void Result_NoResultLine_ThrowsNamingTheScript()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new BrowserScriptRun("x.js", 1, "boom").Result);
        Assert.Contains("x.js printed no RESULT line", e.Message);
    }
}
