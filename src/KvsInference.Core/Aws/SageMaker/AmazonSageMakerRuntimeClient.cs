using System.Net.Http.Headers;
using KvsInference.Aws.Generated.SageMakerRuntime;
using Microsoft.Extensions.Logging;

namespace KvsInference.Aws.SageMaker;

/// <summary>Settings of <see cref="AmazonSageMakerRuntimeClient"/>.</summary>
public sealed class SageMakerRuntimeClientOptions : AwsClientOptions;

/// <summary>
/// A thin client of SageMaker Runtime InvokeEndpoint (REST: <c>POST /endpoints/{name}/invocations</c> on
/// <c>runtime.sagemaker.{region}.amazonaws.com</c>, signing name <c>sagemaker</c>) on the types generated from the official model.
/// </summary>
/// <remarks>
/// Errors: <c>ModelError</c> (424) becomes <see cref="AwsModelErrorException"/> with the container's status, message and log
/// stream; <c>ValidationError</c> becomes <see cref="AwsValidationException"/>; <c>ThrottlingException</c> and
/// <c>ServiceUnavailable</c> are retried by <see cref="AwsResilience"/> and then thrown.
/// </remarks>
public sealed class AmazonSageMakerRuntimeClient : AwsServiceClient, IAmazonSageMakerRuntime
{
    /// <summary>Creates the client.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="timeProvider">The clock of retries and timeouts, or null for the system clock.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    /// <exception cref="InvalidOperationException">No region could be resolved, or an endpoint variable is malformed.</exception>
    public AmazonSageMakerRuntimeClient(SageMakerRuntimeClientOptions options, TimeProvider? timeProvider = null, ILogger<AmazonSageMakerRuntimeClient>? logger = null)
        : base(AwsServiceDescriptor.SageMakerRuntime, options, timeProvider, logger)
    {
    }

    /// <inheritdoc/>
    /// <remarks>Without a ContentType the body is sent as <c>application/json</c>.</remarks>
    public async Task<InvokeEndpointResponse> InvokeEndpointAsync(InvokeEndpointRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.EndpointName, nameof(request.EndpointName));
        if (!request.EndpointName.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            throw new ArgumentException($"SageMaker endpoint name '{request.EndpointName}' may hold only letters, digits and '-'.", nameof(request));
        }
        var body = request.Body ?? throw new ArgumentException("InvokeEndpointRequest.Body is required.", nameof(request));
        var uri = AwsHttpPipeline.Combine(Pipeline.Endpoint, $"/endpoints/{request.EndpointName}/invocations");
        using var response = await Pipeline.SendAsync("sagemaker:InvokeEndpoint", () =>
        {
            var message = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
            message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(request.ContentType ?? "application/json");
            // The header members of InvokeEndpointInput, under their model locationName.
            AddHeader(message, "Accept", request.Accept);
            AddHeader(message, "X-Amzn-SageMaker-Custom-Attributes", request.CustomAttributes);
            AddHeader(message, "X-Amzn-SageMaker-Target-Model", request.TargetModel);
            AddHeader(message, "X-Amzn-SageMaker-Target-Variant", request.TargetVariant);
            AddHeader(message, "X-Amzn-SageMaker-Target-Container-Hostname", request.TargetContainerHostname);
            AddHeader(message, "X-Amzn-SageMaker-Inference-Id", request.InferenceId);
            AddHeader(message, "X-Amzn-SageMaker-Enable-Explanations", request.EnableExplanations);
            return message;
        }, streamResponse: false, cancellationToken).ConfigureAwait(false);
        return new InvokeEndpointResponse
        {
            Body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false),
            ContentType = response.Content.Headers.ContentType?.ToString(),
            InvokedProductionVariant = Header(response, "X-Amzn-Invoked-Production-Variant"),
            CustomAttributes = Header(response, "X-Amzn-SageMaker-Custom-Attributes"),
        };
    }

    private static void AddHeader(HttpRequestMessage message, string name, string? value)
    {
        if (value is not null) message.Headers.TryAddWithoutValidation(name, value);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var v) ? v.FirstOrDefault() : null;
}
