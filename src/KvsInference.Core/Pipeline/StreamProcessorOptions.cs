using System.ComponentModel.DataAnnotations;
using KvsInference.Kvs;
using KvsInference.Validation;

namespace KvsInference.Pipeline;

/// <summary>Options of one <see cref="StreamProcessor"/> (the same for every stream of a worker).</summary>
public sealed class StreamProcessorOptions
{
    /// <summary>Gets or sets the length of one audio window sent to the model.</summary>
    /// <value>The default value is 200 ms.</value>
    [Range(typeof(TimeSpan), "00:00:00.020", "00:01:00")]
    public TimeSpan WindowDuration { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Gets or sets the sample rate the model takes, in Hz.</summary>
    /// <value>The default value is 16000.</value>
    [Range(8000, 48000)]
    public int ModelSampleRate { get; set; } = 16000;

    /// <summary>Gets or sets how many windows of one stream may wait between decoding and the sink.</summary>
    /// <value>The default value is 32 (6.4 s of audio at 200 ms): past it the stream's reading waits (backpressure).</value>
    [Range(1, 10_000)]
    public int MaxPendingWindows { get; set; } = 32;

    /// <summary>Gets or sets where a stream without a checkpoint starts.</summary>
    /// <value>The default value is <see cref="KvsStartSelectorType.Now"/>.</value>
    public KvsStartSelectorType InitialPosition { get; set; } = KvsStartSelectorType.Now;

    /// <summary>Gets or sets the start timestamp when <see cref="InitialPosition"/> is a timestamp selector.</summary>
    public DateTimeOffset? InitialTimestamp { get; set; }

    /// <summary>Gets or sets how far behind live a stream may fall before it skips ahead to now; null never skips.</summary>
    /// <value>The default value is null: every fragment is processed.</value>
    public TimeSpan? SkipToNowWhenBehind { get; set; }

    /// <summary>Gets or sets the first reconnect delay after a failed read; it doubles up to <see cref="MaxReconnectDelay"/>, with jitter.</summary>
    /// <value>The default value is 1 s (KVS allows 5 GetMedia calls per second per stream).</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the longest reconnect delay.</summary>
    /// <value>The default value is 30 s.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets the name prefix of the streams processed for low delay (meetings): every piece of media read is
    /// decoded and sent to the model at once as a window of its own (shorter than <see cref="WindowDuration"/>), instead
    /// of waiting until a whole window of audio has arrived. Costs more, smaller model calls and records.
    /// </summary>
    /// <value>The default value is null: every stream waits for whole windows (bulk). An empty string selects every stream.</value>
    /// <remarks>Low-delay windows follow how the media arrived, so a stream read again after a hand-off may be cut into
    /// other windows (other <see cref="Sinks.InferenceRecord.RecordId"/> values) than the first time.</remarks>
    public string? LowLatencyStreamPrefix { get; set; }

    /// <summary>Gets or sets the track to read; null takes the first audio track that can be decoded.</summary>
    public ulong? TrackNumber { get; set; }

    /// <summary>Validates the options and reports every error together.</summary>
    /// <exception cref="ValidationException">Some values are not valid; the message lists them all.</exception>
    public void Validate() => OptionsValidator.Validate(this, Rules());

    /// <summary>The rules between members.</summary>
    internal IEnumerable<ValidationResult> Rules()
    {
        if (MaxReconnectDelay < ReconnectDelay) yield return OptionsValidator.Error(nameof(MaxReconnectDelay), "MaxReconnectDelay must not be less than ReconnectDelay.");
        if (InitialPosition is KvsStartSelectorType.ServerTimestamp or KvsStartSelectorType.ProducerTimestamp && InitialTimestamp is null)
        {
            yield return OptionsValidator.Error(nameof(InitialTimestamp), $"InitialPosition {InitialPosition} needs InitialTimestamp.");
        }
        if (InitialPosition is KvsStartSelectorType.FragmentNumber or KvsStartSelectorType.ContinuationToken)
        {
            yield return OptionsValidator.Error(nameof(InitialPosition), $"InitialPosition {InitialPosition} is not a valid start for streams without a checkpoint (use Now, Earliest or a timestamp).");
        }
    }
}
