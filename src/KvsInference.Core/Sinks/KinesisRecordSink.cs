using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using KvsInference.Aws;
using KvsInference.Aws.Generated.Kinesis;
using KvsInference.Aws.Kinesis;
using KvsInference.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvsInference.Sinks;

/// <summary>
/// Writes inference records to a Kinesis data stream with PutRecords: JSON records, partition key = stream name,
/// batches of at most 500 records and 5 MiB, only the failed entries of a partial failure re-sent with back-off.
/// </summary>
/// <remarks>
/// Ordering rule: records of one partition key are sent in the order given, and with the default
/// <see cref="KinesisRecordSinkOptions.MaxRecordsPerKeyPerCall"/> of 1 a record is not sent before the previous record of
/// its key was acknowledged, so a failed entry can never be overtaken by a later record of its key. Records of different
/// keys share calls. <see cref="WriteAsync"/> completes only when every record is acknowledged; it throws
/// <see cref="RecordSinkException"/> naming the record when a record is larger than 1 MiB (checked before anything is
/// sent), when one record failed <see cref="KinesisRecordSinkOptions.MaxAttemptsPerRecord"/> times, or when a whole call
/// failed after the client's own retries. Records already acknowledged stay written (at-least-once; consumers
/// de-duplicate by <see cref="InferenceRecord.RecordId"/>).
/// </remarks>
public sealed class KinesisRecordSink : IRecordSink
{
    private static readonly Meter Meter = new("KvsInference.Sinks");
    private static readonly Counter<long> Written = Meter.CreateCounter<long>("kvsi.sink.records.written", "{record}", "Records acknowledged by the sink's target.");
    private static readonly Counter<long> Resent = Meter.CreateCounter<long>("kvsi.sink.records.retried", "{record}", "Record entries re-sent after a partial failure.");

    private readonly IAmazonKinesis _client;
    private readonly KinesisRecordSinkOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the sink.</summary>
    /// <param name="client">The Kinesis client (<see cref="AmazonKinesisClient"/>).</param>
    /// <param name="options">The settings.</param>
    /// <param name="timeProvider">The clock of the re-send delays, or null for the system clock.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public KinesisRecordSink(IAmazonKinesis client, KinesisRecordSinkOptions options, TimeProvider? timeProvider = null, ILogger<KinesisRecordSink>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        OptionsValidator.Validate(options);
        _client = client;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    private sealed class Pending(int index, string recordId, string key, byte[] data)
    {
        public int Index { get; } = index;
        public string RecordId { get; } = recordId;
        public string Key { get; } = key;
        public byte[] Data { get; } = data;
        public int Size { get; } = data.Length + Encoding.UTF8.GetByteCount(key);
        public int Attempts { get; set; }
        public string? LastError { get; set; }
    }

    /// <inheritdoc/>
    public async Task WriteAsync(IReadOnlyList<InferenceRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0) return;

        // Serialize and check every record first, so an oversized record fails the call before anything is written.
        var queues = new Dictionary<string, List<Pending>>(StringComparer.Ordinal);
        var keyOrder = new List<string>();
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i] ?? throw new RecordSinkException($"Record {i} of the batch is null.");
            if (string.IsNullOrEmpty(record.StreamName) || record.StreamName.Length > 256)
            {
                throw new RecordSinkException($"Record '{record.RecordId}' has a stream name (the partition key) of {record.StreamName?.Length ?? 0} characters; 1 to 256 are allowed.");
            }
            var data = InferenceRecordJson.Serialize(record);
            var pending = new Pending(i, record.RecordId, record.StreamName, data);
            if (pending.Size > KinesisRecordSinkConstants.MaxBytesPerRecord)
            {
                throw new RecordSinkException($"Record '{record.RecordId}' is {pending.Size} bytes with its partition key; Kinesis accepts at most {KinesisRecordSinkConstants.MaxBytesPerRecord} bytes per record. Nothing of this batch was written.");
            }
            if (!queues.TryGetValue(record.StreamName, out var queue))
            {
                queues[record.StreamName] = queue = [];
                keyOrder.Add(record.StreamName);
            }
            queue.Add(pending);
        }

        var round = 0;
        while (queues.Values.Any(q => q.Count > 0))
        {
            var batch = TakeBatch(queues, keyOrder);
            PutRecordsResponse response;
            try
            {
                response = await _client.PutRecordsAsync(new PutRecordsRequest
                {
                    StreamName = _options.StreamName,
                    Records = batch.Select(p => new PutRecordsRequestEntry { Data = p.Data, PartitionKey = p.Key }).ToList(),
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (AwsServiceException e)
            {
                throw new RecordSinkException($"PutRecords to '{_options.StreamName}' failed for {batch.Count} records (first '{batch[0].RecordId}'): {e.Message}", e);
            }
            catch (Exception e) when (AwsResilience.IsTransient(e) || e is AwsProtocolException)
            {
                throw new RecordSinkException($"PutRecords to '{_options.StreamName}' failed for {batch.Count} records (first '{batch[0].RecordId}'): {e.Message}", e);
            }
            var results = response.Records ?? [];
            if (results.Count != batch.Count)
            {
                throw new RecordSinkException($"PutRecords answered {results.Count} results for {batch.Count} records; nothing can be matched, giving up (first '{batch[0].RecordId}').");
            }

            var failed = 0;
            for (var j = 0; j < batch.Count; j++)
            {
                var p = batch[j];
                var result = results[j];
                if (result.ErrorCode is null && result.SequenceNumber is not null)
                {
                    queues[p.Key].Remove(p);
                    Written.Add(1);
                    continue;
                }
                failed++;
                p.Attempts++;
                p.LastError = $"{result.ErrorCode ?? "NoSequenceNumber"}: {result.ErrorMessage}";
                if (p.Attempts >= _options.MaxAttemptsPerRecord)
                {
                    throw new RecordSinkException($"Record '{p.RecordId}' (partition key '{p.Key}') was not accepted by '{_options.StreamName}' after {p.Attempts} attempts; last error {p.LastError}. {CountPending(queues)} records of this batch are not written.");
                }
            }
            if (failed > 0)
            {
                round++;
                Resent.Add(failed);
                var delay = Backoff(round);
                _logger.LogWarning("PutRecords to {Stream}: {Failed} of {Count} entries failed ({Error}); re-sending in {Delay}",
                    _options.StreamName, failed, batch.Count, batch.First(p => p.LastError is not null).LastError, delay);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                round = 0;
            }
        }
    }

    /// <summary>Takes, key by key in first-seen order, up to MaxRecordsPerKeyPerCall head records per key within the call limits.</summary>
    private List<Pending> TakeBatch(Dictionary<string, List<Pending>> queues, List<string> keyOrder)
    {
        var batch = new List<Pending>();
        long bytes = 0;
        foreach (var key in keyOrder)
        {
            var queue = queues[key];
            for (var k = 0; k < queue.Count && k < _options.MaxRecordsPerKeyPerCall; k++)
            {
                var p = queue[k];
                if (batch.Count == KinesisRecordSinkConstants.MaxRecordsPerCall || bytes + p.Size > KinesisRecordSinkConstants.MaxBytesPerCall) return batch;
                batch.Add(p);
                bytes += p.Size;
            }
        }
        return batch;
    }

    private TimeSpan Backoff(int round)
    {
        var exponential = _options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(round - 1, 20));
        var capped = Math.Min(exponential, _options.RetryMaxDelay.TotalMilliseconds);
        // Jitter in [50%, 100%] spreads the re-sends of many workers hitting the same shard.
        return TimeSpan.FromMilliseconds(capped * (0.5 + Random.Shared.NextDouble() / 2));
    }

    private static int CountPending(Dictionary<string, List<Pending>> queues) => queues.Values.Sum(q => q.Count);
}
