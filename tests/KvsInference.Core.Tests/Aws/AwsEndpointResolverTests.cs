using KvsInference.Aws;

namespace KvsInference.Tests.Aws;

public sealed class AwsEndpointResolverTests
{
    private static AwsClientOptions Options(Dictionary<string, string> env, Uri? serviceUrl = null, string? region = null) => new()
    {
        ServiceUrl = serviceUrl,
        Region = region,
        EnvironmentVariables = name => env.TryGetValue(name, out var v) ? v : null,
    };

    [Fact]
    public void Resolve_NothingConfigured_StandardRegionalHost()
    {
        var o = Options([]);
        Assert.Equal(new Uri("https://kinesisvideo.eu-west-1.amazonaws.com"), AwsEndpointResolver.Resolve(AwsServiceDescriptor.KinesisVideo, o, "eu-west-1"));
        Assert.Equal(new Uri("https://runtime.sagemaker.us-east-2.amazonaws.com"), AwsEndpointResolver.Resolve(AwsServiceDescriptor.SageMakerRuntime, o, "us-east-2"));
        Assert.Equal(new Uri("https://kinesis.cn-north-1.amazonaws.com.cn"), AwsEndpointResolver.Resolve(AwsServiceDescriptor.Kinesis, o, "cn-north-1"));
    }

    [Fact]
    public void Resolve_ServiceVariableAndGlobalVariable_ServiceVariableWins()
    {
        var o = Options(new() { ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566", ["AWS_ENDPOINT_URL_KINESIS_VIDEO"] = "http://127.0.0.1:9000" });
        Assert.Equal(new Uri("http://127.0.0.1:9000"), AwsEndpointResolver.Resolve(AwsServiceDescriptor.KinesisVideo, o, "us-east-1"));
        // Other services fall back to the global variable.
        Assert.Equal(new Uri("http://127.0.0.1:4566"), AwsEndpointResolver.Resolve(AwsServiceDescriptor.Kinesis, o, "us-east-1"));
        Assert.Equal(new Uri("http://127.0.0.1:4566"), AwsEndpointResolver.Resolve(AwsServiceDescriptor.DynamoDb, o, "us-east-1"));
    }

    [Fact]
    public void Resolve_ExplicitServiceUrl_WinsOverVariables()
    {
        var o = Options(new() { ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566", ["AWS_ENDPOINT_URL_KINESIS"] = "http://127.0.0.1:9000" },
            serviceUrl: new Uri("http://localhost:1234"));
        Assert.Equal(new Uri("http://localhost:1234"), AwsEndpointResolver.Resolve(AwsServiceDescriptor.Kinesis, o, "us-east-1"));
    }

    [Fact]
    public void Resolve_IgnoreConfiguredEndpoints_SkipsVariables()
    {
        var o = Options(new() { ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566", ["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true" });
        Assert.Equal(new Uri("https://kinesis.us-east-1.amazonaws.com"), AwsEndpointResolver.Resolve(AwsServiceDescriptor.Kinesis, o, "us-east-1"));
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://127.0.0.1/")]
    public void Resolve_MalformedVariable_ThrowsNamingVariable(string value)
    {
        var o = Options(new() { ["AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"] = value });
        var e = Assert.Throws<InvalidOperationException>(() => AwsEndpointResolver.Resolve(AwsServiceDescriptor.SageMakerRuntime, o, "us-east-1"));
        Assert.Contains("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", e.Message);
    }

    [Fact]
    public void RegionResolve_Order_ExplicitThenAwsRegionThenDefaultRegion()
    {
        Assert.Equal("ap-south-1", AwsRegionResolver.Resolve(Options(new() { ["AWS_REGION"] = "eu-west-1" }, region: "ap-south-1")));
        Assert.Equal("eu-west-1", AwsRegionResolver.Resolve(Options(new() { ["AWS_REGION"] = "eu-west-1", ["AWS_DEFAULT_REGION"] = "us-west-2" })));
        Assert.Equal("us-west-2", AwsRegionResolver.Resolve(Options(new() { ["AWS_DEFAULT_REGION"] = "us-west-2" })));
    }
}

public sealed class AwsCredentialsResolverTests
{
    [Fact]
    public void Resolve_ExplicitCredentials_ReturnedAsIs()
    {
        var explicitCredentials = new Amazon.Runtime.BasicAWSCredentials("AKID", "secret");
        Assert.Same(explicitCredentials, AwsCredentialsResolver.Resolve(new AwsClientOptions { Credentials = explicitCredentials }, new Uri("https://kinesis.us-east-1.amazonaws.com")));
    }

    [Theory]
    [InlineData("https://kinesis.us-east-1.amazonaws.com", true)]
    [InlineData("https://kinesis.cn-north-1.amazonaws.com.cn", true)]
    [InlineData("http://127.0.0.1:4567", false)]
    [InlineData("http://localhost.localstack.cloud:4566", false)]
    [InlineData("https://amazonaws.com.evil.example", false)]
    public void IsAwsHost_Endpoint_OnlyAwsDomains(string url, bool expected) =>
        Assert.Equal(expected, AwsCredentialsResolver.IsAwsHost(new Uri(url)));
}
