using System.ComponentModel.DataAnnotations;
using KvsInference.Validation;

namespace KvsInference.Audio;

/// <summary>What PCM a <see cref="AudioTrackDecoder"/> produces.</summary>
public sealed class AudioTrackOptions
{
    /// <summary>Gets or sets the output rate in Hz.</summary>
    /// <value>The default value is 16000 (<see cref="AudioConstants.ModelSampleRate"/>).</value>
    [Range(8000, 384000)]
    public int OutputSampleRate { get; set; } = AudioConstants.ModelSampleRate;

    /// <summary>Gets or sets whether all channels are mixed down to one (their average).</summary>
    /// <value>The default value is true.</value>
    public bool Mono { get; set; } = true;

    /// <summary>Gets or sets how far a block's timestamp may differ from the time the decoded samples predict
    /// before it counts as a discontinuity.</summary>
    /// <value>The default value is 5 ms (<see cref="AudioConstants.DefaultGapTolerance"/>).</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan GapTolerance { get; set; } = AudioConstants.DefaultGapTolerance;

    /// <summary>Checks every limit and reports all violations together.</summary>
    /// <exception cref="ValidationException">One or more values are out of range; the message lists them all.</exception>
    public void Validate() => OptionsValidator.Validate(this);
}
