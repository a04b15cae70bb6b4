using System.Globalization;
using KvsInference.Pipeline;
using Microsoft.Extensions.Hosting;

namespace KvsInference.Worker.Hosting;

/// <summary>Prints one status line every few seconds: streams held, frames/s, records, latency, checkpoints.</summary>
internal sealed class StatusReporter(KvsInferenceHostedService service, TimeSpan interval, TextWriter output, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (interval <= TimeSpan.Zero) return;
        long lastFrames = 0;
        long last = time.GetTimestamp();
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var processors = service.Worker?.Processors ?? [];
                long frames = processors.Sum(p => p.Stats.FramesProcessed);
                var elapsed = time.GetElapsedTime(last).TotalSeconds;
                last = time.GetTimestamp();
                var latencies = processors.Select(p => p.Stats.LastLatencyMs).OfType<double>().ToList();
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"status: streams {processors.Count} | frames/s {Math.Max(0, frames - lastFrames) / Math.Max(elapsed, 0.001):0} | records {processors.Sum(p => p.Stats.RecordsWritten)} | latency {(latencies.Count > 0 ? latencies.Average().ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "-")} | behind {(processors.Select(p => p.Stats.MillisBehindNow).OfType<long>().DefaultIfEmpty(0).Max())} ms"));
                lastFrames = frames;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
