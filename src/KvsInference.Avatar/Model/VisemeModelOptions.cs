using System.ComponentModel.DataAnnotations;
using KvsInference.Validation;

namespace KvsInference.Avatar.Model;

/// <summary>Run-time settings of <see cref="VisemeModel"/> (the weights are fixed by training).</summary>
public sealed class VisemeModelOptions
{
    /// <summary>Gets or sets the output frame rate in frames per second.</summary>
    /// <value>The default value is 60.</value>
    [Range(VisemeModelConstants.MinFrameRate, VisemeModelConstants.MaxFrameRate)]
    public double FrameRate { get; set; } = VisemeModelConstants.DefaultFrameRate;

    /// <summary>Gets or sets the time constant of the exponential smoothing of the class weights (zero disables it).</summary>
    /// <value>The default value is 30 ms.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan SmoothingTime { get; set; } = VisemeModelConstants.DefaultSmoothingTime;

    /// <summary>Gets or sets the time constant of the exponential smoothing of <c>jawOpen</c> (zero disables it).</summary>
    /// <value>The default value is 15 ms.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan JawSmoothingTime { get; set; } = VisemeModelConstants.DefaultJawSmoothingTime;

    /// <summary>Gets or sets the level, in dB relative to the stream's running speech level, at and below which <c>jawOpen</c> is 0.</summary>
    /// <value>The default value is -30.</value>
    [Range(-120.0, 0.0)]
    public double JawClosedDb { get; set; } = VisemeModelConstants.DefaultJawClosedDb;

    /// <summary>Gets or sets the level, in dB relative to the stream's running speech level, at and above which <c>jawOpen</c> is 1.</summary>
    /// <value>The default value is -6.</value>
    [Range(-120.0, 0.0)]
    public double JawOpenDb { get; set; } = VisemeModelConstants.DefaultJawOpenDb;

    /// <summary>Checks every setting and reports all problems together.</summary>
    /// <exception cref="ValidationException">A setting is out of range; the message lists each one.</exception>
    public void Validate() => OptionsValidator.Validate(this, JawOpenDb <= JawClosedDb
        ? [OptionsValidator.Error(nameof(JawOpenDb), $"must be above JawClosedDb ({JawClosedDb}), not {JawOpenDb}.")]
        : null);
}
