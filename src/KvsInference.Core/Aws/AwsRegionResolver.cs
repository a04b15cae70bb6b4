using Amazon;
using Amazon.Runtime;

namespace KvsInference.Aws;

/// <summary>Finds the region a client talks to.</summary>
/// <remarks>
/// Order: the explicit <see cref="AwsClientOptions.Region"/>; <c>AWS_REGION</c>; <c>AWS_DEFAULT_REGION</c>; then the AWS SDK's
/// fallback (the profile's <c>region</c> in ~/.aws/config, then EC2 instance metadata).
/// </remarks>
public static class AwsRegionResolver
{
    /// <summary>Resolves the region system name, e.g. <c>eu-west-1</c>.</summary>
    /// <param name="options">The client options.</param>
    /// <returns>The region name.</returns>
    /// <exception cref="InvalidOperationException">No source names a region.</exception>
    public static string Resolve(AwsClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.Region)) return options.Region.Trim();
        foreach (var name in new[] { AwsConstants.RegionVariable, AwsConstants.DefaultRegionVariable })
        {
            var value = options.EnvironmentVariables(name);
            if (!string.IsNullOrWhiteSpace(value)) return value.Trim();
        }
        RegionEndpoint? fallback = null;
        try
        {
            fallback = FallbackRegionFactory.GetRegionEndpoint(false);
        }
        catch (AmazonClientException)
        {
            // No profile region: reported below together with the other sources.
        }
        return fallback?.SystemName ?? throw new InvalidOperationException(
            "No AWS region: set AwsClientOptions.Region, AWS_REGION or AWS_DEFAULT_REGION, or a region in the AWS config profile.");
    }
}
