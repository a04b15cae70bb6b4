using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using KvsInference.Aws.Generated.Kinesis;
using KvsInference.Aws.Kinesis;
using KvsInference.TestSupport;

namespace KvsInference.Tests.EndToEnd;

/// <summary>
/// Runs the built worker (<c>dotnet KvsInference.Worker.dll ...</c>) as real processes for the end-to-end tests: captures
/// their output, waits for lines, kills every process it started when disposed, and reads the lease table and the
/// Kinesis output the way an operator would.
/// </summary>
internal sealed class FleetHarness : IDisposable
{
    private readonly List<ChildProcess> _processes = [];

    public FleetHarness()
    {
        // The worker built in the configuration this test assembly was built in (the test project references it).
        string configuration = typeof(FleetHarness).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        WorkerDll = Path.Combine(TestPaths.RepoRoot, "src", "KvsInference.Worker", "bin", configuration, "net10.0", "KvsInference.Worker.dll");
        if (!File.Exists(WorkerDll)) throw new InvalidOperationException($"The worker is not built: {WorkerDll} is missing.");
    }

    public string WorkerDll { get; }

    public IReadOnlyList<ChildProcess> Processes => _processes;

    public ChildProcess StartWorkerProcess(string name, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        // Through env, which execs dotnet (same PID) with SIGINT's default handling: a test run started in the background
        // by a non-interactive shell inherits SIGINT ignored, the runtime keeps an inherited ignore (as nohup expects), and
        // the worker could not be stopped by SIGINT as from a terminal.
        var psi = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = TestPaths.Scratch,
        };
        psi.ArgumentList.Add("--default-signal=INT");
        psi.ArgumentList.Add("dotnet");
        psi.ArgumentList.Add(WorkerDll);
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        // The children see only the AWS settings given here, never those of the machine running the tests.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("AWS_", StringComparison.Ordinal) || k.StartsWith("KVSI__", StringComparison.Ordinal)).ToList())
        {
            psi.Environment.Remove(key);
        }
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) psi.Environment[key] = value;
        var child = new ChildProcess(name, psi);
        lock (_processes) _processes.Add(child);
        return child;
    }

    /// <summary>
    /// The settings of a worker in local mode (as `dotnet run` with no arguments) for a test: its own store directory
    /// under <paramref name="dir"/>, the given number of demo streams, a free ops port and no status lines.
    /// </summary>
    public static Dictionary<string, string> LocalWorkerSettings(string dir, int sampleStreams) => new()
    {
        ["KVSI__Local__Enabled"] = "true",
        ["KVSI__Local__SampleStreams"] = sampleStreams.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["KVSI__Local__DataDirectory"] = Path.Combine(dir, "store"),
        ["KVSI__Metrics__Port"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["KVSI__Metrics__StatusSeconds"] = "0",
    };

    /// <summary>The last lines of every process, for a failure message.</summary>
    public string Diagnostics(int lines = 25)
    {
        var text = new StringBuilder();
        foreach (var p in _processes)
        {
            text.AppendLine($"--- {p.Name} (pid {p.Id}, {(p.HasExited ? $"exited {p.ExitCodeOrNull}" : "running")}), last {lines} lines:");
            foreach (var line in p.Tail(lines)) text.AppendLine("  " + line);
        }
        return text.ToString();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static AmazonDynamoDBClient DynamoDb() => new(new BasicAWSCredentials("test", "test"),
        new AmazonDynamoDBConfig { ServiceURL = Emulators.DynamoDbUrl, AuthenticationRegion = "us-east-1", MaxErrorRetry = 2 });

    /// <summary>Every lease row of the table (consistent read); empty while the workers have not created the table.</summary>
    public static async Task<List<LeaseRow>> ScanLeasesAsync(IAmazonDynamoDB client, string table, CancellationToken cancellationToken)
    {
        var rows = new List<LeaseRow>();
        Dictionary<string, AttributeValue>? start = null;
        try
        {
            do
            {
                var page = await client.ScanAsync(new ScanRequest { TableName = table, ConsistentRead = true, ExclusiveStartKey = start }, cancellationToken);
                foreach (var item in page.Items ?? [])
                {
                    string? S(string name) => item.TryGetValue(name, out var v) ? v.S : null;
                    rows.Add(new LeaseRow(S("leaseKey")!, S("streamName") ?? S("leaseKey")!, S("leaseOwner"), S("checkpoint"),
                        item.TryGetValue("leaseCounter", out var c) ? long.Parse(c.N, System.Globalization.CultureInfo.InvariantCulture) : 0));
                }
                start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
            }
            while (start is not null);
        }
        catch (ResourceNotFoundException)
        {
        }
        return rows;
    }

    public void Dispose()
    {
        lock (_processes)
        {
            foreach (var p in _processes) p.Dispose();
        }
    }
}

/// <summary>One row of the lease table, by its KCL attribute names.</summary>
internal sealed record LeaseRow(string LeaseKey, string StreamName, string? Owner, string? Checkpoint, long Counter);

/// <summary>A child process whose output lines are kept (stdout and stderr, in arrival order) for waits and diagnostics.</summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<(DateTime At, string Line)> _lines = new();
    private readonly SemaphoreSlim _lineArrived = new(0);

    public ChildProcess(string name, ProcessStartInfo psi)
    {
        Name = name;
        _process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data is null ? null : "[err] " + e.Data);
        if (!_process.Start()) throw new InvalidOperationException($"could not start {name}");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Id = _process.Id;
    }

    public string Name { get; }

    public int Id { get; }

    public bool HasExited => _process.HasExited;

    public int? ExitCodeOrNull => _process.HasExited ? _process.ExitCode : null;

    public IReadOnlyList<string> Lines => _lines.Select(l => l.Line).ToArray();

    /// <summary>The lines with the time each arrived here (UTC), for figures of when something happened.</summary>
    public IReadOnlyList<(DateTime At, string Line)> TimedLines => _lines.ToArray();

    public IEnumerable<string> Tail(int count) => _lines.Select(l => l.Line).ToArray().TakeLast(count);

    private void Add(string? line)
    {
        if (line is null) return;
        _lines.Enqueue((DateTime.UtcNow, line));
        _lineArrived.Release();
    }

    /// <summary>Waits for a line matching <paramref name="pattern"/> and returns the match; throws when the process exits or time runs out.</summary>
    public async Task<Match> WaitForLineAsync(Regex pattern, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            foreach (var (_, line) in _lines)
            {
                var m = pattern.Match(line);
                if (m.Success) return m;
            }
            if (_process.HasExited) throw new InvalidOperationException($"{Name} exited ({_process.ExitCode}) before printing /{pattern}/:\n{string.Join('\n', Tail(30))}");
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"{Name} did not print /{pattern}/ within {timeout}:\n{string.Join('\n', Tail(30))}");
            await _lineArrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>SIGKILL: the process dies at once, with no chance to release anything.</summary>
    public void KillHard() => _process.Kill();

    /// <summary>SIGTERM through kill(1): .NET's Process has no way to send it; the worker shuts down gracefully on it.</summary>
    public void Terminate() => ProcessRunner.Run("kill", ["-TERM", Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}

/// <summary>Reads every shard of a Kinesis stream from TRIM_HORIZON, remembering when each record was first seen.</summary>
internal sealed class KinesisTail(IAmazonKinesis client, string streamName)
{
    private readonly Dictionary<string, string?> _iterators = new(StringComparer.Ordinal);
    private readonly List<TailRecord> _records = [];

    public IReadOnlyList<TailRecord> Records => _records;

    /// <summary>Reads what every shard holds now; returns how many records were new.</summary>
    public async Task<int> PollAsync(CancellationToken cancellationToken)
    {
        if (_iterators.Count == 0)
        {
            foreach (var shard in await client.ListAllShardsAsync(streamName, cancellationToken))
            {
                _iterators[shard.ShardId!] = (await client.GetShardIteratorAsync(new GetShardIteratorRequest
                {
                    StreamName = streamName, ShardId = shard.ShardId, ShardIteratorType = KinesisShardIteratorType.TrimHorizon,
                }, cancellationToken)).ShardIterator;
            }
        }
        int added = 0;
        foreach (var shardId in _iterators.Keys.ToList())
        {
            // Bounded: a shard of this test holds a few thousand records at most.
            for (int page = 0; page < 100 && _iterators[shardId] is { } iterator; page++)
            {
                var answer = await client.GetRecordsAsync(new GetRecordsRequest { ShardIterator = iterator, Limit = 10_000 }, cancellationToken);
                _iterators[shardId] = answer.NextShardIterator;
                var seen = DateTime.UtcNow;
                foreach (var r in answer.Records!) _records.Add(new TailRecord(shardId, r.SequenceNumber!, r.PartitionKey!, r.Data!, seen));
                added += answer.Records!.Count;
                if (answer.Records!.Count == 0 || answer.MillisBehindLatest == 0) break;
            }
        }
        return added;
    }
}

/// <summary>A Kinesis record as read, with the time the reader first saw it.</summary>
internal sealed record TailRecord(string ShardId, string SequenceNumber, string PartitionKey, byte[] Data, DateTime SeenUtc);
