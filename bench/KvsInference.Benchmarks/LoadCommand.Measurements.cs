using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using KvsInference.Inference;
using KvsInference.Pipeline;
using KvsInference.Sinks;

namespace KvsInference.Benchmarks;

// What the load measures: the timed model, the counting sink and the fixed-size latency histograms.
internal static partial class LoadCommand
{
    /// <summary>The in-process model, timed: duration of every InferAsync call, and per stream the model time of each window in order.</summary>
    private sealed class TimedInferenceClient(IInferenceClient inner, Measurements measure) : IInferenceClient
    {
        private readonly ConcurrentDictionary<string, ConcurrentQueue<double>> _modelMsByStream = new(StringComparer.Ordinal);

        public string ModelName => inner.ModelName;

        public async Task<IReadOnlyList<InferencePrediction>> InferAsync(IReadOnlyList<InferenceInstance> instances, CancellationToken cancellationToken)
        {
            long started = Stopwatch.GetTimestamp();
            var result = await inner.InferAsync(instances, cancellationToken).ConfigureAwait(false);
            double ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            measure.RecordBatch(ms, instances.Count);
            // Windows of one stream reach the model in order and their records reach the sink in the same order.
            foreach (var instance in instances) _modelMsByStream.GetOrAdd(instance.StreamKey ?? "", _ => new ConcurrentQueue<double>()).Enqueue(ms);
            return result;
        }

        public bool TryTakeModelMs(string stream, out double ms)
        {
            ms = 0;
            return _modelMsByStream.TryGetValue(stream, out var queue) && queue.TryDequeue(out ms);
        }
    }

    /// <summary>
    /// Counts acknowledged records and completes synchronously, so the pipeline records each window's latency on this
    /// thread right after the write: the model times of the records just written are handed to the latency listener
    /// through a thread-local queue, in the same order.
    /// </summary>
    private sealed class CountingSink(TimedInferenceClient model) : IRecordSink
    {
        [ThreadStatic] private static Queue<double>? t_modelMs;
        private long _records;
        private long _unmatched;

        public long Records => Interlocked.Read(ref _records);

        public long Unmatched => Interlocked.Read(ref _unmatched);

        public Task WriteAsync(IReadOnlyList<InferenceRecord> records, CancellationToken cancellationToken)
        {
            var queue = t_modelMs ??= new Queue<double>();
            queue.Clear();
            foreach (var r in records)
            {
                if (model.TryTakeModelMs(r.StreamName, out double ms)) queue.Enqueue(ms);
                else Interlocked.Increment(ref _unmatched);
            }
            Interlocked.Add(ref _records, records.Count);
            return Task.CompletedTask;
        }

        public static bool TryTakeModelMs(out double ms)
        {
            ms = 0;
            return t_modelMs is { } q && q.TryDequeue(out ms);
        }
    }

    /// <summary>Fixed-size histograms (0.1 ms buckets up to 10 s), cleared in place, so a soak run does not grow or churn the heap.</summary>
    private sealed class Measurements
    {
        private readonly Lock _gate = new();
        private readonly Histograms _total = new();
        private readonly Histograms _interval = new();
        private readonly Histograms _half = new();

        public MeterListener Listen()
        {
            var listener = new MeterListener
            {
                InstrumentPublished = (instrument, l) =>
                {
                    if (instrument.Meter.Name == PipelineMetrics.MeterName && instrument.Name == "kvsi.pipeline.process_latency") l.EnableMeasurementEvents(instrument);
                },
            };
            listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
            {
                double model = CountingSink.TryTakeModelMs(out double ms) ? ms : 0;
                lock (_gate)
                {
                    _total.AddLatency(value, model);
                    _interval.AddLatency(value, model);
                    _half.AddLatency(value, model);
                }
            });
            listener.Start();
            return listener;
        }

        public void RecordLag(double ms)
        {
            lock (_gate)
            {
                _total.Lag.Add(ms);
                _interval.Lag.Add(ms);
            }
        }

        public void RecordBatch(double ms, int windows)
        {
            lock (_gate)
            {
                _total.AddBatch(ms, windows);
                _interval.AddBatch(ms, windows);
            }
        }

        public void Reset()
        {
            lock (_gate)
            {
                _total.Clear();
                _interval.Clear();
                _half.Clear();
            }
        }

        public Figures TakeInterval()
        {
            lock (_gate)
            {
                var figures = _interval.Figures();
                _interval.Clear();
                return figures;
            }
        }

        public Figures TakeTotal()
        {
            lock (_gate) return _total.Figures();
        }

        /// <summary>Returns the p99 so far and starts the second half.</summary>
        public double StartSecondHalf()
        {
            lock (_gate)
            {
                _half.Clear();
                return _total.Latency.Percentile(0.99);
            }
        }

        public double SecondHalfP99()
        {
            lock (_gate) return _half.Latency.Percentile(0.99);
        }
    }

    private sealed record Figures(long Count, double P50, double P99, double Max, double P50ExcludingModel, double P99ExcludingModel,
        double LagP99, double BatchP99, double BatchWindowsMean, long Batches, double ModelSeconds, double ModelShare);

    private sealed class Histograms
    {
        public Histogram Latency { get; } = new();
        public Histogram LatencyExcludingModel { get; } = new();
        public Histogram Lag { get; } = new();
        public Histogram Batch { get; } = new();
        public double ModelSeconds { get; private set; }
        public long Batches { get; private set; }
        private long _batchWindows;
        private double _latencySumMs;
        private double _modelSumMs;

        /// <summary>Computes the figures; the model share is the model's part of the summed window latencies.</summary>
        public Figures Figures() => new(Latency.Count, Latency.Percentile(0.50), Latency.Percentile(0.99), Latency.Max,
            LatencyExcludingModel.Percentile(0.50), LatencyExcludingModel.Percentile(0.99), Lag.Percentile(0.99), Batch.Percentile(0.99),
            Batches == 0 ? 0 : (double)_batchWindows / Batches, Batches, ModelSeconds, _latencySumMs == 0 ? 0 : _modelSumMs / _latencySumMs);

        public void Clear()
        {
            Latency.Clear();
            LatencyExcludingModel.Clear();
            Lag.Clear();
            Batch.Clear();
            ModelSeconds = 0;
            Batches = 0;
            _batchWindows = 0;
            _latencySumMs = 0;
            _modelSumMs = 0;
        }

        public void AddLatency(double ms, double modelMs)
        {
            Latency.Add(ms);
            LatencyExcludingModel.Add(Math.Max(0, ms - modelMs));
            _latencySumMs += ms;
            _modelSumMs += Math.Min(ms, modelMs);
        }

        public void AddBatch(double ms, int windows)
        {
            Batch.Add(ms);
            ModelSeconds += ms / 1000;
            Batches++;
            _batchWindows += windows;
        }
    }

    private sealed class Histogram
    {
        private const int Buckets = 100_000;  // 0.1 ms each: 0..10 s, the last one open-ended
        private readonly long[] _counts = new long[Buckets];

        public long Count { get; private set; }
        public double Max { get; private set; }

        public void Add(double ms)
        {
            _counts[Math.Clamp((int)(ms * 10), 0, Buckets - 1)]++;
            Count++;
            if (ms > Max) Max = ms;
        }

        public void Clear()
        {
            Array.Clear(_counts);
            Count = 0;
            Max = 0;
        }

        public double Percentile(double p)
        {
            if (Count == 0) return double.NaN;
            long rank = (long)Math.Ceiling(p * Count);
            long seen = 0;
            for (int i = 0; i < Buckets; i++)
            {
                seen += _counts[i];
                if (seen >= rank) return (i + 1) / 10.0;  // the bucket's upper edge: never under-reports
            }
            return Max;
        }
    }
}
