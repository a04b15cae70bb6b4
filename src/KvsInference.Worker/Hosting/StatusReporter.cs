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
        var totals = new StatusTotals();
        long last = time.GetTimestamp();
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var processors = service.Worker?.Processors ?? [];
                long frames = totals.Advance(processors.Select(p => ((object)p, p.Stats.FramesProcessed, p.Stats.RecordsWritten)));
                var elapsed = time.GetElapsedTime(last).TotalSeconds;
                last = time.GetTimestamp();
                var latencies = processors.Select(p => p.Stats.LastLatencyMs).OfType<double>().ToList();
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"status: streams {processors.Count} | frames/s {frames / Math.Max(elapsed, 0.001):0} | records {totals.Records} | latency {(latencies.Count > 0 ? latencies.Average().ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "-")} | behind {(processors.Select(p => p.Stats.MillisBehindNow).OfType<long>().DefaultIfEmpty(0).Max())} ms"));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
