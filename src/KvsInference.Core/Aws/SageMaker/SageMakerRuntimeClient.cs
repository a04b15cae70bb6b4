using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;

namespace KvsInference.Aws.SageMaker;

/// <summary>Settings of <see cref="SageMakerRuntimeClient"/>.</summary>
public sealed class SageMakerRuntimeClientOptions : AwsClientOptions;

/// <summary>InvokeEndpoint parameters.</summary>
public sealed class SageMakerInvokeRequest
{
    /// <summary>Gets the endpoint name (1-63 of [a-zA-Z0-9-]).</summary>
    public required string EndpointName { get; init; }
    /// <summary>Gets the request body.</summary>
    public required ReadOnlyMemory<byte> Body { get; init; }
    /// <summary>Gets the body's content type.</summary>
    /// <value>The default value is <c>application/json</c>.</value>
    public string ContentType { get; init; } = "application/json";
    /// <summary>Gets the wanted answer type, or null.</summary>
    public string? Accept { get; init; }
    /// <summary>Gets the <c>X-Amzn-SageMaker-Custom-Attributes</c> value, or null.</summary>
    public string? CustomAttributes { get; init; }
    /// <summary>Gets the <c>X-Amzn-SageMaker-Target-Model</c> value (multi-model endpoints), or null.</summary>
    public string? TargetModel { get; init; }
    /// <summary>Gets the <c>X-Amzn-SageMaker-Target-Variant</c> value, or null.</summary>
    public string? TargetVariant { get; init; }
}

/// <summary>The InvokeEndpoint answer.</summary>
/// <param name="Body">The model's answer bytes.</param>
/// <param name="ContentType">The answer's content type, or null.</param>
/// <param name="InvokedProductionVariant">The variant that answered (<c>X-Amzn-Invoked-Production-Variant</c>), or null.</param>
/// <param name="CustomAttributes">The model's <c>X-Amzn-SageMaker-Custom-Attributes</c>, or null.</param>
public sealed record SageMakerInvokeResponse(byte[] Body, string? ContentType, string? InvokedProductionVariant, string? CustomAttributes);

/// <summary>
/// A thin typed client of SageMaker Runtime InvokeEndpoint (REST: <c>POST /endpoints/{name}/invocations</c> on
/// <c>runtime.sagemaker.{region}.amazonaws.com</c>, signing name <c>sagemaker</c>): bytes in, bytes out.
/// </summary>
/// <remarks>
/// Errors: <c>ModelError</c> (424) becomes <see cref="AwsModelErrorException"/> with the container's status, message and log
/// stream; <c>ValidationError</c> becomes <see cref="AwsValidationException"/>; <c>ThrottlingException</c> and
/// <c>ServiceUnavailable</c> are retried by <see cref="AwsResilience"/> and then thrown.
/// </remarks>
public sealed class SageMakerRuntimeClient : IDisposable
{
    private readonly AwsHttpPipeline _pipeline;

    /// <summary>Creates the client.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="timeProvider">The clock of retries and timeouts, or null for the system clock.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    /// <exception cref="InvalidOperationException">No region could be resolved, or an endpoint variable is malformed.</exception>
    public SageMakerRuntimeClient(SageMakerRuntimeClientOptions options, TimeProvider? timeProvider = null, ILogger<SageMakerRuntimeClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _pipeline = new AwsHttpPipeline(AwsServiceDescriptor.SageMakerRuntime, options, timeProvider, logger);
    }

    /// <summary>Gets the endpoint in use.</summary>
    public Uri Endpoint => _pipeline.Endpoint;

    /// <summary>Invokes a SageMaker endpoint.</summary>
    /// <param name="request">The call.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The model's answer.</returns>
    /// <exception cref="ArgumentException">The endpoint name is empty or not [a-zA-Z0-9-].</exception>
    /// <exception cref="AwsModelErrorException">The model container failed.</exception>
    /// <exception cref="AwsServiceException">The service refused the call (after retries for throttling and 5xx).</exception>
    public async Task<SageMakerInvokeResponse> InvokeEndpointAsync(SageMakerInvokeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.EndpointName);
        if (!request.EndpointName.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            throw new ArgumentException($"SageMaker endpoint name '{request.EndpointName}' may hold only letters, digits and '-'.", nameof(request));
        }
        var uri = AwsHttpPipeline.Combine(_pipeline.Endpoint, $"/endpoints/{request.EndpointName}/invocations");
        var body = request.Body;
        using var response = await _pipeline.SendAsync("sagemaker:InvokeEndpoint", () =>
        {
            var message = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ReadOnlyMemoryContent(body) };
            message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(request.ContentType);
            if (request.Accept is not null) message.Headers.TryAddWithoutValidation("Accept", request.Accept);
            if (request.CustomAttributes is not null) message.Headers.TryAddWithoutValidation("X-Amzn-SageMaker-Custom-Attributes", request.CustomAttributes);
            if (request.TargetModel is not null) message.Headers.TryAddWithoutValidation("X-Amzn-SageMaker-Target-Model", request.TargetModel);
            if (request.TargetVariant is not null) message.Headers.TryAddWithoutValidation("X-Amzn-SageMaker-Target-Variant", request.TargetVariant);
            return message;
        }, streamResponse: false, cancellationToken).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return new SageMakerInvokeResponse(bytes, response.Content.Headers.ContentType?.ToString(),
            Header(response, "X-Amzn-Invoked-Production-Variant"), Header(response, "X-Amzn-SageMaker-Custom-Attributes"));
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var v) ? v.FirstOrDefault() : null;

    /// <inheritdoc/>
    public void Dispose() => _pipeline.Dispose();
}
