namespace KvsInference.Audio;

/// <summary>Defaults and fixed values of the audio path.</summary>
public static class AudioConstants
{
    /// <summary>The rate Opus works at internally and the rate of its pre-skip, in Hz.</summary>
    public const int OpusInternalSampleRate = 48000;

    /// <summary>The rate the viseme model takes, in Hz.</summary>
    public const int ModelSampleRate = 16000;

    /// <summary>The longest Opus packet (120 ms) in samples per channel at 48 kHz.</summary>
    public const int OpusMaxSamplesPerPacket48k = 5760;

    /// <summary>The duration of concealment used for an empty packet when no packet was decoded before, in ms.</summary>
    public const int DefaultConcealmentMs = 20;

    /// <summary>The default length of a PCM window for the model.</summary>
    public static readonly TimeSpan DefaultWindowDuration = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The default largest difference between a block's container timestamp and the timestamp the decoded
    /// sample count predicts before the track decoder declares a discontinuity.
    /// </summary>
    /// <remarks>
    /// Matroska timestamps are usually rounded to 1 ms, so the tolerance must exceed that; it must stay below the
    /// shortest usual packet (10 ms) so that one lost packet is noticed instead of shifting the timeline.
    /// </remarks>
    public static readonly TimeSpan DefaultGapTolerance = TimeSpan.FromMilliseconds(5);

    /// <summary>Matroska codec ID of Opus.</summary>
    public const string CodecOpus = "A_OPUS";

    /// <summary>Matroska codec ID of little-endian integer PCM (8-bit is unsigned).</summary>
    public const string CodecPcmIntLittle = "A_PCM/INT/LIT";

    /// <summary>Matroska codec ID of big-endian integer PCM (8-bit is unsigned).</summary>
    public const string CodecPcmIntBig = "A_PCM/INT/BIG";

    /// <summary>Matroska codec ID of IEEE float PCM (32 or 64 bit, little-endian).</summary>
    public const string CodecPcmFloat = "A_PCM/FLOAT/IEEE";

    /// <summary>Matroska codec ID prefix of AAC (<c>A_AAC</c>, and legacy <c>A_AAC/MPEG4/LC</c> and so on).</summary>
    public const string CodecAac = "A_AAC";

    /// <summary>The most channels a track may declare or a decoder produce (Opus's limit, far past any real layout).</summary>
    public const int MaxChannels = 255;

    /// <summary>The highest sample rate a track may declare or a decoder produce, in Hz (768 kHz PCM).</summary>
    public const int MaxSampleRate = 768_000;

    /// <summary>The most samples per second over all channels (768 kHz × 8, or 48 kHz × 128): bounds the decode buffers.</summary>
    public const long MaxSamplesPerSecond = 6_144_000;

    /// <summary>The largest CodecPrivate of an audio track, in bytes (an OpusHead or AAC AudioSpecificConfig is tens of bytes).</summary>
    public const int MaxCodecPrivateBytes = 64 * 1024;

    internal const long NanosPerSecond = 1_000_000_000;
}
