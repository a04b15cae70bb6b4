namespace KvsInference.Aws;

/// <summary>
/// What the shared HTTP pipeline needs to know about one AWS service: its SigV4 signing name, the
/// identifier of its <c>AWS_ENDPOINT_URL_&lt;SERVICE&gt;</c> variable and the host of its standard endpoint.
/// </summary>
/// <param name="ServiceId">The upper-case service identifier used in <c>AWS_ENDPOINT_URL_&lt;ServiceId&gt;</c>, e.g. <c>KINESIS_VIDEO</c>.</param>
/// <param name="SigningName">The SigV4 signing name, e.g. <c>kinesisvideo</c>.</param>
/// <param name="HostPrefix">The host before the region in the standard endpoint, e.g. <c>kinesisvideo</c> or <c>runtime.sagemaker</c>.</param>
public sealed record AwsServiceDescriptor(string ServiceId, string SigningName, string HostPrefix)
{
    /// <summary>Kinesis Video Streams (control plane; the data plane endpoints come from GetDataEndpoint).</summary>
    public static AwsServiceDescriptor KinesisVideo { get; } = new("KINESIS_VIDEO", "kinesisvideo", "kinesisvideo");

    /// <summary>Kinesis Data Streams.</summary>
    public static AwsServiceDescriptor Kinesis { get; } = new("KINESIS", "kinesis", "kinesis");

    /// <summary>SageMaker Runtime (InvokeEndpoint); signs as <c>sagemaker</c>.</summary>
    public static AwsServiceDescriptor SageMakerRuntime { get; } = new("SAGEMAKER_RUNTIME", "sagemaker", "runtime.sagemaker");

    /// <summary>DynamoDB.</summary>
    public static AwsServiceDescriptor DynamoDb { get; } = new("DYNAMODB", "dynamodb", "dynamodb");

    /// <summary>The name of this service's endpoint environment variable, e.g. <c>AWS_ENDPOINT_URL_KINESIS_VIDEO</c>.</summary>
    public string EndpointVariable => "AWS_ENDPOINT_URL_" + ServiceId;
}
