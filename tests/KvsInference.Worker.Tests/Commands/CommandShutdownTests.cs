using System.Globalization;
using System.Text.RegularExpressions;
using KvsInference.TestSupport;
using KvsInference.Tests.EndToEnd;

namespace KvsInference.Tests.Commands;

/// <summary>Every long-running command of the worker executable, run as a process: SIGTERM or SIGINT stops it with exit code 0.</summary>
public sealed class CommandShutdownTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    // Far above the time a command needs (under a second here) and within the worker's 30 s graceful shutdown.
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string command in new[] { "run", "serve", "peer", "media serve", "avatar-stream" })
        {
            foreach (string signal in new[] { "TERM", "INT" }) data.Add(command, signal);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task LongRunningCommand_Signal_ExitsWithZero(string command, string signal)
    {
        string dir = Directory.CreateTempSubdirectory("kvsi-shutdown-").FullName;
        using var nginx = command == "avatar-stream" ? new NginxRtmpServer() : null;
        if (nginx is not null)
        {
            Assert.True(NginxRtmpServer.IsInstalled, "nginx and libnginx-mod-rtmp are required (scripts/setup installs them)");
            nginx.Start();
        }
        var (arguments, environment, ready) = Launch(command, dir, nginx);
        using var harness = new FleetHarness();
        using var child = harness.StartWorkerProcess(command, arguments, environment);
        await child.WaitForLineAsync(ready, StartTimeout);

        ProcessRunner.Run("kill", ["-" + signal, child.Id.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));

        Assert.True(await child.WaitForExitAsync(ExitTimeout), $"{command} still runs {ExitTimeout.TotalSeconds} s after SIG{signal}:\n{harness.Diagnostics()}");
        Assert.True(child.ExitCodeOrNull == 0, $"{command} exited {child.ExitCodeOrNull} after SIG{signal}:\n{harness.Diagnostics()}");
    }

    /// <summary>The arguments, environment and the line that says the command is up and serving.</summary>
    private static (string[] Arguments, Dictionary<string, string>? Environment, Regex Ready) Launch(string command, string dir, NginxRtmpServer? nginx)
    {
        string port = FleetHarness.FreePort().ToString(CultureInfo.InvariantCulture);
        switch (command)
        {
            case "run":
                var settings = FleetHarness.LocalWorkerSettings(dir, sampleStreams: 1);
                settings["KVSI__Sink__File"] = Path.Combine(dir, "records.jsonl");
                // Logged once the host has started (its web server listens).
                return ([], settings, new Regex("Meeting page: http"));
            case "serve":
                return (["serve", "--urls", $"http://127.0.0.1:{port}"], null, new Regex(@"serving \S+ on http"));
            case "peer":
                return (["peer", "--ws-port", "0", "--wss-port", "-1", "--stun-port", "-1"], null, new Regex("Ctrl\\+C stops"));
            case "media serve":
                return (["media", "serve", "--port", "0", "--data-dir", Path.Combine(dir, "media")], null, new Regex(@"media store on http"));
            case "avatar-stream":
                // Live: follows a records file and the speech of a stream (its store is not there; the feed keeps retrying).
                return (["avatar-stream", "--follow", "--records", Path.Combine(dir, "records.jsonl"), "--stream", "s", "--kvs-url", $"http://127.0.0.1:{port}",
                    "--rtmp", nginx!.LiveUrl("shutdown").ToString()], null, new Regex("avatar-stream: following"));
            default:
                throw new ArgumentOutOfRangeException(nameof(command), command, null);
        }
    }
}
