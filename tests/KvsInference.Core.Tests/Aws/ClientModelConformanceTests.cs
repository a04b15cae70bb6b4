using System.Net;
using System.Text;
using Amazon.Runtime;
using KvsInference.Aws;
using KvsInference.Aws.Kinesis;
using KvsInference.Aws.KinesisVideo;
using KvsInference.Aws.SageMaker;
using KvsInference.Kvs;
using KvsInference.TestSupport;
using Kds = KvsInference.Aws.Generated.Kinesis;
using Kv = KvsInference.Aws.Generated.KinesisVideo;

namespace KvsInference.Tests.Aws;

/// <summary>
/// Every request our AWS clients send, checked against the official service models by <see cref="AwsConformanceHandler"/>;
/// the canned answers are checked too, so they cannot drift from what AWS sends.
/// </summary>
public sealed class ClientModelConformanceTests
{
    private const string StreamArn = "arn:aws:kinesisvideo:us-west-2:123456789012:stream/cam-1/1600000000000";
    private const string ChannelArn = "arn:aws:kinesisvideo:us-west-2:123456789012:channel/room-7/1600000000000";

    /// <summary>Answers each modelled operation with a canned, model-valid response.</summary>
    private sealed class CannedAws(Dictionary<string, Func<HttpResponseMessage>> answers) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            string? Header(string name) => request.Headers.TryGetValues(name, out var v) ? v.First() : null;
            var op = AwsModelConformance.Identify(request.Method.Method, request.RequestUri!, Header)
                ?? throw new InvalidOperationException($"no modelled operation for {request.Method} {request.RequestUri}");
            return Task.FromResult(answers[op.Operation.Name]());
        }
    }

    private static Func<HttpResponseMessage> Json(string json, string contentType = "application/json") =>
        () => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, contentType) };

    private static Func<HttpResponseMessage> Media() => () =>
    {
        var content = new ByteArrayContent([0x1A, 0x45, 0xDF, 0xA3]);
        content.Headers.TryAddWithoutValidation("Content-Type", "video/webm");
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    };

    private static T Options<T>(T options, HttpMessageHandler transport) where T : AwsClientOptions
    {
        options.Region = "us-west-2";
        options.ServiceUrl = new Uri("http://aws.invalid");
        options.Credentials = new BasicAWSCredentials("AKIDEXAMPLE", "secret");
        options.Transport = transport;
        options.EnvironmentVariables = _ => null;
        return options;
    }

    private static void AssertConforms(AwsConformanceHandler handler, params string[] operations)
    {
        Assert.True(handler.Violations.IsEmpty, string.Join("\n", handler.Violations));
        Assert.Equal(operations.Order(StringComparer.Ordinal), handler.Calls.Select(c => c.Operation).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task KinesisVideoClient_EveryOperation_RequestsMatchTheModels()
    {
        var streamInfo = $$"""{"StreamName":"cam-1","StreamARN":"{{StreamArn}}","Status":"ACTIVE","CreationTime":1600000000.5,"DataRetentionInHours":24,"MediaType":"audio/webm","Version":"v1"}""";
        var handler = new AwsConformanceHandler(new CannedAws(new()
        {
            ["ListStreams"] = Json($$"""{"StreamInfoList":[{{streamInfo}}],"NextToken":"page-2"}"""),
            ["DescribeStream"] = Json($$"""{"StreamInfo":{{streamInfo}}}"""),
            ["ListTagsForStream"] = Json("""{"Tags":{"team":"avatar"}}"""),
            ["CreateStream"] = Json($$"""{"StreamARN":"{{StreamArn}}"}"""),
            ["GetDataEndpoint"] = Json("""{"DataEndpoint":"http://data.aws.invalid"}"""),
            ["ListFragments"] = Json("""{"Fragments":[{"FragmentNumber":"91343852333181432392682062607743920146264618230","FragmentSizeInBytes":1000,"ProducerTimestamp":1600000000.0,"ServerTimestamp":1600000000.1,"FragmentLengthInMilliseconds":2000}]}"""),
            ["GetMedia"] = Media(),
            ["GetMediaForFragmentList"] = Media(),
        }));
        using var client = new KinesisVideoClient(Options(new KinesisVideoClientOptions { PageSize = 5 }, handler));

        await client.ControlPlane.ListStreamsAsync(new Kv.ListStreamsRequest
        {
            MaxResults = 5, StreamNameCondition = new Kv.StreamNameCondition { ComparisonOperator = "BEGINS_WITH", ComparisonValue = "cam-" },
        }, CancellationToken.None);
        await client.ControlPlane.ListStreamsAsync(new Kv.ListStreamsRequest { NextToken = "page-2" }, CancellationToken.None);
        await client.ControlPlane.DescribeStreamAsync(new Kv.DescribeStreamRequest { StreamName = "cam-1" }, CancellationToken.None);
        await client.ControlPlane.DescribeStreamAsync(new Kv.DescribeStreamRequest { StreamARN = StreamArn }, CancellationToken.None);
        await client.ListAllTagsForStreamAsync("cam-1", CancellationToken.None);
        await client.ControlPlane.CreateStreamAsync(new Kv.CreateStreamRequest
        {
            StreamName = "cam-2", DataRetentionInHours = 24, MediaType = "audio/webm", DeviceName = "meeting-7", Tags = new Dictionary<string, string> { ["team"] = "avatar" },
        }, CancellationToken.None);
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1_600_000_000_250);
        await client.ListFragmentsPageAsync("cam-1", now, now.AddMinutes(1), KvsTimestampOrigin.Producer, null, CancellationToken.None);
        await client.ListFragmentsPageAsync("cam-1", null, null, KvsTimestampOrigin.Server, "next", CancellationToken.None);
        foreach (var selector in new[] { KvsStartSelector.Now(), KvsStartSelector.Earliest(), KvsStartSelector.AfterFragment("123"), KvsStartSelector.ServerTime(now), KvsStartSelector.Continuation("tok") })
        {
            using var media = await client.GetMediaAsync(StreamArn, selector, CancellationToken.None);
        }
        using (await client.GetMediaForFragmentListAsync("cam-1", ["1", "2"], CancellationToken.None)) { }

        AssertConforms(handler, "kinesisvideo:ListStreams", "kinesisvideo:DescribeStream", "kinesisvideo:ListTagsForStream", "kinesisvideo:CreateStream",
            "kinesisvideo:GetDataEndpoint", "kinesis-video-archived-media:ListFragments", "kinesis-video-media:GetMedia",
            "kinesis-video-archived-media:GetMediaForFragmentList");
    }

    [Fact]
    public async Task KinesisVideoClient_SignalingOperations_RequestsMatchTheModels()
    {
        var handler = new AwsConformanceHandler(new CannedAws(new()
        {
            ["CreateSignalingChannel"] = Json($$"""{"ChannelARN":"{{ChannelArn}}"}"""),
            ["DescribeSignalingChannel"] = Json($$$"""{"ChannelInfo":{"ChannelName":"room-7","ChannelARN":"{{{ChannelArn}}}","ChannelType":"SINGLE_MASTER","ChannelStatus":"ACTIVE","CreationTime":1600000000,"SingleMasterConfiguration":{"MessageTtlSeconds":60},"Version":"1"}}"""),
            ["GetSignalingChannelEndpoint"] = Json("""{"ResourceEndpointList":[{"Protocol":"HTTPS","ResourceEndpoint":"https://r-1.aws.invalid"},{"Protocol":"WEBRTC","ResourceEndpoint":"https://w-1.aws.invalid"}]}"""),
            ["GetIceServerConfig"] = Json("""{"IceServerList":[{"Uris":["turn:turn.aws.invalid:443?transport=tcp"],"Username":"u","Password":"p","Ttl":300}]}"""),
            ["UpdateMediaStorageConfiguration"] = Json("{}"),
            ["DescribeMediaStorageConfiguration"] = Json($$$"""{"MediaStorageConfiguration":{"StreamARN":"{{{StreamArn}}}","Status":"ENABLED"}}"""),
            ["JoinStorageSession"] = () => new HttpResponseMessage(HttpStatusCode.OK),
            ["DeleteSignalingChannel"] = Json("{}"),
            ["DeleteStream"] = Json("{}"),
        }));
        using var client = new KinesisVideoClient(Options(new KinesisVideoClientOptions(), handler));

        var cp = client.ControlPlane;
        var ct = CancellationToken.None;
        await cp.CreateSignalingChannelAsync(new Kv.CreateSignalingChannelRequest
        {
            ChannelName = "room-7", ChannelType = "SINGLE_MASTER", SingleMasterConfiguration = new Kv.SingleMasterConfiguration { MessageTtlSeconds = 60 },
            Tags = [new Kv.Tag { Key = "team", Value = "avatar" }],
        }, ct);
        await cp.DescribeSignalingChannelAsync(new Kv.DescribeSignalingChannelRequest { ChannelARN = ChannelArn }, ct);
        await cp.DescribeSignalingChannelAsync(new Kv.DescribeSignalingChannelRequest { ChannelName = "room-7" }, ct);
        await cp.GetSignalingChannelEndpointAsync(new Kv.GetSignalingChannelEndpointRequest
        {
            ChannelARN = ChannelArn,
            SingleMasterChannelEndpointConfiguration = new Kv.SingleMasterChannelEndpointConfiguration { Role = KvsChannelRole.Master, Protocols = [KvsChannelProtocol.Https, KvsChannelProtocol.WebRtc] },
        }, ct);
        var signaling = client.SignalingChannelsClient(new Uri("https://r-1.aws.invalid"));
        await signaling.GetIceServerConfigAsync(new() { ChannelARN = ChannelArn, ClientId = "viewer-1", Service = "TURN" }, ct);
        await signaling.GetIceServerConfigAsync(new() { ChannelARN = ChannelArn }, ct);
        await cp.UpdateMediaStorageConfigurationAsync(new Kv.UpdateMediaStorageConfigurationRequest
        {
            ChannelARN = ChannelArn, MediaStorageConfiguration = new Kv.MediaStorageConfiguration { Status = "ENABLED", StreamARN = StreamArn },
        }, ct);
        await cp.UpdateMediaStorageConfigurationAsync(new Kv.UpdateMediaStorageConfigurationRequest
        {
            ChannelARN = ChannelArn, MediaStorageConfiguration = new Kv.MediaStorageConfiguration { Status = "DISABLED" },
        }, ct);
        await cp.DescribeMediaStorageConfigurationAsync(new Kv.DescribeMediaStorageConfigurationRequest { ChannelARN = ChannelArn }, ct);
        await client.WebRtcStorageClient(new Uri("https://w-1.aws.invalid")).JoinStorageSessionAsync(new() { ChannelArn = ChannelArn }, ct);
        await cp.DeleteSignalingChannelAsync(new Kv.DeleteSignalingChannelRequest { ChannelARN = ChannelArn }, ct);
        await cp.DeleteStreamAsync(new Kv.DeleteStreamRequest { StreamARN = StreamArn }, ct);

        AssertConforms(handler, "kinesisvideo:CreateSignalingChannel", "kinesisvideo:DeleteSignalingChannel", "kinesisvideo:DeleteStream", "kinesisvideo:DescribeSignalingChannel", "kinesisvideo:GetSignalingChannelEndpoint",
            "kinesis-video-signaling:GetIceServerConfig", "kinesisvideo:UpdateMediaStorageConfiguration", "kinesisvideo:DescribeMediaStorageConfiguration",
            "kinesis-video-webrtc-storage:JoinStorageSession");
    }

    [Fact]
    public async Task KinesisClient_EveryOperation_RequestsMatchTheModel()
    {
        const string amzJson = "application/x-amz-json-1.1";
        var handler = new AwsConformanceHandler(new CannedAws(new()
        {
            ["PutRecords"] = Json("""{"FailedRecordCount":1,"Records":[{"SequenceNumber":"4959","ShardId":"shardId-000000000000"},{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"slow down"}]}""", amzJson),
            ["CreateStream"] = Json("", amzJson),
            ["DescribeStreamSummary"] = Json("""{"StreamDescriptionSummary":{"StreamName":"records","StreamARN":"arn:aws:kinesis:us-west-2:123456789012:stream/records","StreamStatus":"ACTIVE","RetentionPeriodHours":24,"StreamCreationTimestamp":1600000000,"EnhancedMonitoring":[{"ShardLevelMetrics":["IncomingBytes"]}],"OpenShardCount":1}}""", amzJson),
            ["ListShards"] = Json("""{"Shards":[{"ShardId":"shardId-000000000000","HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"340282366920938463463374607431768211455"},"SequenceNumberRange":{"StartingSequenceNumber":"4959"}}]}""", amzJson),
            ["GetShardIterator"] = Json("""{"ShardIterator":"AAAA"}""", amzJson),
            ["GetRecords"] = Json("""{"Records":[{"SequenceNumber":"4959","ApproximateArrivalTimestamp":1600000000.25,"Data":"aGk=","PartitionKey":"k"}],"NextShardIterator":"BBBB","MillisBehindLatest":0}""", amzJson),
        }));
        using var client = new AmazonKinesisClient(Options(new KinesisClientOptions(), handler));
        const string shard = "shardId-000000000000";

        await client.PutRecordsAsync(new Kds.PutRecordsRequest
        {
            StreamName = "records",
            Records = [new Kds.PutRecordsRequestEntry { Data = "hi"u8.ToArray(), PartitionKey = "k" }, new Kds.PutRecordsRequestEntry { Data = [1], PartitionKey = "k", ExplicitHashKey = "0" }],
        }, CancellationToken.None);
        await client.CreateStreamAsync(new Kds.CreateStreamRequest { StreamName = "records", ShardCount = 1 }, CancellationToken.None);
        await client.DescribeStreamSummaryAsync(new Kds.DescribeStreamSummaryRequest { StreamName = "records" }, CancellationToken.None);
        await client.ListAllShardsAsync("records", CancellationToken.None);
        await client.GetShardIteratorAsync(new Kds.GetShardIteratorRequest { StreamName = "records", ShardId = shard, ShardIteratorType = KinesisShardIteratorType.TrimHorizon }, CancellationToken.None);
        await client.GetShardIteratorAsync(new Kds.GetShardIteratorRequest
        {
            StreamName = "records", ShardId = shard, ShardIteratorType = KinesisShardIteratorType.AfterSequenceNumber, StartingSequenceNumber = "4959",
        }, CancellationToken.None);
        await client.GetShardIteratorAsync(new Kds.GetShardIteratorRequest
        {
            StreamName = "records", ShardId = shard, ShardIteratorType = KinesisShardIteratorType.AtTimestamp, Timestamp = DateTimeOffset.FromUnixTimeSeconds(1_600_000_000),
        }, CancellationToken.None);
        await client.GetRecordsAsync(new Kds.GetRecordsRequest { ShardIterator = "AAAA", Limit = 100 }, CancellationToken.None);

        AssertConforms(handler, "kinesis:PutRecords", "kinesis:CreateStream", "kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:GetShardIterator", "kinesis:GetRecords");
    }

    [Fact]
    public async Task SageMakerRuntimeClient_InvokeEndpoint_RequestMatchesTheModel()
    {
        var handler = new AwsConformanceHandler(new CannedAws(new()
        {
            ["InvokeEndpoint"] = () =>
            {
                var r = Json("""{"frames":[]}""")();
                r.Headers.TryAddWithoutValidation("X-Amzn-Invoked-Production-Variant", "AllTraffic");
                return r;
            },
        }));
        using var client = new AmazonSageMakerRuntimeClient(Options(new SageMakerRuntimeClientOptions(), handler));

        await client.InvokeEndpointAsync(new KvsInference.Aws.Generated.SageMakerRuntime.InvokeEndpointRequest
        {
            EndpointName = "lip-sync-1", Body = "{}"u8.ToArray(), Accept = "application/json", CustomAttributes = "trace=1", TargetVariant = "AllTraffic",
        }, CancellationToken.None);

        AssertConforms(handler, "sagemaker-runtime:InvokeEndpoint");
    }
}
