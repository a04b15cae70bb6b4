using System.ComponentModel.DataAnnotations;
using KvsInference.Validation;

namespace KvsInference.Leases;

/// <summary>Which KVS streams get leases, and how often the set is refreshed.</summary>
public sealed class StreamDiscoveryOptions
{
    /// <summary>Gets the explicit stream names; when not empty only these streams are selected.</summary>
    /// <value>The default value is empty.</value>
    public IList<string> StreamNames { get; } = [];

    /// <summary>Gets or sets the stream name prefix passed to ListStreams, or null.</summary>
    /// <value>The default value is null.</value>
    public string? NamePrefix { get; set; }

    /// <summary>Gets the tag filters: a stream is selected only when it has every key with exactly that value.</summary>
    /// <value>The default value is empty.</value>
    public IDictionary<string, string> TagFilters { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Gets or sets the period between refreshes.</summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan RefreshPeriod { get; set; } = LeaseConstants.DefaultDiscoveryRefreshPeriod;

    /// <summary>Gets or sets how long a stream must be missing (deleted or no longer selected) before its lease is deleted.</summary>
    /// <value>The default value is 5 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan DeletedStreamGracePeriod { get; set; } = LeaseConstants.DefaultDeletedStreamGracePeriod;

    /// <summary>Validates the options and reports every error together.</summary>
    /// <exception cref="ValidationException">One or more values are invalid; the message lists them all.</exception>
    public void Validate() => OptionsValidator.Validate(this, Rules());

    /// <summary>The rules between members.</summary>
    internal IEnumerable<ValidationResult> Rules()
    {
        if (StreamNames.Count == 0 && string.IsNullOrEmpty(NamePrefix) && TagFilters.Count == 0)
        {
            yield return OptionsValidator.Error(nameof(StreamNames), "Select streams with StreamNames, NamePrefix or TagFilters (none is set).");
        }
        if (StreamNames.Any(string.IsNullOrWhiteSpace)) yield return OptionsValidator.Error(nameof(StreamNames), "The StreamNames contain an empty name.");
        if (TagFilters.Keys.Any(string.IsNullOrWhiteSpace)) yield return OptionsValidator.Error(nameof(TagFilters), "The TagFilters contain an empty key.");
    }
}
