using System.Text.Json;
using KvsInference.Aws;
using KvsInference.Aws.Generated.Kinesis;
using KvsInference.Aws.Kinesis;
using KvsInference.Inference;
using KvsInference.Sinks;
using KvsInference.Tests.Aws.Kinesis;

namespace KvsInference.Tests.Sinks;

public sealed class KinesisRecordSinkTests
{
    internal static InferenceRecord Record(string stream, int fragment, int frames = 3) => new()
    {
        StreamName = stream,
        FragmentNumber = "91343852333181432392682062607743920" + fragment.ToString("D6", System.Globalization.CultureInfo.InvariantCulture),
        StartOffsetMs = 0,
        FrameRate = 30,
        Frames = Enumerable.Range(0, frames).Select(i => new VisemeFrame(0.1f * (i % 10), 0, 0, 0, 0, 0.5f, 0)).ToList(),
        Model = "test/1",
        ProducerTimestamp = 1_700_000_000_000 + fragment,
        RecordId = InferenceRecord.MakeRecordId(stream, fragment.ToString(System.Globalization.CultureInfo.InvariantCulture), 0),
    };

    private static List<InferenceRecord> Interleaved(int perKey, params string[] keys) =>
        Enumerable.Range(0, perKey).SelectMany(i => keys.Select(k => Record(k, i))).ToList();

    private static KinesisRecordSinkOptions Options(string stream, int perKeyPerCall = 1) => new()
    {
        StreamName = stream,
        MaxRecordsPerKeyPerCall = perKeyPerCall,
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        RetryMaxDelay = TimeSpan.FromMilliseconds(5),
    };

    private static async Task<List<(string Key, string RecordId)>> ReadBackAsync(IAmazonKinesis client, string stream) =>
        (await KinesisTestStreams.ReadAllAsync(client, stream))
            .Select(r => (r.PartitionKey!, JsonDocument.Parse(r.Data!).RootElement.GetProperty("recordId").GetString()!)).ToList();

    [Fact]
    public async Task WriteAsync_InjectedPartialFailuresAndThrottling_NothingLostNoDuplicatesOrderPerKeyKept()
    {
        using var setup = KinesisTestStreams.Client();
        var stream = await KinesisTestStreams.CreateAsync(setup, shards: 2);
        var random = new Random(7);
        var faults = new KinesisFaultHandler
        {
            // About a third of the entries of the first 40 calls fail; calls 3 and 4 are throttled as a whole.
            FailEntry = (call, _) => call < 40 && random.NextDouble() < 0.33,
            ThrottleCall = call => call is 3 or 4,
        };
        using var client = KinesisTestStreams.Client(faults);
        var sink = new KinesisRecordSink(client, Options(stream));
        var records = Interleaved(20, "cam-a", "cam-b", "cam-c");

        await sink.WriteAsync(records, CancellationToken.None);

        Assert.True(faults.FailedEntries > 5, $"only {faults.FailedEntries} entries failed: the test would prove little");
        Assert.Equal(2, faults.ThrottledCalls);
        var read = await ReadBackAsync(setup, stream);
        Assert.Equal(records.Count, read.Count);
        foreach (var key in new[] { "cam-a", "cam-b", "cam-c" })
        {
            Assert.Equal(records.Where(r => r.StreamName == key).Select(r => r.RecordId), read.Where(r => r.Key == key).Select(r => r.RecordId));
        }
    }

    [Fact]
    public async Task WriteAsync_ManyPerKeyPerCallWithFailures_NothingLostNoDuplicates()
    {
        using var setup = KinesisTestStreams.Client();
        var stream = await KinesisTestStreams.CreateAsync(setup, shards: 1);
        var faults = new KinesisFaultHandler { FailEntry = (call, i) => call == 0 && i % 4 == 1 };
        using var client = KinesisTestStreams.Client(faults);
        var sink = new KinesisRecordSink(client, Options(stream, perKeyPerCall: 500));
        var records = Interleaved(25, "cam-a", "cam-b");

        await sink.WriteAsync(records, CancellationToken.None);

        Assert.Equal(2, faults.PutRecordsCalls);
        var read = await ReadBackAsync(setup, stream);
        Assert.Equal(records.Select(r => r.RecordId).Order(), read.Select(r => r.RecordId).Order());
    }

    [Fact]
    public async Task WriteAsync_RecordOverOneMebibyte_ThrowsNamingRecordAndSendsNothing()
    {
        var client = new RecordingKinesisClient();
        var sink = new KinesisRecordSink(client, Options("out"));
        var big = Record("cam-a", 2, frames: 40_000);
        var records = new List<InferenceRecord> { Record("cam-a", 1), big };

        var e = await Assert.ThrowsAsync<RecordSinkException>(() => sink.WriteAsync(records, CancellationToken.None));

        Assert.Contains(big.RecordId, e.Message);
        Assert.Contains("1048576", e.Message);
        Assert.Empty(client.Calls);
    }

    [Fact]
    public async Task WriteAsync_EntryAlwaysFails_GivesUpAfterMaxAttemptsNamingRecord()
    {
        var client = new RecordingKinesisClient { Fail = (_, _) => true };
        var options = Options("out");
        options.MaxAttemptsPerRecord = 3;
        var sink = new KinesisRecordSink(client, options);
        var records = new List<InferenceRecord> { Record("cam-a", 1) };

        var e = await Assert.ThrowsAsync<RecordSinkException>(() => sink.WriteAsync(records, CancellationToken.None));

        Assert.Equal(3, client.Calls.Count);
        Assert.Contains(records[0].RecordId, e.Message);
        Assert.Contains("ProvisionedThroughputExceededException", e.Message);
    }

    [Fact]
    public async Task WriteAsync_ManySmallAndLargeRecords_CallsStayWithinCountAndByteLimits()
    {
        var client = new RecordingKinesisClient();
        var sink = new KinesisRecordSink(client, Options("out", perKeyPerCall: 500));
        // 1200 small records over 7 keys, then 20 records of ~600 KB.
        var records = Enumerable.Range(0, 1200).Select(i => Record("cam-" + (i % 7), i)).ToList();
        records.AddRange(Enumerable.Range(0, 20).Select(i => Record("big-" + (i % 3), 5000 + i, frames: 8_000)));

        await sink.WriteAsync(records, CancellationToken.None);

        Assert.All(client.Calls, c => Assert.InRange(c.Count, 1, 500));
        Assert.All(client.Calls, c => Assert.InRange(c.Sum(e => e.Data!.Length + e.PartitionKey!.Length), 1, 5 * 1024 * 1024));
        Assert.Contains(client.Calls, c => c.Count == 500);
        Assert.Equal(records.Count, client.Calls.Sum(c => c.Count));
        Assert.True(records.Skip(1200).All(r => JsonSerializer.SerializeToUtf8Bytes(r).Length > 500_000), "the large records must be large");
    }

    [Fact]
    public async Task WriteAsync_Default_OneRecordPerKeyPerCallAndJsonMatchesContract()
    {
        var client = new RecordingKinesisClient();
        var sink = new KinesisRecordSink(client, Options("out"));
        var records = Interleaved(3, "cam-a", "cam-b");

        await sink.WriteAsync(records, CancellationToken.None);

        Assert.Equal(3, client.Calls.Count);
        Assert.All(client.Calls, c => Assert.Equal(["cam-a", "cam-b"], c.Select(e => e.PartitionKey)));
        var json = JsonDocument.Parse(client.Calls[0][0].Data).RootElement;
        Assert.Equal("kvs-inference/2", json.GetProperty("schema").GetString());
        Assert.Equal("cam-a", json.GetProperty("streamName").GetString());
        Assert.Equal(records[0].RecordId, json.GetProperty("recordId").GetString());
        var frame = json.GetProperty("frames")[1];
        Assert.Equal(0.5, frame.GetProperty("jawOpen").GetDouble(), 5);
        Assert.True(frame.TryGetProperty("aa", out _));
    }

    [Fact]
    public async Task WriteAsync_WholeCallFails_ThrowsRecordSinkExceptionWithCause()
    {
        var client = new RecordingKinesisClient
        {
            Throw = new AwsResourceNotFoundException("ResourceNotFoundException", "Stream out not found", System.Net.HttpStatusCode.BadRequest, "r1", "kinesis:PutRecords"),
        };
        var sink = new KinesisRecordSink(client, Options("out"));

        var e = await Assert.ThrowsAsync<RecordSinkException>(() => sink.WriteAsync([Record("cam-a", 1)], CancellationToken.None));

        Assert.IsType<AwsResourceNotFoundException>(e.InnerException);
        Assert.Contains("'out'", e.Message);
    }

    /// <summary>An in-memory Kinesis client that records calls and fails entries on demand.</summary>
    private sealed class RecordingKinesisClient : IAmazonKinesis
    {
        public List<List<PutRecordsRequestEntry>> Calls { get; } = [];
        public Func<int, int, bool> Fail { get; init; } = (_, _) => false;
        public Exception? Throw { get; init; }

        public Task<PutRecordsResponse> PutRecordsAsync(PutRecordsRequest request, CancellationToken cancellationToken = default)
        {
            if (Throw is not null) throw Throw;
            var call = Calls.Count;
            Calls.Add(request.Records!.ToList());
            var results = request.Records!.Select((_, i) => Fail(call, i)
                ? new PutRecordsResultEntry { ErrorCode = "ProvisionedThroughputExceededException", ErrorMessage = "Rate exceeded" }
                : new PutRecordsResultEntry { SequenceNumber = $"{call:D10}{i:D5}", ShardId = "shardId-000000000000" }).ToList();
            return Task.FromResult(new PutRecordsResponse { FailedRecordCount = results.Count(r => r.ErrorCode is not null), Records = results });
        }

        // The sink only writes: every other operation is outside what it may call.
        public Task<CreateStreamResponse> CreateStreamAsync(CreateStreamRequest request, CancellationToken cancellationToken = default) => throw Unused();
        public Task<DescribeStreamSummaryResponse> DescribeStreamSummaryAsync(DescribeStreamSummaryRequest request, CancellationToken cancellationToken = default) => throw Unused();
        public Task<ListShardsResponse> ListShardsAsync(ListShardsRequest request, CancellationToken cancellationToken = default) => throw Unused();
        public Task<GetShardIteratorResponse> GetShardIteratorAsync(GetShardIteratorRequest request, CancellationToken cancellationToken = default) => throw Unused();
        public Task<GetRecordsResponse> GetRecordsAsync(GetRecordsRequest request, CancellationToken cancellationToken = default) => throw Unused();
        public void Dispose() { }

        private static NotSupportedException Unused() => new("KinesisRecordSink called an operation other than PutRecords.");
    }
}
