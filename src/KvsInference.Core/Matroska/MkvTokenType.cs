namespace KvsInference.Matroska;

/// <summary>What <see cref="MkvReader.Read"/> stopped at.</summary>
public enum MkvTokenType : byte
{
    /// <summary>Nothing read yet, or the last Read returned false.</summary>
    None = 0,
    /// <summary>The start of a master element (its children follow); <see cref="MkvReader.ElementSize"/> may be unknown (-1).</summary>
    StartElement = 1,
    /// <summary>The end of a master element (by size, by a following element that cannot be its child, or by the end of the data).</summary>
    EndElement = 2,
    /// <summary>An element whose whole body is available as a value (<see cref="MkvReader.ValueSpan"/> or <see cref="MkvReader.ValueSequence"/>).</summary>
    Value = 3,
}
