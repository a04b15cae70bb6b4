using System.Text;
using KvsInference.Aws;
using KvsInference.Aws.Generated.Kinesis;
using KvsInference.Aws.Kinesis;

namespace KvsInference.Tests.Aws.Kinesis;

public sealed class AmazonKinesisClientTests
{
    [Fact]
    public async Task PutRecords_ThenGetRecords_RoundTripsDataKeysAndOrder()
    {
        using var client = KinesisTestStreams.Client();
        var stream = await KinesisTestStreams.CreateAsync(client, shards: 1);
        var entries = Enumerable.Range(0, 20).Select(i => new PutRecordsRequestEntry
        {
            Data = Encoding.UTF8.GetBytes($"record-{i}\u00e9\0{i}"),
            PartitionKey = "key-" + (i % 3),
        }).ToList();

        var put = await client.PutRecordsAsync(new PutRecordsRequest { StreamName = stream, Records = entries }, CancellationToken.None);

        Assert.Equal(0, put.FailedRecordCount);
        Assert.Equal(20, put.Records!.Count);
        Assert.All(put.Records, r => Assert.False(string.IsNullOrEmpty(r.SequenceNumber)));
        var read = await KinesisTestStreams.ReadAllAsync(client, stream);
        Assert.Equal(entries.Select(e => Encoding.UTF8.GetString(e.Data!)), read.Select(r => Encoding.UTF8.GetString(r.Data!)));
        Assert.Equal(entries.Select(e => e.PartitionKey), read.Select(r => r.PartitionKey));
        Assert.All(read, r => Assert.NotNull(r.ApproximateArrivalTimestamp));
    }

    [Fact]
    public async Task DescribeStreamSummaryAndListShards_NewStream_ReportsShards()
    {
        using var client = KinesisTestStreams.Client();
        var stream = await KinesisTestStreams.CreateAsync(client, shards: 3);

        var summary = (await client.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = stream }, CancellationToken.None)).StreamDescriptionSummary!;
        var shards = await client.ListAllShardsAsync(stream, CancellationToken.None);

        Assert.Equal(stream, summary.StreamName);
        Assert.Equal("ACTIVE", summary.StreamStatus);
        Assert.Equal(3, summary.OpenShardCount);
        Assert.EndsWith(":stream/" + stream, summary.StreamARN);
        Assert.Equal(3, shards.Count);
        Assert.All(shards, s => Assert.NotEmpty(s.HashKeyRange!.StartingHashKey!));
    }

    [Fact]
    public async Task Calls_MissingOrExistingStream_MapToTypedExceptions()
    {
        using var client = KinesisTestStreams.Client();
        var stream = await KinesisTestStreams.CreateAsync(client, shards: 1);

        var missing = await Assert.ThrowsAsync<AwsResourceNotFoundException>(() => client.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = stream + "-missing" }, CancellationToken.None));
        var exists = await Assert.ThrowsAsync<AwsResourceInUseException>(() => client.CreateStreamAsync(new CreateStreamRequest { StreamName = stream, ShardCount = 1 }, CancellationToken.None));

        Assert.Equal("ResourceNotFoundException", missing.ServiceErrorCode);
        Assert.Equal("ResourceInUseException", exists.ServiceErrorCode);
        Assert.NotNull(missing.RequestId);
    }
}
