using System.ComponentModel.DataAnnotations;
using KvsInference.Validation;

namespace KvsInference.Matroska;

/// <summary>Options of the Matroska reader.</summary>
public sealed class MkvReaderOptions
{
    /// <summary>Gets or sets the largest element the reader holds whole: a block, CodecPrivate, a tag value.</summary>
    /// <value>The default value is 64 MiB. Skipped elements (Void, Cues, Attachments, unknown) are streamed and are not capped.</value>
    [Range(MkvConstants.MinMaxElementSizeBytes, MkvConstants.MaxMaxElementSizeBytes)]
    public long MaxElementSizeBytes { get; set; } = MkvConstants.DefaultMaxElementSizeBytes;

    /// <summary>Gets or sets the read buffer size used when the parser reads a <see cref="Stream"/>.</summary>
    /// <value>The default value is 1 MiB.</value>
    [Range(4096, 64 * 1024 * 1024)]
    public int StreamBufferSizeBytes { get; set; } = MkvConstants.DefaultStreamBufferSizeBytes;

    /// <summary>Checks every limit and reports all violations together.</summary>
    /// <exception cref="ValidationException">One or more values are out of range.</exception>
    public void Validate() => OptionsValidator.Validate(this);
}
