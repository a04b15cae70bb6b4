using System.Diagnostics;
using System.Text.Json;
using KvsInference.TestSupport;

namespace KvsInference.Cdk.Tests;

/// <summary>Runs only where the aws-cdk CLI is installed (scripts/setup installs it); never skipped under CI=true.</summary>
public sealed class CdkCliFactAttribute : FactAttribute
{
    /// <summary>The CLI installed from tools/emulators/package.json.</summary>
    public static string CliPath => Path.Combine(TestPaths.RepoRoot, "tools", "emulators", "node_modules", ".bin", "cdk");

    public CdkCliFactAttribute()
    {
        if (!File.Exists(CliPath) && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Skip = "aws-cdk CLI not installed: run scripts/setup";
        }
    }
}

public sealed class CdkSynthTests
{
    [CdkCliFact]
    public void CdkSynth_RepositoryCdkJson_WritesTemplateAndDockerContextOffline()
    {
        Assert.True(File.Exists(CdkCliFactAttribute.CliPath), $"{CdkCliFactAttribute.CliPath} missing: run scripts/setup");
        var outDir = Directory.CreateTempSubdirectory("kvsi-cdk-synth-").FullName;
        var psi = new ProcessStartInfo(CdkCliFactAttribute.CliPath)
        {
            WorkingDirectory = TestPaths.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "synth", "--quiet", "--no-notices", "--no-version-reporting", "-o", outDir }) psi.ArgumentList.Add(a);
        // An environment-agnostic synth: no account, no credentials, no network.
        psi.Environment.Remove("CDK_DEFAULT_ACCOUNT");
        psi.Environment.Remove("CDK_DEFAULT_REGION");
        psi.Environment["CDK_DISABLE_CLI_TELEMETRY"] = "true";
        psi.Environment["JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION"] = "1";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(4)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("cdk synth did not finish within 4 minutes");
        }
        Assert.True(process.ExitCode == 0, $"cdk synth exited {process.ExitCode}: {stderr.Result}{stdout.Result}");

        var templatePath = Path.Combine(outDir, "kvs-inference.template.json");
        Assert.True(File.Exists(templatePath), $"no template in {outDir}: {string.Join(", ", Directory.GetFileSystemEntries(outDir))}");
        using var template = JsonDocument.Parse(File.ReadAllText(templatePath));
        var types = template.RootElement.GetProperty("Resources").EnumerateObject().Select(r => r.Value.GetProperty("Type").GetString()).ToHashSet();
        Assert.Contains("AWS::ECS::Service", types);
        Assert.Contains("AWS::DynamoDB::Table", types);
        Assert.Contains("AWS::Kinesis::Stream", types);

        // The staged Docker context (what `docker build` will get) holds the Dockerfile and every project the
        // worker builds from, and nothing the .dockerignore leaves out.
        var asset = Assert.Single(Directory.GetDirectories(outDir, "asset.*"));
        Assert.True(File.Exists(Path.Combine(asset, "Dockerfile")));
        foreach (var file in new[] { "global.json", "Directory.Build.props", "Directory.Packages.props" })
        {
            Assert.True(File.Exists(Path.Combine(asset, file)), $"{file} missing from the Docker context");
        }
        foreach (var project in WorkerProjectClosure())
        {
            Assert.True(File.Exists(Path.Combine(asset, project)), $"{project} missing from the Docker context");
        }
        // The worker project copies the embedded default's sample speech to its output: without it the publish fails.
        Assert.True(File.Exists(Path.Combine(asset, "samples", "media", "speech.webm")), "samples/media/speech.webm missing from the Docker context");
        Assert.False(Directory.Exists(Path.Combine(asset, "src", "KvsInference.Cdk")));
        Assert.False(Directory.Exists(Path.Combine(asset, "tests")));
        Assert.Empty(Directory.GetDirectories(asset, "bin", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetDirectories(asset, "obj", SearchOption.AllDirectories));
    }

    [Fact]
    public void Dockerfile_Repository_PublishesWorkerOnDebianRuntimeAsNonRoot()
    {
        var dockerfile = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "Dockerfile"));
        Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build", dockerfile);
        Assert.Contains("RUN dotnet publish src/KvsInference.Worker -c Release -r linux-x64 --self-contained false -o /app", dockerfile);
        // Debian 12 runtime: the native libraries are the ones the tests load (libavcodec 59's struct layout).
        Assert.Contains("FROM debian:bookworm-slim AS runtime", dockerfile);
        Assert.Contains("COPY --from=dotnet /usr/share/dotnet /usr/share/dotnet", dockerfile);
        Assert.Contains("libopus0 libavcodec59 libswresample4", dockerfile);
        Assert.Contains("curl", dockerfile);
        Assert.Contains("USER 1654", dockerfile);
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"/app/KvsInference.Worker.dll\"]", dockerfile);
        Assert.True(File.Exists(Path.Combine(TestPaths.RepoRoot, "src", "KvsInference.Worker", "KvsInference.Worker.csproj")));
    }

    /// <summary>The worker project and every project it references, transitively, relative to the repository root.</summary>
    private static IReadOnlyCollection<string> WorkerProjectClosure()
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.Combine(TestPaths.RepoRoot, "src", "KvsInference.Worker", "KvsInference.Worker.csproj")]);
        while (pending.TryPop(out var project))
        {
            if (!found.Add(Path.GetRelativePath(TestPaths.RepoRoot, project))) continue;
            var xml = System.Xml.Linq.XDocument.Load(project);
            foreach (var reference in xml.Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")!.Value.Replace('\\', '/');
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, include)));
            }
        }
        return found;
    }
}
