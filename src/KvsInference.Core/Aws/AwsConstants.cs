namespace KvsInference.Aws;

/// <summary>Defaults of the AWS client options and names of the environment variables they honour.</summary>
public static class AwsConstants
{
    /// <summary>The region variable the AWS SDKs read first.</summary>
    public const string RegionVariable = "AWS_REGION";

    /// <summary>The region variable the AWS CLI reads.</summary>
    public const string DefaultRegionVariable = "AWS_DEFAULT_REGION";

    /// <summary>The endpoint variable for every service (the LocalStack convention).</summary>
    public const string EndpointVariable = "AWS_ENDPOINT_URL";

    /// <summary>When "true", the endpoint variables are ignored (AWS SDK convention).</summary>
    public const string IgnoreEndpointsVariable = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS";

    /// <summary>The default number of retries after the first attempt.</summary>
    public const int DefaultMaxRetryAttempts = 5;

    /// <summary>The default base delay of the exponential back-off (with jitter).</summary>
    public static readonly TimeSpan DefaultRetryBaseDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>The default upper bound of one back-off delay.</summary>
    public static readonly TimeSpan DefaultRetryMaxDelay = TimeSpan.FromSeconds(10);

    /// <summary>The default time one attempt may take until the response headers arrive.</summary>
    public static readonly TimeSpan DefaultAttemptTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The default time all attempts of one call may take together.</summary>
    public static readonly TimeSpan DefaultTotalTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The most bytes of an error body read to map it to an exception.</summary>
    public const int MaxErrorBodyBytes = 64 * 1024;
}
