using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace KvsInference.TestSupport;

/// <summary>
/// A test script of tools/node-tests run by node, the .NET side every browser test shares (and the scripts that run
/// official AWS clients against our stand-ins, which need no browser but the same handling). Playwright drives
/// Debian's headless Chromium from the script; tools/node-tests/browser.js owns what happens there (Chromium's flags:
/// a WAV file as the fake microphone, autoplay, software WebGL when asked; waiting for a page condition with what was
/// awaited and its last value in the failure; the one <c>RESULT {...}</c> line). This class owns the rest: the
/// prerequisites, checked with what to run when they are missing; the script's output, collected line by line; a
/// bounded wait whose failure names the script and shows its output; the artifacts folder CI keeps; and no Chromium
/// left behind. Playwright starts Chromium as the leader of its own process group, which outlives node when node is
/// killed; so every profile of this run lives under one directory, and disposal ends node, then every process group
/// whose leader's command line names that directory, then removes it.
/// </summary>
public sealed class BrowserScript : IAsyncDisposable
{
    /// <summary>The node scripts and their packages (scripts/setup runs <c>npm ci</c> there).</summary>
    public static string ToolDirectory { get; } = Path.Combine(TestPaths.RepoRoot, "tools", "node-tests");

    /// <summary>The screenshots CI keeps as artifacts: <c>artifacts/screenshots/</c> under the repository root.</summary>
    public static string Screenshots { get; } = Path.Combine(TestPaths.RepoRoot, "artifacts", "screenshots");

    private const string Chromium = "/usr/bin/chromium";

    private readonly Process _node;
    private readonly string _profiles;
    private readonly List<string> _lines = [];
    private readonly Action<string>? _onLine;

    private BrowserScript(string script, Process node, string profiles, Action<string>? onLine)
    {
        Script = script;
        _node = node;
        _profiles = profiles;
        _onLine = onLine;
    }

    /// <summary>The script's file name (or node's first argument), for messages.</summary>
    public string Script { get; }

    /// <summary>The directory every Chromium profile of this script is made in (tools/node-tests/browser.js).</summary>
    public string ProfileDirectory => _profiles;

    /// <summary>What the script printed so far, standard output and error as they came.</summary>
    public string Output
    {
        get
        {
            lock (_lines) return string.Join('\n', _lines);
        }
    }

    /// <summary>
    /// Throws, saying what to run, unless node's packages (<paramref name="package"/> in tools/node-tests/node_modules) and,
    /// when <paramref name="chromium"/>, Debian's Chromium are installed.
    /// </summary>
    /// <param name="package">The npm package the script needs.</param>
    /// <param name="chromium">Whether the script starts Chromium.</param>
    public static void RequireTools(string package = "playwright-core", bool chromium = true)
    {
        if (!Directory.Exists(Path.Combine(ToolDirectory, "node_modules", package)))
        {
            throw new InvalidOperationException($"{package} is not installed: run `npm ci` in {ToolDirectory} (scripts/setup does it)");
        }
        if (chromium && !File.Exists(Chromium))
        {
            throw new InvalidOperationException($"Debian's chromium is needed at {Chromium} (scripts/setup installs it)");
        }
    }

    /// <summary>Throws, saying what to run, unless the 3D avatar's libraries were copied into the test's build output.</summary>
    public static void RequireAvatarLibraries()
    {
        if (!File.Exists(Path.Combine(AppContext.BaseDirectory, "meeting-vendor", "three", "build", "three.module.js")))
        {
            throw new InvalidOperationException(
                "the 3D libraries are not in the build output: run scripts/setup (npm ci in src/KvsInference.Meeting/vendor), then build");
        }
    }

    /// <summary>
    /// The path of a screenshot named <paramref name="name"/> in <see cref="Screenshots"/>, the folder created.
    /// </summary>
    /// <param name="name">The file name, e.g. <c>meeting-master.png</c>.</param>
    public static string ScreenshotPath(string name) => Path.Combine(Directory.CreateDirectory(Screenshots).FullName, name);

    /// <summary>
    /// Speaks <paramref name="text"/> with espeak-ng into a 48 kHz mono 16-bit WAV in a new temporary directory, the
    /// format Chromium's fake microphone plays (in a loop); <paramref name="soxEffects"/> (e.g. <c>pad 0 2.5</c>) shape it.
    /// </summary>
    /// <param name="text">What is said.</param>
    /// <param name="soxEffects">sox effects applied after the conversion.</param>
    /// <returns>The WAV's path.</returns>
    public static string SpeechWav(string text, params string[] soxEffects)
    {
        var directory = Directory.CreateTempSubdirectory("kvsi-speech-").FullName;
        var raw = Path.Combine(directory, "speech-raw.wav");
        var wav = Path.Combine(directory, "speech.wav");
        ProcessRunner.Run("espeak-ng", ["-v", "en-us", "-s", "150", "-w", raw, text]);
        ProcessRunner.Run("sox", [raw, "-r", "48000", "-c", "1", "-b", "16", "-e", "signed-integer", wav, .. soxEffects]);
        return wav;
    }

    /// <summary>
    /// Starts <c>node <paramref name="script"/> <paramref name="arguments"/></c> in <see cref="ToolDirectory"/>.
    /// </summary>
    /// <param name="script">The script (or node's first argument, e.g. <c>-e</c>).</param>
    /// <param name="arguments">The script's arguments.</param>
    /// <param name="onLine">Called with each line the script prints (on a thread-pool thread), e.g. to act on requests.</param>
    /// <param name="environment">Variables to set for node.</param>
    public static BrowserScript Start(string script, IEnumerable<string> arguments, Action<string>? onLine = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var profiles = Directory.CreateTempSubdirectory("kvsi-browser-").FullName;
        var psi = new ProcessStartInfo("node")
        {
            WorkingDirectory = ToolDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(script);
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) psi.Environment[key] = value;
        // browser.js makes every Chromium profile of this script here: how disposal finds a Chromium node left behind.
        psi.Environment["KVSI_BROWSER_PROFILES"] = profiles;
        var node = new Process { StartInfo = psi };
        var run = new BrowserScript(script, node, profiles, onLine);
        node.OutputDataReceived += (_, e) => run.Add(e.Data);
        node.ErrorDataReceived += (_, e) => run.Add(e.Data);
        node.Start();
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();
        return run;
    }

    /// <summary>
    /// Runs a script to its end (<see cref="Start"/>, <see cref="WaitAsync"/>) and cleans up after it.
    /// </summary>
    /// <param name="script">The script.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="limit">How long it may run.</param>
    /// <param name="onTimeout">More to say when it does not finish in time (e.g. a worker's last log lines).</param>
    /// <param name="environment">Variables to set for node.</param>
    public static async Task<BrowserScriptRun> RunAsync(string script, IEnumerable<string> arguments, TimeSpan limit, Func<string>? onTimeout = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        await using var run = Start(script, arguments, environment: environment);
        return await run.WaitAsync(limit, onTimeout);
    }

    /// <summary>
    /// Waits for the script to exit. When it has not within <paramref name="limit"/>, stops it and everything it started
    /// and throws a <see cref="TimeoutException"/> naming the script, with its output and what <paramref name="onTimeout"/> adds.
    /// </summary>
    /// <param name="limit">How long it may run.</param>
    /// <param name="onTimeout">More to say when it does not finish in time.</param>
    public async Task<BrowserScriptRun> WaitAsync(TimeSpan limit, Func<string>? onTimeout = null)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await _node.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await StopAsync();
            throw new TimeoutException(
                $"{Script} did not finish within {limit.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; its output:\n{Output}" +
                (onTimeout is null ? "" : "\n" + onTimeout()));
        }
        _node.WaitForExit(); // the last lines of output
        return new BrowserScriptRun(Script, _node.ExitCode, Output);
    }

    /// <summary>Ends node (if it still runs), every Chromium it started, and removes their profiles.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_profiles, recursive: true);
        }
        catch (IOException)
        {
            // A Chromium that was just killed may still be closing a file; a profile left in /tmp is no failure.
        }
        catch (UnauthorizedAccessException)
        {
        }
        _node.Dispose();
    }

    private void Add(string? line)
    {
        if (line is null) return;
        lock (_lines) _lines.Add(line);
        _onLine?.Invoke(line);
    }

    private async Task StopAsync()
    {
        if (!HasExited(_node))
        {
            // SIGTERM first: Playwright then closes Chromium itself; what is left after 3 s is killed.
            Signal(_node.Id, "TERM");
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            try
            {
                await _node.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _node.Kill(entireProcessTree: true);
            }
        }
        // A Chromium that leads its process group (as Playwright starts it) goes with its whole group: its zygote and
        // renderers; any other only by itself, so that a group it shares with this test host is never signalled.
        foreach (var (pid, group) in ChromiumProcesses(_profiles)) Signal(pid == group ? -group : pid, "KILL");
        // kill(1) returns once the signal is sent, not once the processes are gone: on a busy machine a killed Chromium
        // may take a while to be scheduled and exit, so wait for it (bounded: one that outlives SIGKILL is reported by
        // the caller's own check, not hidden here).
        for (var until = DateTime.UtcNow.AddSeconds(10); ChromiumProcesses(_profiles).Count > 0 && DateTime.UtcNow < until;)
        {
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// The Chromium processes (id, process group) whose command line names a profile under <paramref name="profiles"/>.
    /// </summary>
    /// <param name="profiles">The directory the profiles are made in (<see cref="ProfileDirectory"/>).</param>
    public static IReadOnlyList<(int Pid, int Group)> ChromiumProcesses(string profiles)
    {
        var found = new List<(int, int)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                if (!File.ReadAllText(Path.Combine(dir, "cmdline")).Contains("--user-data-dir=" + profiles, StringComparison.Ordinal)) continue;
                // /proc/<pid>/stat: "pid (comm) state ppid pgrp ...", comm may hold spaces and parentheses.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                found.Add((pid, int.Parse(fields[2], CultureInfo.InvariantCulture)));
            }
            catch (IOException)
            {
                // The process ended while it was read.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    private static bool HasExited(Process process)
    {
        try
        {
            return process.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true; // never started
        }
    }

    // kill(1): a negative id is a process group. A process that is already gone is no failure.
    private static void Signal(int id, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, "--", id.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardError = true, UseShellExecute = false,
        })!;
        kill.StandardError.ReadToEnd();
        kill.WaitForExit();
    }
}

/// <summary>How a <see cref="BrowserScript"/> ended: its exit code and output.</summary>
/// <param name="Script">The script.</param>
/// <param name="ExitCode">0 when every check of the script passed (tools/node-tests/browser.js: finish).</param>
/// <param name="Output">Its standard output and error.</param>
public sealed record BrowserScriptRun(string Script, int ExitCode, string Output)
{
    /// <summary>Whether the script exited 0.</summary>
    public bool Passed => ExitCode == 0;

    /// <summary>The script's one <c>RESULT {...}</c> line, parsed; throws naming the script when there is none.</summary>
    public JsonElement Result
    {
        get
        {
            var line = Output.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"{Script} printed no RESULT line:\n{Output}");
            return JsonDocument.Parse(line["RESULT ".Length..]).RootElement.Clone();
        }
    }
}
