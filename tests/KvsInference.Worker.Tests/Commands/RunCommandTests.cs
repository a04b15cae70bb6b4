using KvsInference.Tests.EndToEnd;
using KvsInference.Worker.Hosting;

namespace KvsInference.Tests.Commands;

/// <summary>The worker process (the root command) with bad settings: every problem on stderr with its key, exit code 2.</summary>
public sealed class RunCommandTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Run_BadSettings_EveryProblemWithItsKeyAndExitCode2()
    {
        using var harness = new FleetHarness();
        var child = harness.StartWorkerProcess("bad-settings", [], new Dictionary<string, string>
        {
            ["KVSI__Processing__WindowDuration"] = "00:00:00.001",
            ["KVSI__Processing__MaxPendingWindows"] = "many",
            ["KVSI__Avatar__FrameRate"] = "7",
            ["KVSI__Streams__RefreshSeconds"] = "soon",
            ["KVSI__Metrics__Port"] = "0",
        });

        Assert.True(await child.WaitForExitAsync(ExitTimeout), $"the worker still runs with bad settings:\n{harness.Diagnostics()}");

        Assert.Equal(WorkerHost.ExitConfigurationError, child.ExitCodeOrNull);
        var errors = child.Lines.Where(l => l.StartsWith("[err]   KVSI:", StringComparison.Ordinal)).ToList();
        Assert.Contains("[err] Invalid configuration:", child.Lines);
        Assert.Contains(errors, e => e.StartsWith("[err]   KVSI:Processing:WindowDuration: ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("[err]   KVSI:Processing:MaxPendingWindows: ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("[err]   KVSI:Avatar:FrameRate: ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("[err]   KVSI:Streams:RefreshSeconds: 'soon' is not a number of seconds.", StringComparison.Ordinal));
        Assert.Equal(4, errors.Count);
    }
}
