using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using KvsInference.Aws;
using KvsInference.Validation;

namespace KvsInference.Metrics;

/// <summary>
/// Exports the <see cref="System.Diagnostics.Metrics"/> instruments of meters named <c>KvsInference*</c> as CloudWatch
/// Embedded Metric Format (EMF) lines: every interval, one JSON object per dimension set written to a
/// <see cref="TextWriter"/> (stdout on ECS, where the awslogs driver turns the lines into CloudWatch metrics).
/// </summary>
/// <remarks>
/// Aggregation per interval: counters and up-down counters write the sum of the interval; observable counters the increase
/// since the previous collection; gauges and observable gauges the last value; histograms every recorded value as a value
/// array (at most 100 values per line, more lines when there are more, so nothing is dropped). The dimension set of a
/// measurement is <see cref="EmfExporterOptions.Dimensions"/> plus the measurement's tags. Names map through
/// <see cref="EmfExporterOptions.MetricNames"/>, else <see cref="DefaultMetricName"/>. Units: <c>ms</c> Milliseconds,
/// <c>s</c> Seconds, <c>By</c> Bytes, <c>%</c> Percent, counters otherwise Count, other instruments None.
/// </remarks>
public sealed class EmfMetricsExporter : IDisposable
{
    private readonly EmfExporterOptions _options;
    private readonly TextWriter _output;
    private readonly TimeProvider _time;
    private readonly MeterListener _listener;
    private readonly object _gate = new();
    private readonly Dictionary<SeriesKey, Series> _series = new();
    private readonly Dictionary<SeriesKey, double> _lastCumulative = new();
    private ITimer? _timer;

    /// <summary>Creates the exporter and starts listening (not yet writing; see <see cref="Start"/>).</summary>
    /// <param name="options">The settings.</param>
    /// <param name="output">Where the lines go (e.g. <see cref="Console.Out"/>).</param>
    /// <param name="timeProvider">The clock of the interval and the timestamps, or null for the system clock.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public EmfMetricsExporter(EmfExporterOptions options, TextWriter output, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        OptionsValidator.Validate(options);
        _options = options;
        _output = output;
        _time = timeProvider ?? TimeProvider.System;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name.StartsWith(_options.MeterNamePrefix, StringComparison.Ordinal)) listener.EnableMeasurementEvents(instrument);
            },
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<short>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<byte>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<float>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<decimal>((i, v, tags, _) => Record(i, (double)v, tags));
        _listener.Start();
    }

    /// <summary>Starts writing every <see cref="EmfExporterOptions.Interval"/>.</summary>
    public void Start() => _timer ??= _time.CreateTimer(_ => Flush(), null, _options.Interval, _options.Interval);

    /// <summary>The default EMF name of an instrument: without a leading <c>kvsi.</c>, each dot- or underscore-separated part capitalised (<c>kvsi.frames.received</c> → <c>FramesReceived</c>).</summary>
    /// <param name="instrumentName">The instrument name.</param>
    /// <returns>The metric name.</returns>
    public static string DefaultMetricName(string instrumentName)
    {
        ArgumentNullException.ThrowIfNull(instrumentName);
        var name = instrumentName.StartsWith("kvsi.", StringComparison.Ordinal) ? instrumentName[5..] : instrumentName;
        var sb = new StringBuilder(name.Length);
        foreach (var part in name.Split(['.', '_', '-'], StringSplitOptions.RemoveEmptyEntries))
        {
            sb.Append(char.ToUpperInvariant(part[0])).Append(part.AsSpan(1));
        }
        return sb.ToString();
    }

    /// <summary>Collects observable instruments and writes the lines of the interval now, then starts a new interval.</summary>
    public void Flush()
    {
        _listener.RecordObservableInstruments();
        List<KeyValuePair<SeriesKey, Series>> snapshot;
        lock (_gate)
        {
            snapshot = _series.Where(s => s.Value.HasData).Select(s => new KeyValuePair<SeriesKey, Series>(s.Key, s.Value.TakeAndReset())).ToList();
        }
        if (snapshot.Count == 0) return;
        var timestamp = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var lines = new StringBuilder();
        foreach (var group in snapshot.GroupBy(s => s.Key.Tags))
        {
            var metrics = group.ToList();
            for (var offset = 0; offset < metrics.Count; offset += EmfConstants.MaxMetricsPerDirective)
            {
                var chunk = metrics.Skip(offset).Take(EmfConstants.MaxMetricsPerDirective).ToList();
                var rounds = chunk.Max(m => m.Value.LineCount);
                for (var r = 0; r < rounds; r++) lines.Append(WriteLine(timestamp, group.Key, chunk, r)).Append('\n');
            }
        }
        lock (_output)
        {
            _output.Write(lines.ToString());
            _output.Flush();
        }
    }

    private string WriteLine(long timestamp, TagSet tags, List<KeyValuePair<SeriesKey, Series>> metrics, int round)
    {
        var dims = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in _options.Dimensions) dims[k] = v;
        foreach (var (k, v) in tags.Pairs) dims[k] = v;
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteStartObject("_aws");
            w.WriteNumber("Timestamp", timestamp);
            w.WriteStartArray("CloudWatchMetrics");
            w.WriteStartObject();
            w.WriteString("Namespace", _options.Namespace);
            w.WriteStartArray("Dimensions");
            w.WriteStartArray();
            foreach (var k in dims.Keys.Take(EmfConstants.MaxDimensionsPerSet)) w.WriteStringValue(k);
            w.WriteEndArray();
            w.WriteEndArray();
            w.WriteStartArray("Metrics");
            var present = metrics.Where(m => round < m.Value.LineCount).ToList();
            foreach (var m in present)
            {
                w.WriteStartObject();
                w.WriteString("Name", m.Value.Name);
                w.WriteString("Unit", m.Value.Unit);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            foreach (var (k, v) in dims) w.WriteString(k, v);
            foreach (var m in present) m.Value.WriteValue(w, round);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var key = new SeriesKey(instrument.Name, TagSet.From(tags));
        lock (_gate)
        {
            if (!_series.TryGetValue(key, out var series))
            {
                var name = _options.MetricNames.TryGetValue(instrument.Name, out var mapped) ? mapped : DefaultMetricName(instrument.Name);
                _series[key] = series = new Series(name, Kind(instrument), Unit(instrument));
            }
            switch (series.Kind)
            {
                case SeriesKind.Sum:
                    series.Add(value);
                    break;
                case SeriesKind.CumulativeSum:
                    // Observable counters report totals: export the increase since the last collection.
                    var previous = _lastCumulative.TryGetValue(key, out var p) ? p : 0;
                    _lastCumulative[key] = value;
                    series.Add(Math.Max(0, value - previous));
                    break;
                case SeriesKind.Last:
                    series.Set(value);
                    break;
                default:
                    series.Append(value);
                    break;
            }
        }
    }

    private static SeriesKind Kind(Instrument instrument)
    {
        var type = instrument.GetType();
        var generic = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        if (generic == typeof(Counter<>) || generic == typeof(UpDownCounter<>)) return SeriesKind.Sum;
        if (generic == typeof(ObservableCounter<>)) return SeriesKind.CumulativeSum;
        if (generic == typeof(Histogram<>)) return SeriesKind.Values;
        return SeriesKind.Last;
    }

    private static string Unit(Instrument instrument) => instrument.Unit switch
    {
        "ms" => "Milliseconds",
        "s" => "Seconds",
        "us" => "Microseconds",
        "By" => "Bytes",
        "By/s" => "Bytes/Second",
        "%" => "Percent",
        _ when Kind(instrument) is SeriesKind.Sum or SeriesKind.CumulativeSum => "Count",
        _ => "None",
    };

    /// <summary>Stops the timer, writes what is left and stops listening.</summary>
    public void Dispose()
    {
        _timer?.Dispose();
        Flush();
        _listener.Dispose();
    }

    private enum SeriesKind { Sum, CumulativeSum, Last, Values }

    private readonly record struct SeriesKey(string Instrument, TagSet Tags);

    /// <summary>The tags of a measurement as a sorted, comparable set (dimension values are strings).</summary>
    private sealed class TagSet : IEquatable<TagSet>
    {
        private readonly string _key;

        private TagSet(KeyValuePair<string, string>[] pairs)
        {
            Pairs = pairs;
            _key = string.Join("\u0001", pairs.Select(p => p.Key + "\u0002" + p.Value));
        }

        public KeyValuePair<string, string>[] Pairs { get; }

        public static TagSet From(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var pairs = new KeyValuePair<string, string>[tags.Length];
            for (var i = 0; i < tags.Length; i++)
            {
                pairs[i] = new(tags[i].Key, Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? "");
            }
            Array.Sort(pairs, (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return new TagSet(pairs);
        }

        public bool Equals(TagSet? other) => other is not null && other._key == _key;
        public override bool Equals(object? obj) => Equals(obj as TagSet);
        public override int GetHashCode() => _key.GetHashCode(StringComparison.Ordinal);
    }

    private sealed class Series(string name, SeriesKind kind, string unit)
    {
        private double _scalar;
        private bool _hasScalar;
        private List<double> _values = [];

        public string Name { get; } = name;
        public SeriesKind Kind { get; } = kind;
        public string Unit { get; } = unit;
        public bool HasData => _hasScalar || _values.Count > 0;
        public int LineCount => Kind == SeriesKind.Values ? Math.Max(1, (_values.Count + EmfConstants.MaxValuesPerMetric - 1) / EmfConstants.MaxValuesPerMetric) : 1;

        public void Add(double v) { _scalar += v; _hasScalar = true; }
        public void Set(double v) { _scalar = v; _hasScalar = true; }
        public void Append(double v) => _values.Add(v);

        public Series TakeAndReset()
        {
            var copy = new Series(Name, Kind, Unit) { _scalar = _scalar, _hasScalar = _hasScalar, _values = _values };
            _values = [];
            _hasScalar = false;
            // Sums restart each interval; a gauge keeps no value until it is observed again.
            _scalar = 0;
            return copy;
        }

        public void WriteValue(Utf8JsonWriter w, int round)
        {
            if (Kind != SeriesKind.Values)
            {
                w.WriteNumber(Name, _scalar);
                return;
            }
            w.WriteStartArray(Name);
            foreach (var v in _values.Skip(round * EmfConstants.MaxValuesPerMetric).Take(EmfConstants.MaxValuesPerMetric)) w.WriteNumberValue(v);
            w.WriteEndArray();
        }
    }
}
