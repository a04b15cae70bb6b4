using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using KvsInference.Aws;
using KvsInference.Aws.Generated.Kinesis;
using KvsInference.Aws.Kinesis;
using KvsInference.Sinks;
using KvsInference.Validation;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvsInference.Meeting;

/// <summary>Settings of <see cref="KinesisRecordReader"/>.</summary>
public sealed class KinesisRecordReaderOptions
{
    /// <summary>Gets or sets the Kinesis Data Stream the workers write their records to.</summary>
    /// <value>Required.</value>
    [Required(AllowEmptyStrings = false)]
    public string StreamName { get; set; } = "";

    /// <summary>Gets or sets the pause between GetRecords rounds (Kinesis allows 5 GetRecords per second per shard).</summary>
    /// <value>The default value is 250 ms.</value>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:00:10")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Gets or sets how often the shard list is read again (to follow resharding).</summary>
    /// <value>The default value is 60 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ShardRefreshInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets or sets the most records one GetRecords call returns.</summary>
    /// <value>The default value is 1000.</value>
    [Range(1, 10_000)]
    public int MaxRecordsPerCall { get; set; } = 1000;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ValidationException">Some values are out of range; the message lists every one.</exception>
    public void Validate() => OptionsValidator.Validate(this);
}

/// <summary>
/// Feeds the meeting pages in AWS mode: reads the workers' inference records from the Kinesis Data Stream (ListShards,
/// GetShardIterator, GetRecords) and publishes them to the <see cref="RecordBroadcaster"/>, which hands each to the pages
/// watching its KVS stream.
/// </summary>
/// <remarks>
/// The avatar is live, so reading starts at LATEST on the shards open at start; shards that appear later (children of a
/// reshard) are read from TRIM_HORIZON, so no record written after the split is skipped. Nothing is checkpointed: a
/// restarted reader starts at LATEST again. A record that is not an inference record is skipped and counted. Failed calls
/// are retried by the Kinesis client's pipeline, then logged, and the round is tried again after the poll interval.
/// </remarks>
public sealed class KinesisRecordReader : BackgroundService
{
    private readonly IAmazonKinesis _kinesis;
    private readonly KinesisRecordReaderOptions _options;
    private readonly RecordBroadcaster _records;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _published;
    private long _skipped;

    /// <summary>Creates the reader (it starts with the host, or with <see cref="BackgroundService.StartAsync"/>).</summary>
    /// <param name="kinesis">The Kinesis client.</param>
    /// <param name="options">The settings (validated here).</param>
    /// <param name="records">Where records go.</param>
    /// <param name="timeProvider">The clock of the polling, or null for the system clock.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <exception cref="ValidationException">The options are invalid.</exception>
    public KinesisRecordReader(IAmazonKinesis kinesis, KinesisRecordReaderOptions options, RecordBroadcaster records,
        TimeProvider? timeProvider = null, ILogger<KinesisRecordReader>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _kinesis = kinesis ?? throw new ArgumentNullException(nameof(kinesis));
        _records = records ?? throw new ArgumentNullException(nameof(records));
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Gets how many records were published to the broadcaster.</summary>
    public long PublishedRecords => Interlocked.Read(ref _published);

    /// <summary>Gets how many Kinesis records were skipped because they are not inference records.</summary>
    public long SkippedRecords => Interlocked.Read(ref _skipped);

    /// <summary>Gets how many shards are being read (0 until the first ListShards answered).</summary>
    public int ShardsRead { get; private set; }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var iterators = new Dictionary<string, string?>(StringComparer.Ordinal);
        var finished = new HashSet<string>(StringComparer.Ordinal);
        var firstListing = true;
        var nextRefresh = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (_time.GetUtcNow() >= nextRefresh)
                {
                    foreach (var shard in await _kinesis.ListAllShardsAsync(_options.StreamName, stoppingToken).ConfigureAwait(false))
                    {
                        if (iterators.ContainsKey(shard.ShardId!) || finished.Contains(shard.ShardId!)) continue;
                        var type = firstListing ? KinesisShardIteratorType.Latest : KinesisShardIteratorType.TrimHorizon;
                        // A closed shard at start holds nothing live; children of a later reshard are read from their start.
                        if (firstListing && shard.SequenceNumberRange?.EndingSequenceNumber is not null) continue;
                        iterators[shard.ShardId!] = await IteratorAsync(shard.ShardId!, type, stoppingToken).ConfigureAwait(false);
                    }
                    firstListing = false;
                    ShardsRead = iterators.Count;
                    nextRefresh = _time.GetUtcNow() + _options.ShardRefreshInterval;
                }
                foreach (var shardId in iterators.Keys.ToList())
                {
                    var iterator = iterators[shardId];
                    if (iterator is null) continue;
                    GetRecordsResponse page;
                    try
                    {
                        page = await _kinesis.GetRecordsAsync(new GetRecordsRequest { ShardIterator = iterator, Limit = _options.MaxRecordsPerCall }, stoppingToken).ConfigureAwait(false);
                    }
                    catch (AwsServiceException e) when (e.ServiceErrorCode == "ExpiredIteratorException")
                    {
                        iterators[shardId] = await IteratorAsync(shardId, KinesisShardIteratorType.Latest, stoppingToken).ConfigureAwait(false);
                        continue;
                    }
                    Publish(page.Records ?? []);
                    if (page.NextShardIterator is null)
                    {
                        // The shard was closed by a reshard and is read to its end: its children come with the next listing.
                        iterators.Remove(shardId);
                        finished.Add(shardId);
                        nextRefresh = DateTimeOffset.MinValue;
                    }
                    else
                    {
                        iterators[shardId] = page.NextShardIterator;
                    }
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested && (e is AwsServiceException or HttpRequestException
                or AwsProtocolException or Polly.Timeout.TimeoutRejectedException or InvalidOperationException))
            {
                _logger.LogWarning("Kinesis records of {Stream}: {Message}; trying again", _options.StreamName, e.Message);
            }
            try
            {
                await Task.Delay(_options.PollInterval, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<string?> IteratorAsync(string shardId, string type, CancellationToken cancellationToken) =>
        (await _kinesis.GetShardIteratorAsync(new GetShardIteratorRequest { StreamName = _options.StreamName, ShardId = shardId, ShardIteratorType = type },
            cancellationToken).ConfigureAwait(false)).ShardIterator;

    private void Publish(IReadOnlyList<Record> kinesisRecords)
    {
        if (kinesisRecords.Count == 0) return;
        var records = new List<InferenceRecord>(kinesisRecords.Count);
        foreach (var r in kinesisRecords)
        {
            try
            {
                var record = InferenceRecordJson.Parse(r.Data);
                if (InferenceRecord.IsReadable(record.Schema))
                {
                    records.Add(record);
                    continue;
                }
            }
            catch (JsonException)
            {
                // Counted below: another producer's data in the stream is not this reader's concern.
            }
            Interlocked.Increment(ref _skipped);
        }
        _records.Publish(records);
        Interlocked.Add(ref _published, records.Count);
    }
}
