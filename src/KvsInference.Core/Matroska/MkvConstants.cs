namespace KvsInference.Matroska;

/// <summary>Defaults and limits of the Matroska reader.</summary>
internal static class MkvConstants
{
    /// <summary>The default cap on an element the reader must hold whole (a block, CodecPrivate, a tag): 64 MiB.</summary>
    public const long DefaultMaxElementSizeBytes = 64L * 1024 * 1024;

    /// <summary>The smallest cap allowed: 1 KiB.</summary>
    public const long MinMaxElementSizeBytes = 1024;

    /// <summary>The largest cap allowed: 1 GiB (a frame larger than that is not media we read).</summary>
    public const long MaxMaxElementSizeBytes = 1024L * 1024 * 1024;

    /// <summary>How many master elements may be open at once; deeper known-size masters are skipped.</summary>
    public const int MaxDepth = 12;

    /// <summary>The Matroska default TimestampScale: 1 ms in nanoseconds.</summary>
    public const ulong DefaultTimestampScaleNs = 1_000_000;

    /// <summary>The default read buffer of <see cref="MkvStreamParser"/> over a Stream: 1 MiB.</summary>
    public const int DefaultStreamBufferSizeBytes = 1024 * 1024;
}
