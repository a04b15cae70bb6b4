namespace KvsInference.Aws;

/// <summary>Finds the base URL a client sends to.</summary>
/// <remarks>
/// Order (the AWS SDKs' rule, so that code that pins an endpoint is never redirected by the environment):
/// <list type="number">
/// <item>the explicit <see cref="AwsClientOptions.ServiceUrl"/>;</item>
/// <item><c>AWS_ENDPOINT_URL_&lt;SERVICE&gt;</c> (service ids KINESIS_VIDEO, KINESIS, SAGEMAKER_RUNTIME, DYNAMODB);</item>
/// <item><c>AWS_ENDPOINT_URL</c> (the LocalStack convention);</item>
/// <item>the standard <c>https://{host prefix}.{region}.amazonaws.com</c> (<c>.amazonaws.com.cn</c> in China regions).</item>
/// </list>
/// Both variables are skipped when <c>AWS_IGNORE_CONFIGURED_ENDPOINT_URLS</c> is <c>true</c>.
/// </remarks>
public static class AwsEndpointResolver
{
    /// <summary>Resolves the endpoint of <paramref name="service"/>.</summary>
    /// <param name="service">The service.</param>
    /// <param name="options">The client options.</param>
    /// <param name="region">The resolved region.</param>
    /// <returns>An absolute http(s) URL.</returns>
    /// <exception cref="InvalidOperationException">A configured endpoint is not an absolute http or https URL.</exception>
    public static Uri Resolve(AwsServiceDescriptor service, AwsClientOptions options, string region)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        if (options.ServiceUrl is not null) return Check(options.ServiceUrl, "AwsClientOptions.ServiceUrl");

        var ignore = string.Equals(options.EnvironmentVariables(AwsConstants.IgnoreEndpointsVariable)?.Trim(), "true", StringComparison.OrdinalIgnoreCase);
        if (!ignore)
        {
            foreach (var variable in new[] { service.EndpointVariable, AwsConstants.EndpointVariable })
            {
                var value = options.EnvironmentVariables(variable);
                if (string.IsNullOrWhiteSpace(value)) continue;
                if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri))
                {
                    throw new InvalidOperationException($"{variable}='{value}' is not an absolute URL.");
                }
                return Check(uri, variable);
            }
        }
        var suffix = region.StartsWith("cn-", StringComparison.Ordinal) ? "amazonaws.com.cn" : "amazonaws.com";
        return new Uri($"https://{service.HostPrefix}.{region}.{suffix}");
    }

    private static Uri Check(Uri uri, string source)
    {
        if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new InvalidOperationException($"{source}='{uri}' must be an absolute http or https URL.");
        }
        return uri;
    }
}
