using KvsInference.Aws.Generated.SageMakerRuntime;
using KvsInference.Aws.SageMaker;

namespace KvsInference.Inference;

/// <summary>
/// The model behind a SageMaker endpoint: one InvokeEndpoint call per batch, with the batch JSON of the inference
/// contract (<see cref="InferenceJson"/>). Errors of the endpoint surface as the SageMaker client's typed exceptions.
/// </summary>
public sealed class SageMakerInferenceClient : IInferenceClient
{
    private readonly IAmazonSageMakerRuntime _runtime;
    private readonly string _endpointName;
    private readonly string _accept;

    /// <summary>Creates the client.</summary>
    /// <param name="runtime">The SageMaker Runtime client (signing, retries).</param>
    /// <param name="endpointName">The endpoint name.</param>
    /// <param name="accept">The Accept header (KIT's endPointAcceptContentType).</param>
    public SageMakerInferenceClient(IAmazonSageMakerRuntime runtime, string endpointName, string accept = "application/json")
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentException.ThrowIfNullOrEmpty(endpointName);
        _runtime = runtime;
        _endpointName = endpointName;
        _accept = accept;
    }

    /// <inheritdoc />
    public string ModelName => "sagemaker:" + _endpointName;

    /// <inheritdoc />
    /// <exception cref="InferenceException">The endpoint's answer is not the contract's JSON.</exception>
    public async Task<IReadOnlyList<InferencePrediction>> InferAsync(IReadOnlyList<InferenceInstance> instances, CancellationToken cancellationToken)
    {
        var response = await _runtime.InvokeEndpointAsync(new InvokeEndpointRequest
        {
            EndpointName = _endpointName,
            Body = InferenceJson.SerializeRequest(instances),
            ContentType = "application/json",
            Accept = _accept,
        }, cancellationToken).ConfigureAwait(false);
        try
        {
            return InferenceJson.ReadResponse(response.Body ?? []);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InferenceException($"SageMaker endpoint {_endpointName} answered with a body that is not the inference response JSON: {e.Message}", e);
        }
    }
}
