using System.Diagnostics;

namespace KvsInference.TestSupport;

/// <summary>Runs the external tools tests use to make real media (ffmpeg, mkvmerge, espeak-ng) and fails clearly.</summary>
public static class ProcessRunner
{
    /// <summary>Runs a program to completion and returns its standard output; throws with stderr on a non-zero exit.</summary>
    public static string Run(string fileName, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', psi.ArgumentList)} timed out");
        }
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', psi.ArgumentList)} exited {p.ExitCode}: {stderr.Result}");
        }
        return stdout.Result;
    }

    /// <summary>
    /// Runs a program to completion without blocking a thread and returns its exit code and output; kills it (and its
    /// children) and throws after <paramref name="timeout"/>.
    /// </summary>
    /// <param name="fileName">The program.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="environment">Variables to set (a null value removes the variable).</param>
    /// <param name="workingDirectory">The working directory, or null for the current one.</param>
    /// <param name="timeout">How long it may run.</param>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string fileName, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?> environment, string? workingDirectory, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment)
        {
            if (v is null) psi.Environment.Remove(k);
            else psi.Environment[k] = v;
        }
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', psi.ArgumentList)} did not finish within {timeout}");
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs ffmpeg quietly with the given arguments (-y and -loglevel error are added).</summary>
    public static void Ffmpeg(params string[] arguments) =>
        Run("ffmpeg", new[] { "-hide_banner", "-loglevel", "error", "-y" }.Concat(arguments));
}
