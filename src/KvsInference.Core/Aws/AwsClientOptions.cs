using System.ComponentModel.DataAnnotations;
using Amazon.Runtime;

namespace KvsInference.Aws;

/// <summary>Settings shared by every typed AWS client: region, endpoint, credentials, retries and transport.</summary>
public class AwsClientOptions
{
    /// <summary>Gets or sets the region, e.g. <c>eu-west-1</c>.</summary>
    /// <value>The default value is null: <c>AWS_REGION</c>, then <c>AWS_DEFAULT_REGION</c>, then the shared config file / instance metadata.</value>
    public string? Region { get; set; }

    /// <summary>Gets or sets an explicit endpoint, e.g. <c>http://127.0.0.1:4566</c>.</summary>
    /// <value>The default value is null: see <see cref="AwsEndpointResolver"/> for the order of resolution.</value>
    public Uri? ServiceUrl { get; set; }

    /// <summary>Gets or sets the credentials.</summary>
    /// <value>The default value is null: the AWS SDK default chain (environment, profile, ECS container, instance metadata).</value>
    public AWSCredentials? Credentials { get; set; }

    /// <summary>Gets or sets the retry and timeout policy.</summary>
    /// <value>The default value is a new <see cref="AwsResilienceOptions"/>.</value>
    [Required]
    public AwsResilienceOptions Resilience { get; set; } = new();

    /// <summary>Gets or sets the transport below signing (tests inject loopback or fault handlers here).</summary>
    /// <value>The default value is null: a <see cref="SocketsHttpHandler"/> that does not follow redirects.</value>
    public HttpMessageHandler? Transport { get; set; }

    /// <summary>Gets or sets how environment variables are read (tests inject a dictionary).</summary>
    /// <value>The default value is <see cref="Environment.GetEnvironmentVariable(string)"/>.</value>
    [Required]
    public Func<string, string?> EnvironmentVariables { get; set; } = Environment.GetEnvironmentVariable;
}

/// <summary>Retry and timeout settings of the shared AWS pipeline (see <see cref="AwsResilience"/>).</summary>
public sealed class AwsResilienceOptions
{
    /// <summary>Gets or sets how many times a throttled, 5xx or timed-out call is retried.</summary>
    /// <value>The default value is <see cref="AwsConstants.DefaultMaxRetryAttempts"/>.</value>
    [Range(0, 50)]
    public int MaxRetryAttempts { get; set; } = AwsConstants.DefaultMaxRetryAttempts;

    /// <summary>Gets or sets the base delay of the exponential back-off with jitter.</summary>
    /// <value>The default value is <see cref="AwsConstants.DefaultRetryBaseDelay"/>.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan BaseDelay { get; set; } = AwsConstants.DefaultRetryBaseDelay;

    /// <summary>Gets or sets the longest single back-off delay.</summary>
    /// <value>The default value is <see cref="AwsConstants.DefaultRetryMaxDelay"/>.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan MaxDelay { get; set; } = AwsConstants.DefaultRetryMaxDelay;

    /// <summary>Gets or sets how long one attempt may take until its response headers arrive (streaming bodies are read after that).</summary>
    /// <value>The default value is <see cref="AwsConstants.DefaultAttemptTimeout"/>.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan AttemptTimeout { get; set; } = AwsConstants.DefaultAttemptTimeout;

    /// <summary>Gets or sets how long all attempts of one call may take together.</summary>
    /// <value>The default value is <see cref="AwsConstants.DefaultTotalTimeout"/>.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan TotalTimeout { get; set; } = AwsConstants.DefaultTotalTimeout;
}
