using System.Text.Json;

namespace KvsInference.TestSupport;

/// <summary>
/// Runs the official AWS CLI (Debian's awscli, v2, installed by scripts/setup) against a local endpoint, with the given
/// keys and none of the machine's AWS settings (no config or credentials files, no AWS_* variables, no retries).
/// </summary>
public sealed class AwsCli(string accessKey, string secretKey, string region)
{
    /// <summary>Gets the CLI: Debian's /usr/bin/aws when present (a PATH entry may be an older pip install), else <c>aws</c>.</summary>
    public static string Executable { get; } = File.Exists("/usr/bin/aws") ? "/usr/bin/aws" : "aws";

    private static readonly string Home = Directory.CreateTempSubdirectory("kvsi-awscli-").FullName;

    /// <summary>Runs <c>aws &lt;args&gt; --endpoint-url &lt;endpoint&gt; --output json</c>.</summary>
    /// <returns>The exit code, the standard output and the standard error.</returns>
    public async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(Uri endpoint, params string[] args)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("AWS_", StringComparison.Ordinal)))
            environment[key] = null;
        environment["HOME"] = Home;
        environment["AWS_ACCESS_KEY_ID"] = accessKey;
        environment["AWS_SECRET_ACCESS_KEY"] = secretKey;
        environment["AWS_DEFAULT_REGION"] = region;
        environment["AWS_CONFIG_FILE"] = Path.Combine(Home, "config");
        environment["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(Home, "credentials");
        environment["AWS_PAGER"] = "";
        environment["AWS_MAX_ATTEMPTS"] = "1";
        environment["AWS_EC2_METADATA_DISABLED"] = "true";
        try
        {
            return await ProcessRunner.RunAsync(Executable, [.. args, "--endpoint-url", endpoint.ToString().TrimEnd('/'), "--output", "json"], environment, null, TimeSpan.FromMinutes(2));
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"The AWS CLI ({Executable}) could not be started ({e.Message}): run scripts/setup, which installs Debian's awscli.", e);
        }
    }

    /// <summary>Runs the CLI, asserts success and parses its JSON output (an empty output is <c>{}</c>).</summary>
    /// <exception cref="InvalidOperationException">The CLI failed; the message holds its error output.</exception>
    public async Task<JsonElement> OkAsync(Uri endpoint, params string[] args)
    {
        var (exit, stdout, stderr) = await RunAsync(endpoint, args);
        if (exit != 0) throw new InvalidOperationException($"aws {string.Join(' ', args)} exited {exit}: {stderr}");
        using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(stdout) ? "{}" : stdout);
        return doc.RootElement.Clone();
    }

    /// <summary>Runs the CLI, asserts it failed and returns its error output (which names the error code).</summary>
    /// <exception cref="InvalidOperationException">The CLI succeeded.</exception>
    public async Task<string> FailAsync(Uri endpoint, params string[] args)
    {
        var (exit, stdout, stderr) = await RunAsync(endpoint, args);
        if (exit == 0) throw new InvalidOperationException($"aws {string.Join(' ', args)} succeeded, expected an error: {stdout}");
        return stderr;
    }
}
