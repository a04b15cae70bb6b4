namespace KvsInference.LocalKvs.Storage;

/// <summary>
/// An error the store answers the way KVS does: HTTP status, <c>x-amzn-ErrorType</c> header and a JSON body
/// <c>{"Message":"..."}</c>.
/// </summary>
public sealed class KvsServiceException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="errorType">The KVS error type, e.g. <see cref="KvsErrorTypes.ResourceNotFound"/>.</param>
    /// <param name="statusCode">The HTTP status KVS documents for it.</param>
    /// <param name="message">What was wrong, for the caller.</param>
    public KvsServiceException(string errorType, int statusCode, string message) : base(message)
    {
        ErrorType = errorType;
        StatusCode = statusCode;
    }

    /// <summary>Gets the KVS error type.</summary>
    /// <value>For example ResourceNotFoundException.</value>
    public string ErrorType { get; }

    /// <summary>Gets the HTTP status.</summary>
    /// <value>400, 401, 404 or 500.</value>
    public int StatusCode { get; }

    internal static KvsServiceException NotFound(string message) => new(KvsErrorTypes.ResourceNotFound, 404, message);
    internal static KvsServiceException InUse(string message) => new(KvsErrorTypes.ResourceInUse, 400, message);
    internal static KvsServiceException InvalidArgument(string message) => new(KvsErrorTypes.InvalidArgument, 400, message);
    internal static KvsServiceException ClientLimit(string message) => new(KvsErrorTypes.ClientLimitExceeded, 400, message);
    internal static KvsServiceException ConnectionLimit(string message) => new(KvsErrorTypes.ConnectionLimitExceeded, 400, message);
    internal static KvsServiceException VersionMismatch(string message) => new(KvsErrorTypes.VersionMismatch, 400, message);
}

/// <summary>The KVS error types the store returns (the names AWS documents, used in <c>x-amzn-ErrorType</c>).</summary>
public static class KvsErrorTypes
{
    /// <summary>404: the stream (or fragment) does not exist.</summary>
    public const string ResourceNotFound = "ResourceNotFoundException";

    /// <summary>400: the stream already exists or is not ACTIVE.</summary>
    public const string ResourceInUse = "ResourceInUseException";

    /// <summary>400: a parameter is missing, malformed or out of range.</summary>
    public const string InvalidArgument = "InvalidArgumentException";

    /// <summary>400: too many calls per second.</summary>
    public const string ClientLimitExceeded = "ClientLimitExceededException";

    /// <summary>400: too many open connections on the stream.</summary>
    public const string ConnectionLimitExceeded = "ConnectionLimitExceededException";

    /// <summary>400: CurrentVersion does not match the stream's version.</summary>
    public const string VersionMismatch = "VersionMismatchException";

    /// <summary>400: the data plane call went to an endpoint that does not serve the stream (not raised by this store: one endpoint serves all).</summary>
    public const string InvalidEndpoint = "InvalidEndpointException";

    /// <summary>401: the caller is not authorized (not raised: signatures are not verified).</summary>
    public const string NotAuthorized = "NotAuthorizedException";

    /// <summary>400: the request body is not JSON the operation understands.</summary>
    public const string Serialization = "SerializationException";

    /// <summary>404: the path names no operation.</summary>
    public const string UnknownOperation = "UnknownOperationException";
}
