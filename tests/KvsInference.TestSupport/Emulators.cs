using System.Diagnostics;
using System.Text.Json;

namespace KvsInference.TestSupport;

/// <summary>
/// The npm AWS emulators (dynalite for DynamoDB, kinesalite for Kinesis) on 127.0.0.1.
/// scripts/test starts them once and exports KVSI_DYNAMODB_URL / KVSI_KINESIS_URL; when those are
/// absent (a plain `dotnet test`), the first use starts tools/emulators/start.js for this test process.
/// </summary>
public static class Emulators
{
    private static readonly Lazy<(string DynamoDb, string Kinesis)> Urls = new(Start);

    /// <summary>The DynamoDB endpoint URL (dynalite).</summary>
    public static string DynamoDbUrl => Urls.Value.DynamoDb;

    /// <summary>The Kinesis endpoint URL (kinesalite).</summary>
    public static string KinesisUrl => Urls.Value.Kinesis;

    private static (string, string) Start()
    {
        var ddb = Environment.GetEnvironmentVariable("KVSI_DYNAMODB_URL");
        var kin = Environment.GetEnvironmentVariable("KVSI_KINESIS_URL");
        if (!string.IsNullOrEmpty(ddb) && !string.IsNullOrEmpty(kin)) return (ddb, kin);

        var dir = Path.Combine(TestPaths.RepoRoot, "tools", "emulators");
        if (!Directory.Exists(Path.Combine(dir, "node_modules")))
        {
            throw new InvalidOperationException($"The emulators are not installed: run `npm ci` in {dir} (scripts/test does it).");
        }
        var psi = new ProcessStartInfo("node", "start.js")
        {
            WorkingDirectory = dir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start node");
        // The emulators stop when our end of their stdin closes, that is when this test process exits.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { process.Kill(); } catch (InvalidOperationException) { } };
        var line = process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult()
            ?? throw new InvalidOperationException("the emulators exited before printing their ports");
        using var doc = JsonDocument.Parse(line);
        return (doc.RootElement.GetProperty("dynamodb").GetString()!, doc.RootElement.GetProperty("kinesis").GetString()!);
    }
}
