namespace KvsInference.Matroska;

/// <summary>The Matroska TrackType values (EBML ID 0x83).</summary>
public enum MkvTrackType
{
    /// <summary>Track type not given or not known.</summary>
    Unknown = 0,
    /// <summary>Video track.</summary>
    Video = 1,
    /// <summary>Audio track.</summary>
    Audio = 2,
    /// <summary>Complex (combined audio and video) track.</summary>
    Complex = 3,
    /// <summary>Logo track.</summary>
    Logo = 0x10,
    /// <summary>Subtitle track.</summary>
    Subtitle = 0x11,
    /// <summary>Buttons track.</summary>
    Buttons = 0x12,
    /// <summary>Control track.</summary>
    Control = 0x20,
    /// <summary>Metadata track.</summary>
    Metadata = 0x21,
}

/// <summary>
/// One TrackEntry of a Matroska/WebM Segment: what a decoder needs to configure itself.
/// </summary>
/// <remarks>
/// Instances are created once per Tracks element, not per frame, so a class is fine here.
/// Times are in nanoseconds as Matroska stores them (CodecDelay, SeekPreRoll, DefaultDuration).
/// </remarks>
public sealed class MkvTrackInfo
{
    /// <summary>Gets or sets the track number that blocks refer to.</summary>
    public ulong Number { get; set; }

    /// <summary>Gets or sets the track UID.</summary>
    public ulong Uid { get; set; }

    /// <summary>Gets or sets the track type.</summary>
    public MkvTrackType Type { get; set; }

    /// <summary>Gets or sets the codec ID, for example <c>A_OPUS</c> or <c>A_AAC</c>.</summary>
    public string CodecId { get; set; } = "";

    /// <summary>Gets or sets the codec private data (OpusHead, AudioSpecificConfig, avcC), or null.</summary>
    public byte[]? CodecPrivate { get; set; }

    /// <summary>Gets or sets the codec's built-in delay in nanoseconds (Opus pre-skip).</summary>
    public ulong CodecDelayNs { get; set; }

    /// <summary>Gets or sets the seek pre-roll in nanoseconds.</summary>
    public ulong SeekPreRollNs { get; set; }

    /// <summary>Gets or sets the default frame duration in nanoseconds, or 0.</summary>
    public ulong DefaultDurationNs { get; set; }

    /// <summary>Gets or sets the audio sampling frequency in Hz (default 8000 per the spec).</summary>
    public double SamplingFrequency { get; set; } = 8000;

    /// <summary>Gets or sets the output sampling frequency in Hz (SBR), or 0 when absent.</summary>
    public double OutputSamplingFrequency { get; set; }

    /// <summary>Gets or sets the number of audio channels (default 1 per the spec).</summary>
    public int Channels { get; set; } = 1;

    /// <summary>Gets or sets the audio bit depth, or 0 when absent.</summary>
    public int BitDepth { get; set; }

    /// <summary>Gets or sets the video width in pixels, or 0.</summary>
    public int PixelWidth { get; set; }

    /// <summary>Gets or sets the video height in pixels, or 0.</summary>
    public int PixelHeight { get; set; }

    /// <summary>Gets or sets the track name, or null.</summary>
    public string? Name { get; set; }

    /// <summary>Gets or sets the track language, or null.</summary>
    public string? Language { get; set; }
}
