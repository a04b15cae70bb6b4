using KvsInference.Aws.Generated;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Aws;

/// <summary>The model checker finds each kind of divergence it is meant to find (so the conformance tests can fail).</summary>
public sealed class AwsModelConformanceTests
{
    private static readonly Uri ListFragmentsUri = new("http://data.invalid/listFragments");

    private static List<string> ListFragments(string body, string method = "POST", Uri? uri = null) =>
        AwsModelConformance.CheckRequest(AwsServiceModels.KinesisVideoArchivedMedia, AwsServiceModels.KinesisVideoArchivedMedia.Operations["ListFragments"],
            method, uri ?? ListFragmentsUri, _ => null, body);

    [Fact]
    public void CheckRequest_ModelValidBody_NoViolations()
    {
        Assert.Empty(ListFragments("""{"StreamName":"cam-1","MaxResults":10,"FragmentSelector":{"FragmentSelectorType":"SERVER_TIMESTAMP","TimestampRange":{"StartTimestamp":1600000000.5,"EndTimestamp":1600000060}}}"""));
    }

    [Theory]
    [InlineData("""{"StreamName":"cam-1","Streamname":"x"}""", "Streamname: not a member")]
    [InlineData("""{"StreamName":7}""", "StreamName: number, model says string")]
    [InlineData("""{"MaxResults":"10"}""", "MaxResults: string")]
    [InlineData("""{"MaxResults":0}""", "value 0 below the minimum 1")]
    [InlineData("""{"FragmentSelector":{"FragmentSelectorType":"SERVER_TIMESTAMP"}}""", "TimestampRange: required by FragmentSelector but missing")]
    [InlineData("""{"FragmentSelector":{"FragmentSelectorType":"SERVER","TimestampRange":{"StartTimestamp":1,"EndTimestamp":2}}}""", "'SERVER' is not one of")]
    [InlineData("""{"FragmentSelector":{"FragmentSelectorType":"SERVER_TIMESTAMP","TimestampRange":{"StartTimestamp":"2020-01-01T00:00:00Z","EndTimestamp":2}}}""", "model says timestamp")]
    [InlineData("""{"StreamName":null}""", "null (omit the member instead)")]
    [InlineData("""[1]""", "array, model says structure")]
    [InlineData("""{"StreamName":""}""", "length 0 below the minimum 1")]
    public void CheckRequest_Divergence_ReportsIt(string body, string expected)
    {
        var violations = ListFragments(body);
        Assert.Contains(violations, v => v.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void CheckRequest_WrongMethodOrPath_ReportsIt()
    {
        Assert.Contains(ListFragments("{}", method: "GET"), v => v.Contains("method GET", StringComparison.Ordinal));
        Assert.Contains(ListFragments("{}", uri: new Uri("http://data.invalid/ListFragments")), v => v.Contains("does not match /listFragments", StringComparison.Ordinal));
    }

    [Fact]
    public void CheckRequest_JsonProtocolWithoutTarget_ReportsIt()
    {
        var kinesis = AwsServiceModels.Kinesis;
        var violations = AwsModelConformance.CheckRequest(kinesis, kinesis.Operations["GetRecords"], "POST", new Uri("http://k.invalid/"),
            name => name == "Content-Type" ? "application/json" : null, """{"ShardIterator":"AAAA"}""");
        Assert.Contains(violations, v => v.Contains("X-Amz-Target", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("application/x-amz-json-1.1", StringComparison.Ordinal));
    }

    [Fact]
    public void CheckResponse_UnmodelledErrorCode_ReportsIt()
    {
        var kvs = AwsServiceModels.KinesisVideo;
        var describe = kvs.Operations["DescribeStream"];
        Assert.Empty(AwsModelConformance.CheckResponse(kvs, describe, 404, name => name == "x-amzn-ErrorType" ? "ResourceNotFoundException:http://internal.amazon.com/" : null, """{"Message":"no"}"""));
        Assert.Contains(AwsModelConformance.CheckResponse(kvs, describe, 404, _ => null, """{"__type":"StreamNotFound","Message":"no"}"""),
            v => v.Contains("StreamNotFound is not one of the modelled errors", StringComparison.Ordinal));
        Assert.Contains(AwsModelConformance.CheckResponse(kvs, describe, 500, _ => null, "oops"), v => v.Contains("without x-amzn-ErrorType", StringComparison.Ordinal));
    }

    [Fact]
    public void CheckResponse_MissingRequiredOutputMember_ReportsIt()
    {
        var kvs = AwsServiceModels.KinesisVideo;
        var violations = AwsModelConformance.CheckResponse(kvs, kvs.Operations["ListTagsForStream"], 200, _ => null, """{"Tags":{"a":1}}""");
        Assert.Contains(violations, v => v.Contains("Tags.a: number, model says string", StringComparison.Ordinal));
    }
}
