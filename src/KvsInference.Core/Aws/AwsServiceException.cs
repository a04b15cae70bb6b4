using System.Net;

namespace KvsInference.Aws;

/// <summary>An AWS service answered with an error: the service's error code, the HTTP status and the request id.</summary>
public class AwsServiceException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="serviceErrorCode">The error code, e.g. <c>ResourceNotFoundException</c>.</param>
    /// <param name="message">The service's message.</param>
    /// <param name="statusCode">The HTTP status.</param>
    /// <param name="requestId">The <c>x-amzn-RequestId</c>, when sent.</param>
    /// <param name="operation">The operation that failed, e.g. <c>kinesis:PutRecords</c>.</param>
    public AwsServiceException(string serviceErrorCode, string message, HttpStatusCode statusCode, string? requestId, string operation)
        : base($"{operation} failed: {serviceErrorCode} ({(int)statusCode}): {message}" + (requestId is null ? "" : $" [request id {requestId}]"))
    {
        ServiceErrorCode = serviceErrorCode;
        ServiceMessage = message;
        StatusCode = statusCode;
        RequestId = requestId;
        Operation = operation;
    }

    /// <summary>Gets the service error code without namespace, e.g. <c>ResourceNotFoundException</c>.</summary>
    public string ServiceErrorCode { get; }

    /// <summary>Gets the message the service sent.</summary>
    public string ServiceMessage { get; }

    /// <summary>Gets the HTTP status of the answer.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>Gets the request id (<c>x-amzn-RequestId</c>), or null.</summary>
    public string? RequestId { get; }

    /// <summary>Gets the failed operation, <c>service:Operation</c>.</summary>
    public string Operation { get; }

    /// <summary>Gets whether retrying the same call later may succeed (throttling, 5xx).</summary>
    public virtual bool IsRetryable => (int)StatusCode >= 500 || StatusCode == HttpStatusCode.TooManyRequests;
}

/// <summary>The stream, endpoint or other resource named in the call does not exist (<c>ResourceNotFoundException</c>).</summary>
public sealed class AwsResourceNotFoundException : AwsServiceException
{
    /// <inheritdoc cref="AwsServiceException(string, string, HttpStatusCode, string?, string)"/>
    public AwsResourceNotFoundException(string serviceErrorCode, string message, HttpStatusCode statusCode, string? requestId, string operation)
        : base(serviceErrorCode, message, statusCode, requestId, operation) { }

    /// <inheritdoc/>
    public override bool IsRetryable => false;
}

/// <summary>The resource exists already or is not in a state that allows the call (<c>ResourceInUseException</c>).</summary>
public sealed class AwsResourceInUseException : AwsServiceException
{
    /// <inheritdoc cref="AwsServiceException(string, string, HttpStatusCode, string?, string)"/>
    public AwsResourceInUseException(string serviceErrorCode, string message, HttpStatusCode statusCode, string? requestId, string operation)
        : base(serviceErrorCode, message, statusCode, requestId, operation) { }

    /// <inheritdoc/>
    public override bool IsRetryable => false;
}

/// <summary>
/// The call was throttled: <c>ThrottlingException</c>, <c>ProvisionedThroughputExceededException</c>, <c>LimitExceededException</c>,
/// <c>ClientLimitExceededException</c>, <c>ConnectionLimitExceededException</c>, <c>TooManyRequestsException</c> or HTTP 429.
/// </summary>
public sealed class AwsThrottlingException : AwsServiceException
{
    /// <inheritdoc cref="AwsServiceException(string, string, HttpStatusCode, string?, string)"/>
    public AwsThrottlingException(string serviceErrorCode, string message, HttpStatusCode statusCode, string? requestId, string operation)
        : base(serviceErrorCode, message, statusCode, requestId, operation) { }

    /// <inheritdoc/>
    public override bool IsRetryable => true;
}

/// <summary>The request was malformed (<c>ValidationError</c>, <c>ValidationException</c>, <c>InvalidArgumentException</c>, ...).</summary>
public sealed class AwsValidationException : AwsServiceException
{
    /// <inheritdoc cref="AwsServiceException(string, string, HttpStatusCode, string?, string)"/>
    public AwsValidationException(string serviceErrorCode, string message, HttpStatusCode statusCode, string? requestId, string operation)
        : base(serviceErrorCode, message, statusCode, requestId, operation) { }

    /// <inheritdoc/>
    public override bool IsRetryable => false;
}

/// <summary>The SageMaker model container failed (<c>ModelError</c>, HTTP 424): carries what the container answered.</summary>
public sealed class AwsModelErrorException : AwsServiceException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The service's message.</param>
    /// <param name="statusCode">The HTTP status (424).</param>
    /// <param name="requestId">The request id.</param>
    /// <param name="operation">The operation.</param>
    /// <param name="originalStatusCode">The status code the container answered.</param>
    /// <param name="originalMessage">The body the container answered.</param>
    /// <param name="logStreamArn">The CloudWatch log stream of the container.</param>
    public AwsModelErrorException(string message, HttpStatusCode statusCode, string? requestId, string operation,
        int? originalStatusCode, string? originalMessage, string? logStreamArn)
        : base("ModelError", message, statusCode, requestId, operation)
    {
        OriginalStatusCode = originalStatusCode;
        OriginalMessage = originalMessage;
        LogStreamArn = logStreamArn;
    }

    /// <summary>Gets the HTTP status the model container answered, or null.</summary>
    public int? OriginalStatusCode { get; }

    /// <summary>Gets the body the model container answered, or null.</summary>
    public string? OriginalMessage { get; }

    /// <summary>Gets the ARN of the container's CloudWatch log stream, or null.</summary>
    public string? LogStreamArn { get; }

    /// <inheritdoc/>
    public override bool IsRetryable => false;
}
