using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Amazon.Runtime;
using KvsInference.Aws;
using KvsInference.Aws.Generated.SageMakerRuntime;
using KvsInference.Aws.SageMaker;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Aws.SageMaker;

public sealed class AmazonSageMakerRuntimeClientTests
{
    private sealed record Seen(string Method, string Path, Dictionary<string, string?> Headers, byte[] Body);

    private static AmazonSageMakerRuntimeClient Client(Uri url) => new(new SageMakerRuntimeClientOptions
    {
        Region = "eu-west-1",
        ServiceUrl = url,
        Credentials = new BasicAWSCredentials("AKIDEXAMPLE", "secret"),
        Resilience = new AwsResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) },
    });

    private static async Task<Seen> ReadAsync(HttpListenerContext c)
    {
        using var ms = new MemoryStream();
        await c.Request.InputStream.CopyToAsync(ms);
        var headers = c.Request.Headers.AllKeys.ToDictionary(k => k!, k => c.Request.Headers[k], StringComparer.OrdinalIgnoreCase);
        return new Seen(c.Request.HttpMethod, c.Request.Url!.AbsolutePath, headers, ms.ToArray());
    }

    private static async Task AnswerAsync(HttpListenerContext c, int status, string body, string contentType = "application/json", params (string, string)[] headers)
    {
        c.Response.StatusCode = status;
        c.Response.ContentType = contentType;
        foreach (var (k, v) in headers) c.Response.Headers[k] = v;
        var bytes = Encoding.UTF8.GetBytes(body);
        c.Response.ContentLength64 = bytes.Length;
        await c.Response.OutputStream.WriteAsync(bytes);
    }

    [Fact]
    public async Task InvokeEndpoint_FullRequest_SendsPathHeadersBodyAndReadsAnswer()
    {
        var seen = new ConcurrentQueue<Seen>();
        await using var server = new AwsLoopbackServer(async c =>
        {
            seen.Enqueue(await ReadAsync(c));
            await AnswerAsync(c, 200, """{"predictions":[]}""", headers: [("X-Amzn-Invoked-Production-Variant", "AllTraffic"), ("X-Amzn-SageMaker-Custom-Attributes", "model=v2")]);
        });
        using var client = Client(server.Url);
        var body = Encoding.UTF8.GetBytes("""{"instances":[{"id":"a"}]}""");

        var answer = await client.InvokeEndpointAsync(new InvokeEndpointRequest
        {
            EndpointName = "kvsi-visemes",
            Body = body,
            ContentType = "application/json",
            Accept = "application/json",
            CustomAttributes = "trace=1",
            TargetModel = "model-a.tar.gz",
        }, CancellationToken.None);

        var s = Assert.Single(seen);
        Assert.Equal("POST", s.Method);
        Assert.Equal("/endpoints/kvsi-visemes/invocations", s.Path);
        Assert.Equal(body, s.Body);
        Assert.Equal("application/json", s.Headers["Content-Type"]);
        Assert.Equal("application/json", s.Headers["Accept"]);
        Assert.Equal("trace=1", s.Headers["X-Amzn-SageMaker-Custom-Attributes"]);
        Assert.Equal("model-a.tar.gz", s.Headers["X-Amzn-SageMaker-Target-Model"]);
        Assert.Contains("/eu-west-1/sagemaker/aws4_request", s.Headers["Authorization"]);
        Assert.Contains("x-amzn-sagemaker-custom-attributes", s.Headers["Authorization"]);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body)), s.Headers["X-Amz-Content-SHA256"]);
        Assert.Equal("""{"predictions":[]}""", Encoding.UTF8.GetString(answer.Body!));
        Assert.Equal("AllTraffic", answer.InvokedProductionVariant);
        Assert.Equal("model=v2", answer.CustomAttributes);
        Assert.StartsWith("application/json", answer.ContentType);
    }

    [Fact]
    public async Task InvokeEndpoint_ModelError_ThrowsWithContainerDetailsNotRetried()
    {
        await using var server = new AwsLoopbackServer(async c =>
        {
            await ReadAsync(c);
            await AnswerAsync(c, 424,
                """{"ErrorCode":"CLIENT_ERROR_FROM_MODEL","LogStreamArn":"arn:aws:logs:eu-west-1:123:log-group:/aws/sagemaker/Endpoints/kvsi-visemes","Message":"Received client error (400) from primary","OriginalMessage":"pcm16 is not base64","OriginalStatusCode":400}""",
                headers: [("x-amzn-ErrorType", "ModelError"), ("x-amzn-RequestId", "7f1c")]);
        });
        using var client = Client(server.Url);

        var e = await Assert.ThrowsAsync<AwsModelErrorException>(() =>
            client.InvokeEndpointAsync(new InvokeEndpointRequest { EndpointName = "kvsi-visemes", Body = "{}"u8.ToArray() }, CancellationToken.None));

        Assert.Equal(1, server.RequestCount);
        Assert.Equal(HttpStatusCode.FailedDependency, e.StatusCode);
        Assert.Equal(400, e.OriginalStatusCode);
        Assert.Equal("pcm16 is not base64", e.OriginalMessage);
        Assert.Contains("/aws/sagemaker/Endpoints/kvsi-visemes", e.LogStreamArn);
        Assert.Equal("7f1c", e.RequestId);
    }

    [Fact]
    public async Task InvokeEndpoint_ThrottledAndUnavailableThenOk_Retries()
    {
        var n = 0;
        await using var server = new AwsLoopbackServer(async c =>
        {
            await ReadAsync(c);
            switch (Interlocked.Increment(ref n))
            {
                case 1: await AnswerAsync(c, 400, """{"message":"Rate exceeded"}""", headers: [("x-amzn-ErrorType", "ThrottlingException")]); break;
                case 2: await AnswerAsync(c, 503, """{"message":"busy"}""", headers: [("x-amzn-ErrorType", "ServiceUnavailable")]); break;
                default: await AnswerAsync(c, 200, "ok", "text/plain"); break;
            }
        });
        using var client = Client(server.Url);

        var answer = await client.InvokeEndpointAsync(new InvokeEndpointRequest { EndpointName = "ep", Body = "x"u8.ToArray(), ContentType = "text/plain" }, CancellationToken.None);

        Assert.Equal("ok", Encoding.UTF8.GetString(answer.Body!));
        Assert.Equal(3, server.RequestCount);
    }

    [Fact]
    public async Task InvokeEndpoint_ValidationError_ThrowsWithoutRetry()
    {
        await using var server = new AwsLoopbackServer(async c =>
        {
            await ReadAsync(c);
            await AnswerAsync(c, 400, """{"message":"Endpoint ep of account 123 not found."}""", headers: [("x-amzn-ErrorType", "ValidationError:http://internal.amazon.com/coral/com.amazon.sagemaker/")]);
        });
        using var client = Client(server.Url);

        var e = await Assert.ThrowsAsync<AwsValidationException>(() =>
            client.InvokeEndpointAsync(new InvokeEndpointRequest { EndpointName = "ep", Body = "{}"u8.ToArray() }, CancellationToken.None));

        Assert.Equal("ValidationError", e.ServiceErrorCode);
        Assert.Contains("not found", e.ServiceMessage);
        Assert.Equal(1, server.RequestCount);
    }

    [Theory]
    [InlineData("")]
    [InlineData("bad/name")]
    [InlineData("a b")]
    public async Task InvokeEndpoint_BadEndpointName_ThrowsArgumentException(string name)
    {
        using var client = Client(new Uri("http://127.0.0.1:9"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() =>
            client.InvokeEndpointAsync(new InvokeEndpointRequest { EndpointName = name, Body = "{}"u8.ToArray() }, CancellationToken.None));
    }
}
