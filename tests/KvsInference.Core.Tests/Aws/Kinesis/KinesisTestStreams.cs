using Amazon.Runtime;
using KvsInference.Aws;
using KvsInference.Aws.Kinesis;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Aws.Kinesis;

/// <summary>Kinesis clients against kinesalite and a helper that reads a whole stream back.</summary>
internal static class KinesisTestStreams
{
    public static KinesisClient Client(HttpMessageHandler? transport = null) => new(new KinesisClientOptions
    {
        Region = "us-east-1",
        ServiceUrl = new Uri(Emulators.KinesisUrl),
        Credentials = new BasicAWSCredentials("AKIDEXAMPLE", "secret"),
        Transport = transport,
        Resilience = new AwsResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(20), TotalTimeout = TimeSpan.FromSeconds(30) },
    });

    public static async Task<string> CreateAsync(KinesisClient client, int shards)
    {
        var name = "kvsi-test-" + Guid.NewGuid().ToString("N")[..12];
        await client.CreateStreamAsync(name, shards, CancellationToken.None);
        await client.WaitForActiveAsync(name, TimeSpan.FromSeconds(10), CancellationToken.None);
        return name;
    }

    /// <summary>Every record of every shard, each shard in sequence order.</summary>
    public static async Task<List<KinesisRecord>> ReadAllAsync(KinesisClient client, string stream)
    {
        var all = new List<KinesisRecord>();
        foreach (var shard in await client.ListShardsAsync(stream, CancellationToken.None))
        {
            var iterator = await client.GetShardIteratorAsync(stream, shard.ShardId, KinesisShardIteratorType.TrimHorizon, null, null, CancellationToken.None);
            for (var i = 0; i < 100 && iterator is not null; i++)
            {
                var page = await client.GetRecordsAsync(iterator, 10000, CancellationToken.None);
                all.AddRange(page.Records);
                if (page.Records.Count == 0) break;
                iterator = page.NextShardIterator;
            }
        }
        return all;
    }
}
