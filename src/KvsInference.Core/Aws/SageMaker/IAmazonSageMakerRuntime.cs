using KvsInference.Aws.Generated.SageMakerRuntime;

namespace KvsInference.Aws.SageMaker;

/// <summary>
/// The SageMaker Runtime operations this project uses, shaped like aws-sdk-net's
/// <c>Amazon.SageMakerRuntime.IAmazonSageMakerRuntime</c>, on the types generated from the official model.
/// </summary>
public interface IAmazonSageMakerRuntime : IDisposable
{
    /// <summary>Invokes a SageMaker endpoint (InvokeEndpoint): bytes in, bytes out.</summary>
    /// <param name="request">EndpointName (1-63 of [a-zA-Z0-9-]) and Body are required; the header members are sent when set.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The model's answer: Body (never null), ContentType, InvokedProductionVariant, CustomAttributes.</returns>
    /// <exception cref="ArgumentException">The endpoint name is empty or not [a-zA-Z0-9-], or the body is missing.</exception>
    /// <exception cref="AwsModelErrorException">The model container failed (ModelError).</exception>
    /// <exception cref="AwsServiceException">The service refused the call (after retries for throttling and 5xx).</exception>
    Task<InvokeEndpointResponse> InvokeEndpointAsync(InvokeEndpointRequest request, CancellationToken cancellationToken = default);
}
