namespace KvsInference.Matroska;

/// <summary>Thrown when the bytes are not valid Matroska/WebM (or are truncated) where the reader needs them to be.</summary>
/// <remarks>
/// Both offsets count from the first byte the reader (or parser) was given since its state was created,
/// so they are offsets into the file or HTTP body.
/// </remarks>
public sealed class MkvFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was expected and what was found.</param>
    /// <param name="bytePosition">The absolute offset where the problem was found.</param>
    /// <param name="elementOffset">The absolute offset of the start (ID) of the element concerned.</param>
    public MkvFormatException(string message, long bytePosition, long elementOffset)
        : base($"{message} BytePosition: {bytePosition} | ElementOffset: {elementOffset}.")
    {
        BytePosition = bytePosition;
        ElementOffset = elementOffset;
    }

    /// <summary>Gets the absolute byte offset at which the problem was found.</summary>
    /// <value>An offset from the first byte of the stream.</value>
    public long BytePosition { get; }

    /// <summary>Gets the absolute byte offset of the first byte (the ID) of the element concerned.</summary>
    /// <value>An offset from the first byte of the stream.</value>
    public long ElementOffset { get; }
}
