using System.Net;
using Amazon.Runtime;
using KvsInference.Aws;
using KvsInference.Aws.Generated.Kinesis;
using KvsInference.Aws.Kinesis;

namespace KvsInference.Tests.Aws;

public sealed class AwsResilienceTests
{
    private const string Ok = """{"StreamDescriptionSummary":{"StreamName":"s","StreamARN":"arn:aws:kinesis:us-east-1:1:stream/s","StreamStatus":"ACTIVE","OpenShardCount":1}}""";

    private static AmazonKinesisClient Client(ScriptedHandler handler, int maxRetries = 3) => new(new KinesisClientOptions
    {
        Region = "us-east-1",
        ServiceUrl = new Uri("https://kinesis.us-east-1.amazonaws.com"),
        Credentials = new BasicAWSCredentials("AKIDEXAMPLE", "secret"),
        Transport = handler,
        Resilience = new AwsResilienceOptions { MaxRetryAttempts = maxRetries, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) },
    });

    [Fact]
    public async Task Send_ThrottledThenOk_RetriesAndSignsEachAttempt()
    {
        var handler = new ScriptedHandler(
            ScriptedHandler.Json(HttpStatusCode.BadRequest, """{"__type":"LimitExceededException","message":"Rate exceeded"}"""),
            ScriptedHandler.Json(HttpStatusCode.TooManyRequests, ""),
            ScriptedHandler.Json(HttpStatusCode.OK, Ok));
        using var client = Client(handler);

        var summary = await client.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = "s" }, CancellationToken.None);

        Assert.Equal("ACTIVE", summary.StreamDescriptionSummary!.StreamStatus);
        Assert.Equal(3, handler.Requests.Count);
        Assert.All(handler.Requests, r =>
        {
            Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", r.Request.Headers.GetValues("Authorization").Single());
            Assert.Contains("/us-east-1/kinesis/aws4_request", r.Request.Headers.GetValues("Authorization").Single());
            Assert.Equal("Kinesis_20131202.DescribeStreamSummary", r.Request.Headers.GetValues("X-Amz-Target").Single());
            Assert.Equal("application/x-amz-json-1.1", r.Request.Content!.Headers.ContentType!.MediaType);
            Assert.Equal("""{"StreamName":"s"}""", r.Body);
        });
        // Each attempt is a fresh request object, signed on its own.
        Assert.Equal(3, handler.Requests.Select(r => r.Request).Distinct().Count());
    }

    [Fact]
    public async Task Send_ServerErrorThenOk_Retries()
    {
        var handler = new ScriptedHandler(
            ScriptedHandler.Json(HttpStatusCode.InternalServerError, """{"__type":"InternalFailure"}"""),
            ScriptedHandler.Json(HttpStatusCode.ServiceUnavailable, "<html/>"),
            ScriptedHandler.Json(HttpStatusCode.OK, Ok));
        using var client = Client(handler);

        await client.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = "s" }, CancellationToken.None);

        Assert.Equal(3, handler.Requests.Count);
    }

    [Fact]
    public async Task Send_ValidationError_NotRetried()
    {
        var handler = new ScriptedHandler(
            ScriptedHandler.Json(HttpStatusCode.BadRequest, """{"__type":"ValidationException","message":"1 validation error detected"}""", ("x-amzn-RequestId", "abc-123")));
        using var client = Client(handler);

        var e = await Assert.ThrowsAsync<AwsValidationException>(() => client.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = "s" }, CancellationToken.None));

        Assert.Single(handler.Requests);
        Assert.Equal("abc-123", e.RequestId);
        Assert.Equal("kinesis:DescribeStreamSummary", e.Operation);
    }

    [Fact]
    public async Task Send_AlwaysThrottled_GivesUpAfterMaxRetries()
    {
        var throttled = ScriptedHandler.Json(HttpStatusCode.BadRequest, """{"__type":"ProvisionedThroughputExceededException","message":"slow"}""");
        var handler = new ScriptedHandler(throttled, throttled, throttled);
        using var client = Client(handler, maxRetries: 2);

        var e = await Assert.ThrowsAsync<AwsThrottlingException>(() => client.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = "s" }, CancellationToken.None));

        Assert.Equal(3, handler.Requests.Count);
        Assert.Equal("ProvisionedThroughputExceededException", e.ServiceErrorCode);
    }

    [Fact]
    public async Task Send_TransportFailureThenOk_Retries()
    {
        var handler = new ScriptedHandler(_ => throw new HttpRequestException("connection refused"), ScriptedHandler.Json(HttpStatusCode.OK, Ok));
        using var client = Client(handler);

        await client.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = "s" }, CancellationToken.None);

        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public void Build_InvalidOptions_ReportsEveryError()
    {
        var e = Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() =>
            AwsResilience.Build(new AwsResilienceOptions { MaxRetryAttempts = -1, AttemptTimeout = TimeSpan.Zero }, TimeProvider.System));
        Assert.Contains(nameof(AwsResilienceOptions.MaxRetryAttempts), e.Message);
        Assert.Contains(nameof(AwsResilienceOptions.AttemptTimeout), e.Message);
    }
}
