using System.Net;
using System.Text;
using KvsInference.Aws;

namespace KvsInference.Tests.Aws;

public sealed class AwsErrorMapperTests
{
    private static AwsServiceException Map(HttpStatusCode status, string body, string? header = null, string? requestId = "req-1") =>
        AwsErrorMapper.Map(status, header, requestId, Encoding.UTF8.GetBytes(body), "svc:Op");

    [Fact]
    public void Map_JsonTypeWithNamespace_ResourceNotFoundWithCodeStatusAndRequestId()
    {
        var e = Map(HttpStatusCode.BadRequest, """{"__type":"com.amazonaws.kinesis.v20131202#ResourceNotFoundException","message":"Stream x not found"}""");
        var notFound = Assert.IsType<AwsResourceNotFoundException>(e);
        Assert.Equal("ResourceNotFoundException", notFound.ServiceErrorCode);
        Assert.Equal("Stream x not found", notFound.ServiceMessage);
        Assert.Equal(HttpStatusCode.BadRequest, notFound.StatusCode);
        Assert.Equal("req-1", notFound.RequestId);
        Assert.False(notFound.IsRetryable);
        Assert.Contains("svc:Op", notFound.Message);
    }

    [Fact]
    public void Map_RestHeaderWithSuffix_HeaderCodeWins()
    {
        var e = Map(HttpStatusCode.BadRequest, """{"Message":"busy"}""", header: "ResourceInUseException:http://internal.amazon.com/coral/com.amazon.kinesisvideo/");
        Assert.IsType<AwsResourceInUseException>(e);
        Assert.Equal("busy", e.ServiceMessage);
    }

    [Theory]
    [InlineData("ThrottlingException")]
    [InlineData("ProvisionedThroughputExceededException")]
    [InlineData("LimitExceededException")]
    [InlineData("ClientLimitExceededException")]
    [InlineData("ConnectionLimitExceededException")]
    public void Map_ThrottlingCodes_RetryableThrottling(string code)
    {
        var e = Map(HttpStatusCode.BadRequest, $$"""{"__type":"{{code}}","message":"slow down"}""");
        Assert.IsType<AwsThrottlingException>(e);
        Assert.True(e.IsRetryable);
        Assert.Equal(code, e.ServiceErrorCode);
    }

    [Fact]
    public void Map_429WithoutBody_Throttling()
    {
        var e = Map(HttpStatusCode.TooManyRequests, "");
        Assert.IsType<AwsThrottlingException>(e);
    }

    [Fact]
    public void Map_ModelError_CarriesContainerAnswer()
    {
        var e = Map(HttpStatusCode.FailedDependency,
            """{"ErrorCode":"CLIENT_ERROR_FROM_MODEL","LogStreamArn":"arn:aws:logs:us-east-1:1:log-group:/aws/sagemaker/Endpoints/ep","Message":"Received client error (400)","OriginalMessage":"bad pcm","OriginalStatusCode":400}""",
            header: "ModelError");
        var model = Assert.IsType<AwsModelErrorException>(e);
        Assert.Equal(400, model.OriginalStatusCode);
        Assert.Equal("bad pcm", model.OriginalMessage);
        Assert.StartsWith("arn:aws:logs:", model.LogStreamArn);
        Assert.False(model.IsRetryable);
    }

    [Fact]
    public void Map_ValidationError_NotRetryable()
    {
        var e = Map(HttpStatusCode.BadRequest, """{"message":"Endpoint x not found"}""", header: "ValidationError");
        Assert.IsType<AwsValidationException>(e);
        Assert.False(e.IsRetryable);
    }

    [Fact]
    public void Map_ServiceUnavailableHtml_RetryableBaseWithRawText()
    {
        var e = Map(HttpStatusCode.ServiceUnavailable, "<html>oops</html>");
        Assert.Equal(typeof(AwsServiceException), e.GetType());
        Assert.Equal("ServiceUnavailable", e.ServiceErrorCode);
        Assert.Equal("<html>oops</html>", e.ServiceMessage);
        Assert.True(e.IsRetryable);
    }

    [Fact]
    public void Map_UnknownClientError_NotRetryable()
    {
        var e = Map(HttpStatusCode.Forbidden, """{"__type":"AccessDeniedException","Message":"no"}""", requestId: null);
        Assert.Equal("AccessDeniedException", e.ServiceErrorCode);
        Assert.Null(e.RequestId);
        Assert.False(e.IsRetryable);
    }
}
