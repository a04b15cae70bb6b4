using System.Net;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using KvsInference.Aws;
using KvsInference.Aws.Generated;
using KvsInference.Aws.Generated.KinesisVideo;
using KvsInference.Aws.KinesisVideo;
using KvsInference.Kvs;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Storage;

/// <summary>
/// Every operation the local media store serves, called with model-valid requests, and every answer (success and error)
/// checked against the official service models: members and types, required members, and modelled error codes.
/// </summary>
public sealed class MediaStoreModelConformanceTests
{
    private static KinesisVideoClient Client(MediaStoreTestKit kit, HttpMessageHandler transport) => new(new KinesisVideoClientOptions
    {
        ServiceUrl = new Uri(kit.Server.Url),
        Region = "us-east-1",
        Credentials = new BasicAWSCredentials("AKIDKVSINFERENCETEST", "kvs-inference-test-secret"),
        EnvironmentVariables = _ => null,
        PageSize = 1,
        Transport = transport,
        Resilience = new AwsResilienceOptions { MaxRetryAttempts = 0 },
    });

    private static async Task<(int Status, string Body)> PostAsync(HttpClient http, string path, string json)
    {
        using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task EveryOperation_ModelValidRequests_AnswersMatchTheModels()
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        var handler = AwsConformanceHandler.OverSockets();
        using var http = new HttpClient(handler, disposeHandler: false) { BaseAddress = new Uri(kit.Server.Url), Timeout = TimeSpan.FromSeconds(60) };
        using var client = Client(kit, handler);

        var cp = client.ControlPlane;
        var arn = (await cp.CreateStreamAsync(new CreateStreamRequest
        {
            StreamName = "cam-1", DataRetentionInHours = 24, MediaType = "audio/webm", DeviceName = "meeting-7", Tags = new Dictionary<string, string> { ["team"] = "avatar" },
        }, CancellationToken.None)).StreamARN!;
        await cp.CreateStreamAsync(new CreateStreamRequest { StreamName = "cam-2", DataRetentionInHours = 1 }, CancellationToken.None);
        var cam = new StreamNameCondition { ComparisonOperator = "BEGINS_WITH", ComparisonValue = "cam-" };
        var page = await cp.ListStreamsAsync(new ListStreamsRequest { MaxResults = 1, StreamNameCondition = cam }, CancellationToken.None);
        Assert.NotNull(page.NextToken);
        await cp.ListStreamsAsync(new ListStreamsRequest { MaxResults = 1, StreamNameCondition = cam, NextToken = page.NextToken }, CancellationToken.None);
        var described = (await cp.DescribeStreamAsync(new DescribeStreamRequest { StreamARN = arn }, CancellationToken.None)).StreamInfo!;
        await client.ListAllTagsForStreamAsync("cam-1", CancellationToken.None);
        foreach (var api in new[] { KvsApiName.PutMedia, KvsApiName.GetMedia, KvsApiName.ListFragments, KvsApiName.GetMediaForFragmentList })
            await client.GetDataEndpointAsync("cam-1", api, CancellationToken.None);

        foreach (var (path, body) in new[]
        {
            ("/tagStream", """{"StreamName":"cam-1","Tags":{"room":"7"}}"""),
            ("/untagStream", $$"""{"StreamARN":"{{arn}}","TagKeyList":["room"]}"""),
            ("/updateDataRetention", $$"""{"StreamName":"cam-1","CurrentVersion":"{{described.Version}}","Operation":"INCREASE_DATA_RETENTION","DataRetentionChangeInHours":2}"""),
        })
        {
            var (status, text) = await PostAsync(http, path, body);
            Assert.True(status == 200, $"{path}: {status} {text}");
        }

        await kit.PutMediaAsync("cam-1", File.ReadAllBytes(StoreMedia.SpeechWebm), chunkBytes: 4000);
        var fragments = await client.ListFragmentsAsync("cam-1", null, null, KvsTimestampOrigin.Server, CancellationToken.None);
        Assert.True(fragments.Count >= 2, $"expected several fragments, got {fragments.Count}");
        await client.ListFragmentsPageAsync("cam-1", DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1), KvsTimestampOrigin.Producer, null, CancellationToken.None);
        using (var media = await client.GetMediaAsync("cam-1", KvsStartSelector.Earliest(), CancellationToken.None))
        {
            Assert.Equal("audio/webm", media.ContentType);   // the stream's own media type, as KVS answers
        }
        using (var media = await client.GetMediaForFragmentListAsync("cam-1", [fragments[0].FragmentNumber!], CancellationToken.None)) { }
        var cam2 = (await cp.DescribeStreamAsync(new DescribeStreamRequest { StreamName = "cam-2" }, CancellationToken.None)).StreamInfo!;
        var deleted = await PostAsync(http, "/deleteStream", $$"""{"StreamARN":"{{cam2.StreamARN}}","CurrentVersion":"{{cam2.Version}}"}""");
        Assert.True(deleted.Status == 200, deleted.Body);

        Assert.True(handler.Violations.IsEmpty, string.Join("\n", handler.Violations));
        Assert.Equal(
            new[] { "CreateStream", "DeleteStream", "DescribeStream", "GetDataEndpoint", "GetMedia", "GetMediaForFragmentList", "ListFragments", "ListStreams",
                "ListTagsForStream", "TagStream", "UntagStream", "UpdateDataRetention" },
            handler.Calls.Select(c => c.Operation.Split(':')[1]).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task EveryOperation_UnknownStream_AnswersModelledResourceNotFound()
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        var handler = AwsConformanceHandler.OverSockets();
        using var http = new HttpClient(handler) { BaseAddress = new Uri(kit.Server.Url), Timeout = TimeSpan.FromSeconds(60) };
        var calls = new (string Path, string Body)[]
        {
            ("/describeStream", """{"StreamName":"nope"}"""),
            ("/deleteStream", """{"StreamARN":"arn:aws:kinesisvideo:us-east-1:000000000000:stream/nope/1600000000000"}"""),
            ("/tagStream", """{"StreamName":"nope","Tags":{"a":"b"}}"""),
            ("/untagStream", """{"StreamName":"nope","TagKeyList":["a"]}"""),
            ("/listTagsForStream", """{"StreamName":"nope"}"""),
            ("/updateDataRetention", """{"StreamName":"nope","CurrentVersion":"1","Operation":"INCREASE_DATA_RETENTION","DataRetentionChangeInHours":1}"""),
            ("/getDataEndpoint", """{"StreamName":"nope","APIName":"GET_MEDIA"}"""),
            ("/listFragments", """{"StreamName":"nope"}"""),
            ("/getMedia", """{"StreamName":"nope","StartSelector":{"StartSelectorType":"NOW"}}"""),
            ("/getMediaForFragmentList", """{"StreamName":"nope","Fragments":["1"]}"""),
        };
        foreach (var (path, body) in calls)
        {
            var (status, text) = await PostAsync(http, path, body);
            Assert.True(status == 404, $"{path}: {status} {text}");
        }
        var duplicate = await PostAsync(http, "/createStream", """{"StreamName":"dup"}""");
        Assert.Equal(200, duplicate.Status);
        Assert.Equal(400, (await PostAsync(http, "/createStream", """{"StreamName":"dup"}""")).Status);

        Assert.True(handler.Violations.IsEmpty, string.Join("\n", handler.Violations));
        Assert.Equal(calls.Length + 2, handler.Calls.Count);
    }

    [Theory]
    [InlineData("CreateStream", "/createStream", """{"StreamName":"bad name!"}""")]
    [InlineData("CreateStream", "/createStream", """{"StreamName":"ok","DataRetentionInHours":-1}""")]
    [InlineData("ListStreams", "/listStreams", """{"MaxResults":100000}""")]
    [InlineData("ListStreams", "/listStreams", """{"NextToken":"not-a-token"}""")]
    [InlineData("DescribeStream", "/describeStream", """{}""")]
    [InlineData("GetDataEndpoint", "/getDataEndpoint", """{"StreamName":"x","APIName":"NOPE"}""")]
    [InlineData("ListFragments", "/listFragments", """{"StreamName":"x","MaxResults":0}""")]
    [InlineData("GetMedia", "/getMedia", """{"StreamName":"x","StartSelector":{"StartSelectorType":"FRAGMENT_NUMBER"}}""")]
    [InlineData("DescribeStream", "/describeStream", """not json""")]
    public async Task Operation_InvalidRequest_AnswersModelledError(string operation, string path, string body)
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        using var response = await kit.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        var model = path is "/listFragments" ? AwsServiceModels.KinesisVideoArchivedMedia : path is "/getMedia" ? AwsServiceModels.KinesisVideoMedia : AwsServiceModels.KinesisVideo;
        string? Header(string name) => response.Headers.TryGetValues(name, out var v) ? v.First()
            : response.Content.Headers.TryGetValues(name, out var c) ? c.First() : null;

        Assert.InRange((int)response.StatusCode, 400, 499);
        var violations = AwsModelConformance.CheckResponse(model, model.Operations[operation], (int)response.StatusCode, Header, text);
        Assert.True(violations.Count == 0, string.Join("\n", violations) + "\n" + text);
        using var doc = JsonDocument.Parse(text);
        Assert.False(string.IsNullOrWhiteSpace(doc.RootElement.GetProperty("Message").GetString()));
    }
}
