using System.ComponentModel.DataAnnotations;
using KvsInference.Validation;

namespace KvsInference.LocalKvs.Storage;

/// <summary>Options of the local KVS-compatible media store.</summary>
public sealed class MediaStoreOptions
{
    /// <summary>Gets or sets the directory that holds streams, tags, fragments and indexes; reloaded at start.</summary>
    /// <value>Required; created when missing.</value>
    [Required]
    public string DataDirectory { get; set; } = "";

    /// <summary>Gets or sets the address the server binds.</summary>
    /// <value>The default value is 127.0.0.1.</value>
    [Required]
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Gets or sets the port the server binds; 0 picks a free one.</summary>
    /// <value>The default value is 4567.</value>
    [Range(0, 65535)]
    public int Port { get; set; } = MediaStoreConstants.DefaultPort;

    /// <summary>Gets or sets the region written in stream ARNs.</summary>
    /// <value>The default value is us-east-1.</value>
    [Required]
    public string Region { get; set; } = MediaStoreConstants.DefaultRegion;

    /// <summary>Gets or sets the account written in stream ARNs.</summary>
    /// <value>The default value is 000000000000.</value>
    [Required]
    public string AccountId { get; set; } = MediaStoreConstants.DefaultAccountId;

    /// <summary>Gets or sets the largest fragment (one Cluster) PutMedia accepts; larger ones get error 4001.</summary>
    /// <value>The default value is 50 MB, the KVS quota.</value>
    [Range(1024L, 1024L * 1024 * 1024)]
    public long MaxFragmentSizeBytes { get; set; } = MediaStoreConstants.DefaultMaxFragmentSizeBytes;

    /// <summary>Gets or sets the largest element outside a Cluster (EBML header, Info, Tracks, tags) PutMedia holds in
    /// memory; a larger one ends the upload with error 4006 naming the element and this limit.</summary>
    /// <value>The default value is 2 MiB.</value>
    [Range(1024L, 64L * 1024 * 1024)]
    public long MaxHeaderElementSizeBytes { get; set; } = MediaStoreConstants.DefaultMaxHeaderElementSizeBytes;

    /// <summary>Gets or sets the longest fragment PutMedia accepts; longer ones get error 4002.</summary>
    /// <value>The default value is 20 s, the KVS quota.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan MaxFragmentDuration { get; set; } = MediaStoreConstants.DefaultMaxFragmentDuration;

    /// <summary>Gets or sets how many GetMedia responses may be open per stream; one more gets ConnectionLimitExceededException.</summary>
    /// <value>The default value is 3, the KVS quota.</value>
    [Range(1, 1000)]
    public int GetMediaConnectionsPerStream { get; set; } = MediaStoreConstants.DefaultGetMediaConnectionsPerStream;

    /// <summary>Gets or sets how many GetMedia calls per second a stream accepts; more get ClientLimitExceededException.</summary>
    /// <value>The default value is 5, the KVS quota.</value>
    [Range(1, 100000)]
    public int GetMediaCallsPerSecondPerStream { get; set; } = MediaStoreConstants.DefaultGetMediaCallsPerSecondPerStream;

    /// <summary>Gets or sets how many PutMedia connections may be open per stream; one more gets ConnectionLimitExceededException.</summary>
    /// <value>The default value is 1.</value>
    [Range(1, 1000)]
    public int PutMediaConnectionsPerStream { get; set; } = MediaStoreConstants.DefaultPutMediaConnectionsPerStream;

    /// <summary>Gets or sets how many PutMedia calls per second a stream accepts; more get ClientLimitExceededException.</summary>
    /// <value>The default value is 5, the KVS quota.</value>
    [Range(1, 100000)]
    public int PutMediaCallsPerSecondPerStream { get; set; } = MediaStoreConstants.DefaultPutMediaCallsPerSecondPerStream;

    /// <summary>Gets or sets how many ListFragments and GetMediaForFragmentList calls per second a stream accepts.</summary>
    /// <value>The default value is 10.</value>
    [Range(1, 100000)]
    public int ArchivedMediaCallsPerSecondPerStream { get; set; } = MediaStoreConstants.DefaultArchivedMediaCallsPerSecondPerStream;

    /// <summary>Gets or sets how long a GetMedia response waits for a new fragment before it ends.</summary>
    /// <value>The default value is 20 s. The client resumes with the last CONTINUATION_TOKEN.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan GetMediaIdleTimeout { get; set; } = MediaStoreConstants.DefaultGetMediaIdleTimeout;

    /// <summary>Gets or sets how long a PutMedia upload may send nothing before it ends with 4000 STREAM_READ_ERROR.</summary>
    /// <value>The default value is 30 s.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan PutMediaReadTimeout { get; set; } = MediaStoreConstants.DefaultPutMediaReadTimeout;

    /// <summary>Gets or sets how long fragments of a stream with DataRetentionInHours 0 stay, for live readers only.</summary>
    /// <value>The default value is 2 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ZeroRetentionWindow { get; set; } = MediaStoreConstants.DefaultZeroRetentionWindow;

    /// <summary>Gets or sets how often fragments past their stream's retention are removed.</summary>
    /// <value>The default value is 1 minute.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan RetentionSweepInterval { get; set; } = MediaStoreConstants.DefaultRetentionSweepInterval;

    /// <summary>Gets or sets a retention (in hours) applied to every stream instead of its own; null keeps each stream's DataRetentionInHours.</summary>
    /// <value>The default value is null.</value>
    [Range(0, 87600)]
    public int? RetentionOverrideHours { get; set; }

    /// <summary>Gets or sets whether PutMedia and GetMedia on a stream that does not exist create it (KVS does not; handy for demos).</summary>
    /// <value>The default value is false.</value>
    public bool AutoCreateStreams { get; set; }

    /// <summary>Checks every limit and reports all violations together.</summary>
    /// <exception cref="ValidationException">One or more values are out of range.</exception>
    public void Validate() => OptionsValidator.Validate(this);
}
