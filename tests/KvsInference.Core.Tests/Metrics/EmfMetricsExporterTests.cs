using System.Diagnostics.Metrics;
using System.Text.Json;
using KvsInference.Metrics;
using Microsoft.Extensions.Time.Testing;

namespace KvsInference.Tests.Metrics;

public sealed class EmfMetricsExporterTests
{
    private static readonly HashSet<string> CloudWatchUnits =
    [
        "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits",
        "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second",
        "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
        "Terabits/Second", "Count/Second", "None",
    ];

    private sealed class Harness : IDisposable
    {
        public Harness(Action<EmfExporterOptions>? configure = null)
        {
            // A meter name of its own so measurements of other tests running in parallel stay out.
            MeterName = "KvsInference.Tests.Emf." + Guid.NewGuid().ToString("N");
            Meter = new Meter(MeterName);
            var options = new EmfExporterOptions { MeterNamePrefix = MeterName, Dimensions = new Dictionary<string, string> { ["ServiceName"] = "kvsi-worker" } };
            configure?.Invoke(options);
            Exporter = new EmfMetricsExporter(options, Output, Time);
        }

        public string MeterName { get; }
        public Meter Meter { get; }
        public StringWriter Output { get; } = new();
        public FakeTimeProvider Time { get; } = new(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        public EmfMetricsExporter Exporter { get; }

        public List<JsonElement> Lines() => Output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

        public void Dispose()
        {
            Exporter.Dispose();
            Meter.Dispose();
        }
    }

    /// <summary>Checks one line against the EMF specification's required members and limits.</summary>
    private static void AssertValidEmf(JsonElement root)
    {
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        var aws = root.GetProperty("_aws");
        Assert.Equal(JsonValueKind.Number, aws.GetProperty("Timestamp").ValueKind);
        var directives = aws.GetProperty("CloudWatchMetrics");
        Assert.Equal(JsonValueKind.Array, directives.ValueKind);
        Assert.NotEqual(0, directives.GetArrayLength());
        foreach (var d in directives.EnumerateArray())
        {
            Assert.InRange(d.GetProperty("Namespace").GetString()!.Length, 1, 1024);
            foreach (var set in d.GetProperty("Dimensions").EnumerateArray())
            {
                Assert.InRange(set.GetArrayLength(), 0, 30);
                foreach (var name in set.EnumerateArray())
                {
                    Assert.Equal(JsonValueKind.String, root.GetProperty(name.GetString()!).ValueKind);
                }
            }
            var metrics = d.GetProperty("Metrics");
            Assert.InRange(metrics.GetArrayLength(), 1, 100);
            foreach (var m in metrics.EnumerateArray())
            {
                var name = m.GetProperty("Name").GetString()!;
                Assert.InRange(name.Length, 1, 1024);
                if (m.TryGetProperty("Unit", out var unit)) Assert.Contains(unit.GetString()!, CloudWatchUnits);
                var value = root.GetProperty(name);
                if (value.ValueKind == JsonValueKind.Array)
                {
                    Assert.InRange(value.GetArrayLength(), 1, 100);
                    Assert.All(value.EnumerateArray(), v => Assert.Equal(JsonValueKind.Number, v.ValueKind));
                }
                else
                {
                    Assert.Equal(JsonValueKind.Number, value.ValueKind);
                }
            }
        }
    }

    [Fact]
    public void Flush_CounterPerTagSet_OneLinePerDimensionSetWithSums()
    {
        using var h = new Harness();
        var frames = h.Meter.CreateCounter<long>("kvsi.frames.received", "{frame}");
        frames.Add(100, new KeyValuePair<string, object?>("Stream", "cam-a"));
        frames.Add(23, new KeyValuePair<string, object?>("Stream", "cam-a"));
        frames.Add(7, new KeyValuePair<string, object?>("Stream", "cam-b"));
        frames.Add(5);

        h.Exporter.Flush();

        var lines = h.Lines();
        Assert.Equal(3, lines.Count);
        Assert.All(lines, AssertValidEmf);
        var a = lines.Single(l => l.TryGetProperty("Stream", out var s) && s.GetString() == "cam-a");
        Assert.Equal(123, a.GetProperty("FramesReceived").GetDouble());
        Assert.Equal("kvsi-worker", a.GetProperty("ServiceName").GetString());
        Assert.Equal(1_700_000_000_000, a.GetProperty("_aws").GetProperty("Timestamp").GetInt64());
        var directive = a.GetProperty("_aws").GetProperty("CloudWatchMetrics")[0];
        Assert.Equal("KvsInference", directive.GetProperty("Namespace").GetString());
        Assert.Equal(["ServiceName", "Stream"], directive.GetProperty("Dimensions")[0].EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("Count", directive.GetProperty("Metrics")[0].GetProperty("Unit").GetString());
        var untagged = lines.Single(l => !l.TryGetProperty("Stream", out _));
        Assert.Equal(5, untagged.GetProperty("FramesReceived").GetDouble());
        Assert.Equal(["ServiceName"], untagged.GetProperty("_aws").GetProperty("CloudWatchMetrics")[0].GetProperty("Dimensions")[0].EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Flush_Histogram250Values_SplitIntoValueArraysOfAtMost100WithNothingLost()
    {
        using var h = new Harness();
        var latency = h.Meter.CreateHistogram<double>("kvsi.inference.latency", "ms");
        for (var i = 0; i < 250; i++) latency.Record(i);

        h.Exporter.Flush();

        var lines = h.Lines();
        Assert.Equal(3, lines.Count);
        Assert.All(lines, AssertValidEmf);
        var values = lines.SelectMany(l => l.GetProperty("InferenceLatency").EnumerateArray().Select(v => v.GetDouble())).ToList();
        Assert.Equal(Enumerable.Range(0, 250).Select(i => (double)i), values);
        Assert.Equal("Milliseconds", lines[0].GetProperty("_aws").GetProperty("CloudWatchMetrics")[0].GetProperty("Metrics")[0].GetProperty("Unit").GetString());
    }

    [Fact]
    public void Interval_FakeTimeAdvances_WritesEachIntervalAndResetsSums()
    {
        using var h = new Harness(o => o.MetricNames = new Dictionary<string, string> { ["kvsi.records.written"] = "RecordsWritten" });
        var written = h.Meter.CreateCounter<int>("kvsi.records.written");
        var queue = 3;
        h.Meter.CreateObservableGauge("kvsi.queue.depth", () => queue);
        h.Exporter.Start();

        written.Add(4);
        h.Time.Advance(TimeSpan.FromSeconds(60));
        var first = h.Lines();
        written.Add(1);
        queue = 9;
        h.Time.Advance(TimeSpan.FromSeconds(60));
        var all = h.Lines();

        var line1 = Assert.Single(first);
        AssertValidEmf(line1);
        Assert.Equal(4, line1.GetProperty("RecordsWritten").GetDouble());
        Assert.Equal(3, line1.GetProperty("QueueDepth").GetDouble());
        var line2 = all[1];
        Assert.Equal(1, line2.GetProperty("RecordsWritten").GetDouble());
        Assert.Equal(9, line2.GetProperty("QueueDepth").GetDouble());
        Assert.Equal(1_700_000_120_000, line2.GetProperty("_aws").GetProperty("Timestamp").GetInt64());
    }

    [Fact]
    public void Flush_MeterOutsidePrefix_Ignored()
    {
        using var h = new Harness();
        using var other = new Meter("Other.Library");
        other.CreateCounter<long>("kvsi.frames.received").Add(1);

        h.Exporter.Flush();

        Assert.Empty(h.Lines());
    }

    [Theory]
    [InlineData("kvsi.frames.received", "FramesReceived")]
    [InlineData("kvsi.sink.records_retried", "SinkRecordsRetried")]
    [InlineData("http.client.duration", "HttpClientDuration")]
    public void DefaultMetricName_InstrumentName_PascalCaseWithoutPrefix(string instrument, string expected) =>
        Assert.Equal(expected, EmfMetricsExporter.DefaultMetricName(instrument));

    [Fact]
    public void Constructor_InvalidOptions_ReportsEveryError()
    {
        var e = Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() =>
            new EmfMetricsExporter(new EmfExporterOptions { Namespace = "", Interval = TimeSpan.Zero }, TextWriter.Null));
        Assert.Contains(nameof(EmfExporterOptions.Namespace), e.Message);
        Assert.Contains(nameof(EmfExporterOptions.Interval), e.Message);
    }
}
