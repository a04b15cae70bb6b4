using System.Diagnostics;
using System.Net.Http.Headers;
using KvsInference.Avatar.Serving;
using KvsInference.Inference;

namespace KvsInference.Benchmarks;

/// <summary>
/// `serve-ping [--clients 50] [--seconds 15] [--mb 5.8]`: /ping latency of the model server (loopback) while
/// <c>clients</c> callers send <c>mb</c>-MB invocations back to back. Three phases in one run: idle (baseline), under load
/// with the default bounds (inference slots = processor count), and under load with the bound lifted (1024 slots, as
/// before the bound). Prints p50/p99/max of /ping per phase and the invocation outcomes; every phase stops by itself.
/// SageMaker marks a container unhealthy when /ping takes over 2 s.
/// </summary>
internal static class ServePingCommand
{
    public static int Run(string[] args)
    {
        int clients = IntArg(args, "--clients", 50);
        int seconds = IntArg(args, "--seconds", 15);
        double mb = args.SkipWhile(a => a != "--mb").Skip(1).Select(a => double.Parse(a, System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault(5.8);
        if (clients < 1 || seconds < 1 || mb <= 0)
        {
            Console.Error.WriteLine("serve-ping: --clients, --seconds and --mb must be positive.");
            return 2;
        }
        // One instance whose base64 pcm16 makes the body about mb MB (4 base64 characters per 3 bytes, 2 bytes a sample).
        int samples = (int)(mb * 1024 * 1024 * 3 / 4 / 2);
        var rng = new Random(1);
        var pcm = Enumerable.Range(0, samples).Select(i => (short)(4000 * Math.Sin(i * 0.07) + rng.Next(-500, 500))).ToArray();
        var body = InferenceJson.SerializeRequest([new InferenceInstance { Id = "load", SampleRate = 16000, Pcm = pcm }]);
        Console.WriteLine($"serve-ping: {clients} clients x {body.Length / 1048576.0:F1} MB invocations, {seconds} s per loaded phase, {Environment.ProcessorCount} cores");

        var idle = Phase("idle", body, 0, seconds, null).GetAwaiter().GetResult();
        var bounded = Phase("load, bounded (default)", body, clients, seconds, null).GetAwaiter().GetResult();
        var unbounded = Phase("load, unbounded (1024 slots)", body, clients, seconds, 1024).GetAwaiter().GetResult();
        Console.WriteLine($"/ping p99 under load vs idle: bounded {bounded / idle:F1}x, unbounded {unbounded / idle:F1}x");
        return 0;
    }

    /// <summary>Runs one phase on a fresh server and returns /ping's p99 in ms.</summary>
    private static async Task<double> Phase(string name, byte[] body, int clients, int seconds, int? slots)
    {
        var options = new ModelServerOptions { Urls = "http://127.0.0.1:0", ModelDirectory = "/nonexistent" };
        if (slots is { } n)
        {
            options.MaxConcurrentInvocations = n;
            options.MaxQueuedInvocations = 100_000;
        }
        await using var server = await ModelServer.StartAsync(options);
        var baseAddress = new Uri(server.Addresses[0]);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients + 1 }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(120) };
        int ok = 0, busy = 0, failed = 0;
        var load = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var content = new ByteArrayContent(body);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    using var response = await http.PostAsync("/invocations", content, stop.Token);
                    if (response.IsSuccessStatusCode) Interlocked.Increment(ref ok);
                    else if ((int)response.StatusCode == 503) Interlocked.Increment(ref busy);
                    else Interlocked.Increment(ref failed);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        })).ToList();

        // /ping on its own connection every 50 ms, as a health checker would.
        using var pinger = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var latencies = new List<double>();
        var phase = Stopwatch.StartNew();
        while (phase.Elapsed < TimeSpan.FromSeconds(clients == 0 ? Math.Min(seconds, 5) : seconds))
        {
            var clock = Stopwatch.StartNew();
            using (var response = await pinger.GetAsync("/ping"))
            {
                response.EnsureSuccessStatusCode();
            }
            latencies.Add(clock.Elapsed.TotalMilliseconds);
            await Task.Delay(50);
        }
        await stop.CancelAsync();
        await Task.WhenAll(load);
        latencies.Sort();
        double P(double q) => latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        Console.WriteLine($"{name,-30} /ping n={latencies.Count} p50 {P(0.5):F1} ms, p99 {P(0.99):F1} ms, max {latencies[^1]:F1} ms, over 2 s: {latencies.Count(l => l > 2000)}"
            + (clients == 0 ? "" : $"; invocations ok {ok}, 503 {busy}, failed {failed}"));
        return Math.Max(P(0.99), 0.001);
    }

    private static int IntArg(string[] args, string name, int fallback) =>
        args.SkipWhile(a => a != name).Skip(1).Select(a => int.Parse(a, System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault(fallback);
}
