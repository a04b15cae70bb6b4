using System.ComponentModel.DataAnnotations;

namespace KvsInference.Sinks;

/// <summary>Settings of <see cref="KinesisRecordSink"/>.</summary>
public sealed class KinesisRecordSinkOptions
{
    /// <summary>Gets or sets the Kinesis data stream the records go to.</summary>
    [Required(AllowEmptyStrings = false)]
    public string StreamName { get; set; } = "";

    /// <summary>Gets or sets how many records of one partition key may be in one PutRecords call.</summary>
    /// <value>
    /// The default value is 1: a record is sent only after the previous record of its key was acknowledged, so a key's
    /// records land in the shard strictly in order even when entries fail. Larger values send more per call; a failed entry
    /// is then re-sent after later entries of its key already succeeded, so consumers may see them out of order and must
    /// order or de-duplicate by <see cref="InferenceRecord.RecordId"/>.
    /// </value>
    [Range(1, KinesisRecordSinkConstants.MaxRecordsPerCall)]
    public int MaxRecordsPerKeyPerCall { get; set; } = 1;

    /// <summary>Gets or sets how many times one record is sent before the sink gives up.</summary>
    /// <value>The default value is <see cref="KinesisRecordSinkConstants.DefaultMaxAttemptsPerRecord"/>.</value>
    [Range(1, 100)]
    public int MaxAttemptsPerRecord { get; set; } = KinesisRecordSinkConstants.DefaultMaxAttemptsPerRecord;

    /// <summary>Gets or sets the first delay before re-sending failed entries (doubles each round, with jitter).</summary>
    /// <value>The default value is <see cref="KinesisRecordSinkConstants.DefaultRetryBaseDelay"/>.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryBaseDelay { get; set; } = KinesisRecordSinkConstants.DefaultRetryBaseDelay;

    /// <summary>Gets or sets the longest delay before re-sending failed entries.</summary>
    /// <value>The default value is <see cref="KinesisRecordSinkConstants.DefaultRetryMaxDelay"/>.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryMaxDelay { get; set; } = KinesisRecordSinkConstants.DefaultRetryMaxDelay;
}

/// <summary>Kinesis PutRecords limits and the sink's defaults.</summary>
public static class KinesisRecordSinkConstants
{
    /// <summary>The most records in one PutRecords call.</summary>
    public const int MaxRecordsPerCall = 500;

    /// <summary>The most bytes (data plus partition keys) in one PutRecords call: 5 MiB.</summary>
    public const int MaxBytesPerCall = 5 * 1024 * 1024;

    /// <summary>The most bytes of one record (data plus partition key): 1 MiB.</summary>
    public const int MaxBytesPerRecord = 1024 * 1024;

    /// <summary>The default number of sends of one record before giving up.</summary>
    public const int DefaultMaxAttemptsPerRecord = 8;

    /// <summary>The default first re-send delay.</summary>
    public static readonly TimeSpan DefaultRetryBaseDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>The default longest re-send delay.</summary>
    public static readonly TimeSpan DefaultRetryMaxDelay = TimeSpan.FromSeconds(5);
}
