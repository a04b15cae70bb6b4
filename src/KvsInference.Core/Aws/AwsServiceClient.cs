using Microsoft.Extensions.Logging;

namespace KvsInference.Aws;

/// <summary>
/// The base of every AWS client here, as aws-sdk-net's <c>AmazonServiceClient</c> is of its clients: the signed,
/// retrying HTTP pipeline to one endpoint, created from the options (validated there) and disposed with the client.
/// </summary>
public abstract class AwsServiceClient : IDisposable
{
    /// <summary>Creates the pipeline of a client.</summary>
    /// <param name="service">The service's signing name and endpoint prefix.</param>
    /// <param name="options">The settings; validated here.</param>
    /// <param name="timeProvider">The clock for retries and timeouts, or null for the system clock.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <param name="endpoint">A fixed endpoint (a data or channel endpoint, see <see cref="CheckHttpEndpoint"/>), or null to resolve it from the options.</param>
    private protected AwsServiceClient(AwsServiceDescriptor service, AwsClientOptions options, TimeProvider? timeProvider, ILogger? logger, Uri? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Pipeline = new AwsHttpPipeline(service, options, timeProvider, logger, endpoint);
    }

    /// <summary>Gets the endpoint this client calls.</summary>
    public Uri Endpoint => Pipeline.Endpoint;

    private protected AwsHttpPipeline Pipeline { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        Pipeline.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Returns an endpoint handed out by a service (GetDataEndpoint, GetSignalingChannelEndpoint) after checking it is an absolute http(s) URL.</summary>
    /// <exception cref="ArgumentException">It is not.</exception>
    internal static Uri CheckHttpEndpoint(Uri endpoint, string name)
    {
        ArgumentNullException.ThrowIfNull(endpoint, name);
        if (!endpoint.IsAbsoluteUri || endpoint.Scheme is not ("https" or "http"))
        {
            throw new ArgumentException($"'{endpoint}' is not an absolute https:// endpoint.", name);
        }
        return endpoint;
    }
}
