using Amazon.Runtime;
using KvsInference.Aws;
using KvsInference.Aws.Generated.Kinesis;
using KvsInference.Aws.Kinesis;
using KvsInference.Aws.KinesisVideo;
using KvsInference.Aws.SageMaker;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Storage;

/// <summary>
/// The LocalStack recipe of docs/aws-conformance.md, with the emulators in LocalStack's place: one shared
/// <c>AWS_ENDPOINT_URL</c> (LocalStack's edge port; here kinesalite) and <c>AWS_ENDPOINT_URL_KINESIS_VIDEO</c> for the
/// local media store, since KVS is not in LocalStack's free edition.
/// </summary>
public sealed class LocalStackRecipeTests
{
    [Fact]
    public async Task Recipe_SharedEndpointAndKvsOverride_EachClientReachesItsServer()
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AWS_ENDPOINT_URL"] = Emulators.KinesisUrl,
            ["AWS_ENDPOINT_URL_KINESIS_VIDEO"] = kit.Server.Url,
            ["AWS_REGION"] = "us-east-1",
        };
        string? Variable(string name) => environment.GetValueOrDefault(name);
        var credentials = new BasicAWSCredentials("test", "test");
        using var kinesis = new AmazonKinesisClient(new KinesisClientOptions { EnvironmentVariables = Variable, Credentials = credentials });
        using var kvs = new KinesisVideoClient(new KinesisVideoClientOptions { EnvironmentVariables = Variable, Credentials = credentials });
        using var sageMaker = new AmazonSageMakerRuntimeClient(new SageMakerRuntimeClientOptions { EnvironmentVariables = Variable, Credentials = credentials });

        Assert.Equal(new Uri(Emulators.KinesisUrl), kinesis.Endpoint);
        Assert.Equal(new Uri(kit.Server.Url), kvs.Endpoint);
        Assert.Equal(new Uri(Emulators.KinesisUrl), sageMaker.Endpoint);

        var records = "recipe-" + Guid.NewGuid().ToString("N")[..10];
        await kinesis.CreateStreamAsync(new CreateStreamRequest { StreamName = records, ShardCount = 1 }, CancellationToken.None);
        await kinesis.WaitForStreamActiveAsync(records, TimeSpan.FromSeconds(60), CancellationToken.None);
        Assert.Single(await kinesis.ListAllShardsAsync(records, CancellationToken.None));

        await kvs.ControlPlane.CreateStreamAsync(new KvsInference.Aws.Generated.KinesisVideo.CreateStreamRequest { StreamName = "recipe-cam" }, CancellationToken.None);
        Assert.Equal(["recipe-cam"], (await kit.Server.Store.ListStreamsAsync("recipe-", CancellationToken.None)).Select(s => s.StreamName));
        Assert.Equal(new Uri(kit.Server.Url), await kvs.GetDataEndpointAsync("recipe-cam", KvsApiName.GetMedia, CancellationToken.None));
    }
}
