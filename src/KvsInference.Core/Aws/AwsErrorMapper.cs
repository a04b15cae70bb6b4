using System.Net;
using System.Text;
using System.Text.Json;

namespace KvsInference.Aws;

/// <summary>Turns an AWS error answer (JSON body and/or <c>x-amzn-ErrorType</c> header) into a typed <see cref="AwsServiceException"/>.</summary>
public static class AwsErrorMapper
{
    private static readonly HashSet<string> ThrottlingCodes = new(StringComparer.Ordinal)
    {
        "ThrottlingException", "Throttling", "ThrottledException", "ProvisionedThroughputExceededException",
        "LimitExceededException", "ClientLimitExceededException", "ConnectionLimitExceededException",
        "TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException",
        "SlowDown", "KMSThrottlingException",
    };

    private static readonly HashSet<string> ValidationCodes = new(StringComparer.Ordinal)
    {
        "ValidationError", "ValidationException", "InvalidArgumentException", "InvalidParameterException",
        "InvalidParameterValueException", "SerializationException", "InvalidEndpointException",
    };

    /// <summary>Reads the (bounded) error body of <paramref name="response"/> and maps it.</summary>
    /// <param name="response">A non-success answer.</param>
    /// <param name="operation">The operation, <c>service:Operation</c>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The typed exception (not thrown).</returns>
    public static async Task<AwsServiceException> FromResponseAsync(HttpResponseMessage response, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        byte[] body = [];
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var buffer = new byte[AwsConstants.MaxErrorBodyBytes];
            var total = 0;
            int read;
            while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
            }
            body = buffer.AsSpan(0, total).ToArray();
        }
        catch (HttpRequestException)
        {
            // The connection broke while reading the error: map what the status and headers say.
        }
        catch (IOException)
        {
        }
        return Map(response.StatusCode, Header(response, "x-amzn-ErrorType") ?? Header(response, "x-amz-ErrorType"),
            Header(response, "x-amzn-RequestId") ?? Header(response, "x-amz-RequestId"), body, operation);
    }

    /// <summary>Maps an error answer already read.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="errorTypeHeader">The <c>x-amzn-ErrorType</c> header, or null.</param>
    /// <param name="requestId">The request id header, or null.</param>
    /// <param name="body">The error body (JSON or anything else).</param>
    /// <param name="operation">The operation, <c>service:Operation</c>.</param>
    /// <returns>The typed exception (not thrown).</returns>
    public static AwsServiceException Map(HttpStatusCode status, string? errorTypeHeader, string? requestId, ReadOnlySpan<byte> body, string operation)
    {
        string? code = null, message = null, originalMessage = null, logStreamArn = null;
        int? originalStatus = null;
        if (body.Length > 0 && body[0] == (byte)'{')
        {
            try
            {
                var reader = new Utf8JsonReader(body);
                using var doc = JsonDocument.ParseValue(ref reader);
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    switch (p.Name)
                    {
                        case "__type" or "code" or "Code" when p.Value.ValueKind == JsonValueKind.String:
                            code ??= p.Value.GetString();
                            break;
                        case "message" or "Message" or "errorMessage" when p.Value.ValueKind == JsonValueKind.String:
                            message ??= p.Value.GetString();
                            break;
                        case "OriginalMessage" when p.Value.ValueKind == JsonValueKind.String:
                            originalMessage = p.Value.GetString();
                            break;
                        case "OriginalStatusCode" when p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out var s):
                            originalStatus = s;
                            break;
                        case "LogStreamArn" when p.Value.ValueKind == JsonValueKind.String:
                            logStreamArn = p.Value.GetString();
                            break;
                    }
                }
            }
            catch (JsonException)
            {
                // Not JSON after all: fall back to the header and the raw text below.
            }
        }
        // REST services put the code in a header; it wins over a generic body type.
        code = Clean(errorTypeHeader) ?? Clean(code);
        if (code is null)
        {
            code = status switch
            {
                HttpStatusCode.TooManyRequests => "TooManyRequestsException",
                HttpStatusCode.NotFound => "NotFound",
                HttpStatusCode.ServiceUnavailable => "ServiceUnavailable",
                >= HttpStatusCode.InternalServerError => "InternalFailure",
                _ => "HttpStatus" + (int)status,
            };
        }
        if (message is null)
        {
            var text = Encoding.UTF8.GetString(body.Length > 512 ? body[..512] : body).Trim();
            message = text.Length > 0 ? text : status.ToString();
        }

        if (code == "ModelError")
        {
            return new AwsModelErrorException(message, status, requestId, operation, originalStatus, originalMessage, logStreamArn);
        }
        if (code == "ResourceNotFoundException") return new AwsResourceNotFoundException(code, message, status, requestId, operation);
        if (code == "ResourceInUseException") return new AwsResourceInUseException(code, message, status, requestId, operation);
        if (ThrottlingCodes.Contains(code) || status == HttpStatusCode.TooManyRequests)
        {
            return new AwsThrottlingException(code, message, status, requestId, operation);
        }
        if (ValidationCodes.Contains(code)) return new AwsValidationException(code, message, status, requestId, operation);
        return new AwsServiceException(code, message, status, requestId, operation);
    }

    /// <summary>Strips the namespace (<c>com.amazon.coral.service#X</c>) and the suffix (<c>X:http://...</c>) AWS adds to error types.</summary>
    internal static string? Clean(string? code)
    {
        if (string.IsNullOrWhiteSpace(code)) return null;
        var s = code.Trim();
        var hash = s.LastIndexOf('#');
        if (hash >= 0) s = s[(hash + 1)..];
        var colon = s.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0) s = s[..colon];
        return s.Length == 0 ? null : s;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
