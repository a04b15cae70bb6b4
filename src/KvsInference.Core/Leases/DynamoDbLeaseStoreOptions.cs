using System.ComponentModel.DataAnnotations;
using KvsInference.Validation;

namespace KvsInference.Leases;

/// <summary>Options of <see cref="DynamoDbLeaseStore"/>.</summary>
public sealed class DynamoDbLeaseStoreOptions
{
    /// <summary>Gets or sets the lease table name.</summary>
    /// <value>Required; no default.</value>
    [Required]
    [RegularExpression("^[a-zA-Z0-9_.-]{3,255}$", ErrorMessage = "The TableName must be 3 to 255 characters of a-z, A-Z, 0-9, '_', '-' and '.'.")]
    public string TableName { get; set; } = "";

    /// <summary>Gets or sets whether a missing table is created (PAY_PER_REQUEST, hash key <c>leaseKey</c>) on first use.</summary>
    /// <value>The default value is true.</value>
    public bool CreateTableIfMissing { get; set; } = true;

    /// <summary>Gets or sets how long to wait for a created table to become ACTIVE.</summary>
    /// <value>The default value is 2 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan TableActiveTimeout { get; set; } = LeaseConstants.DefaultTableActiveTimeout;

    /// <summary>Gets or sets the attempts (first call included) for throttled and 5xx calls.</summary>
    /// <value>The default value is 5.</value>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = LeaseConstants.DefaultStoreMaxAttempts;

    /// <summary>Gets or sets the base delay of the exponential jittered backoff.</summary>
    /// <value>The default value is 100 ms.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan RetryBaseDelay { get; set; } = LeaseConstants.DefaultStoreRetryBaseDelay;

    /// <summary>Validates the options and reports every error together.</summary>
    /// <exception cref="ValidationException">One or more values are invalid; the message lists them all.</exception>
    public void Validate() => OptionsValidator.Validate(this);
}
