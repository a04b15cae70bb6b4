using System.ComponentModel.DataAnnotations;
using KvsInference.Validation;

namespace KvsInference.Audio;

/// <summary>How <see cref="PcmWindower"/> cuts PCM into windows.</summary>
public sealed class PcmWindowerOptions
{
    /// <summary>Gets or sets the length of a window.</summary>
    /// <value>The default value is 200 ms (<see cref="AudioConstants.DefaultWindowDuration"/>).</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan WindowDuration { get; set; } = AudioConstants.DefaultWindowDuration;

    /// <summary>Gets or sets whether a partly filled window is delivered (flagged <see cref="PcmWindow.IsPartial"/>) at
    /// the end of the stream and before a discontinuity, rather than dropped.</summary>
    /// <value>The default value is true.</value>
    public bool DeliverPartialWindows { get; set; } = true;

    /// <summary>Checks every limit and reports all violations together.</summary>
    /// <exception cref="ValidationException">One or more values are out of range.</exception>
    public void Validate() => OptionsValidator.Validate(this);
}
