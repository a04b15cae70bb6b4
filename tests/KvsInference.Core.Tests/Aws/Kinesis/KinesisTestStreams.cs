using Amazon.Runtime;
using KvsInference.Aws;
using KvsInference.Aws.Generated.Kinesis;
using KvsInference.Aws.Kinesis;
using KvsInference.TestSupport;
using KinesisRecord = KvsInference.Aws.Generated.Kinesis.Record;

namespace KvsInference.Tests.Aws.Kinesis;

/// <summary>Kinesis clients against kinesalite and a helper that reads a whole stream back.</summary>
internal static class KinesisTestStreams
{
    public static AmazonKinesisClient Client(HttpMessageHandler? transport = null) => new(new KinesisClientOptions
    {
        Region = "us-east-1",
        ServiceUrl = new Uri(Emulators.KinesisUrl),
        Credentials = new BasicAWSCredentials("AKIDEXAMPLE", "secret"),
        Transport = transport,
        Resilience = new AwsResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(20), TotalTimeout = TimeSpan.FromSeconds(30) },
    });

    public static async Task<string> CreateAsync(IAmazonKinesis client, int shards)
    {
        var name = "kvsi-test-" + Guid.NewGuid().ToString("N")[..12];
        await client.CreateStreamAsync(new CreateStreamRequest { StreamName = name, ShardCount = shards }, CancellationToken.None);
        await client.WaitForStreamActiveAsync(name, TimeSpan.FromSeconds(10), CancellationToken.None);
        return name;
    }

    /// <summary>Every record of every shard, each shard in sequence order.</summary>
    public static async Task<List<KinesisRecord>> ReadAllAsync(IAmazonKinesis client, string stream)
    {
        var all = new List<KinesisRecord>();
        foreach (var shard in await client.ListAllShardsAsync(stream, CancellationToken.None))
        {
            var iterator = (await client.GetShardIteratorAsync(new GetShardIteratorRequest
            {
                StreamName = stream, ShardId = shard.ShardId, ShardIteratorType = KinesisShardIteratorType.TrimHorizon,
            }, CancellationToken.None)).ShardIterator;
            for (var i = 0; i < 100 && iterator is not null; i++)
            {
                var page = await client.GetRecordsAsync(new GetRecordsRequest { ShardIterator = iterator, Limit = 10000 }, CancellationToken.None);
                all.AddRange(page.Records!);
                if (page.Records!.Count == 0) break;
                iterator = page.NextShardIterator;
            }
        }
        return all;
    }
}
