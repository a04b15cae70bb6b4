using Amazon.CDK;
using KvsInference.Cdk.Configuration;

namespace KvsInference.Cdk.Fleet;

/// <summary>Properties of <see cref="KvsInferenceStack"/>: the CDK stack properties plus the deployment parameters.</summary>
public sealed class KvsInferenceStackProps : StackProps
{
    /// <summary>Gets or sets the deployment parameters.</summary>
    /// <value>The default value is <see cref="FleetSettings"/> with its defaults (which select no stream, so it must be set).</value>
    public FleetSettings Settings { get; set; } = new();

    /// <summary>Gets or sets the Docker build context holding the repository's Dockerfile.</summary>
    /// <value>The repository root; no default.</value>
    public string DockerContextDirectory { get; set; } = "";
}
