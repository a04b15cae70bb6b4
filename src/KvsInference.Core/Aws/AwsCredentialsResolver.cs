using Amazon.Runtime;
using Amazon.Runtime.Credentials;

namespace KvsInference.Aws;

/// <summary>Finds the credentials a client signs with.</summary>
/// <remarks>
/// Order: the explicit <see cref="AwsClientOptions.Credentials"/>; the AWS SDK default chain
/// (<see cref="DefaultAWSCredentialsIdentityResolver"/>: environment, profile, SSO, ECS container, instance metadata).
/// When the chain finds nothing and the endpoint is not an AWS host (an emulator, LocalStack or the local media store,
/// which do not verify signatures), fixed placeholder credentials are used so that local runs need no AWS setup.
/// </remarks>
public static class AwsCredentialsResolver
{
    /// <summary>The access key id of the placeholder credentials used against non-AWS endpoints.</summary>
    public const string LocalAccessKeyId = "kvsi-local";

    /// <summary>Resolves the credentials for calls to <paramref name="endpoint"/>.</summary>
    /// <param name="options">The client options.</param>
    /// <param name="endpoint">The resolved endpoint.</param>
    /// <returns>The credentials.</returns>
    /// <exception cref="InvalidOperationException">No credentials were found and the endpoint is an AWS host.</exception>
    public static AWSCredentials Resolve(AwsClientOptions options, Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(endpoint);
        if (options.Credentials is not null) return options.Credentials;
        try
        {
            var found = DefaultAWSCredentialsIdentityResolver.GetCredentials();
            if (found is not null) return found;
        }
        catch (AmazonClientException) when (!IsAwsHost(endpoint))
        {
            // Nothing configured: fine for an emulator, reported below for AWS.
        }
        catch (AmazonClientException e)
        {
            throw new InvalidOperationException($"No AWS credentials for {endpoint}: {e.Message}", e);
        }
        if (IsAwsHost(endpoint)) throw new InvalidOperationException($"No AWS credentials for {endpoint}.");
        return new BasicAWSCredentials(LocalAccessKeyId, "kvsi-local-secret");
    }

    /// <summary>Whether <paramref name="endpoint"/> is an AWS service host (amazonaws.com or amazonaws.com.cn).</summary>
    /// <param name="endpoint">The endpoint.</param>
    /// <returns>True for AWS hosts.</returns>
    public static bool IsAwsHost(Uri endpoint) =>
        endpoint.Host.EndsWith(".amazonaws.com", StringComparison.OrdinalIgnoreCase)
        || endpoint.Host.EndsWith(".amazonaws.com.cn", StringComparison.OrdinalIgnoreCase);
}
