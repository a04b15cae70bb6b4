using System.ComponentModel.DataAnnotations;
using KvsInference.Validation;

namespace KvsInference.Avatar.Rendering;

/// <summary>Settings of <see cref="FaceRenderer"/>.</summary>
public sealed class FaceRendererOptions
{
    /// <summary>Gets or sets the frame width in pixels.</summary>
    /// <value>The default value is 640.</value>
    [Range(64, 4096)]
    public int Width { get; set; } = 640;

    /// <summary>Gets or sets the frame height in pixels.</summary>
    /// <value>The default value is 480.</value>
    [Range(64, 4096)]
    public int Height { get; set; } = 480;

    /// <summary>Gets or sets the frame rate, which turns frame indices into time for blinking.</summary>
    /// <value>The default value is 60.</value>
    [Range(1.0, 240.0)]
    public double FrameRate { get; set; } = 60;

    /// <summary>Gets or sets the seed of the blink schedule (same seed, same blinks).</summary>
    /// <value>The default value is 7.</value>
    public int BlinkSeed { get; set; } = 7;

    /// <summary>Checks every setting and reports all problems together.</summary>
    /// <exception cref="ValidationException">A setting is out of range.</exception>
    public void Validate() => OptionsValidator.Validate(this);
}
