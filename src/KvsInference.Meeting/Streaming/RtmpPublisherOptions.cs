using System.Runtime.InteropServices;
using KvsInference.Avatar.Rendering;
using KvsInference.Inference;
using System.ComponentModel.DataAnnotations;
using KvsInference.Validation;

namespace KvsInference.Meeting.Streaming;

/// <summary>Settings of <see cref="RtmpPublisher"/>: the target, the encoding and the reconnect policy.</summary>
public sealed class RtmpPublisherOptions
{
    /// <summary>Gets or sets the rtmp:// or rtmps:// URL including the stream key (for Zoom: stream_url + "/" + stream_key).</summary>
    [Required]
    public Uri? Url { get; set; }

    /// <summary>Gets or sets the frame width in pixels.</summary>
    /// <value>The default value is 640.</value>
    [Range(16, 4096)]
    public int Width { get; set; } = 640;

    /// <summary>Gets or sets the frame height in pixels.</summary>
    /// <value>The default value is 480.</value>
    [Range(16, 4096)]
    public int Height { get; set; } = 480;

    /// <summary>Gets or sets the video frame rate (frames per second).</summary>
    /// <value>The default value is 25.</value>
    [Range(1, 120)]
    public int FrameRate { get; set; } = 25;

    /// <summary>Gets or sets the PCM sample rate of the audio that accompanies the frames.</summary>
    /// <value>The default value is 48000.</value>
    [Range(8000, 96000)]
    public int AudioSampleRate { get; set; } = 48000;

    /// <summary>Gets or sets the number of interleaved PCM channels.</summary>
    /// <value>The default value is 1.</value>
    [Range(1, 2)]
    public int AudioChannels { get; set; } = 1;

    /// <summary>Gets or sets the H.264 bitrate in kbit/s.</summary>
    /// <value>The default value is 1500.</value>
    [Range(100, 20_000)]
    public int VideoBitrateKbps { get; set; } = 1500;

    /// <summary>Gets or sets the AAC bitrate in kbit/s.</summary>
    /// <value>The default value is 128.</value>
    [Range(32, 320)]
    public int AudioBitrateKbps { get; set; } = 128;

    /// <summary>Gets or sets how many consecutive failed (re)connections are retried before giving up.</summary>
    /// <value>The default value is 5.</value>
    [Range(0, 100)]
    public int MaxReconnectAttempts { get; set; } = 5;

    /// <summary>Gets or sets the first reconnect delay; it doubles on each consecutive failure.</summary>
    /// <value>The default value is 500 ms.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Gets or sets the longest reconnect delay.</summary>
    /// <value>The default value is 10 s.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how many frames a push must deliver to count as established; a drop after that starts a fresh count of attempts.</summary>
    /// <value>The default value is 50 (2 s at 25 fps).</value>
    [Range(1, 100_000)]
    public int StableAfterFrames { get; set; } = 50;

    /// <summary>Gets or sets how long ffmpeg may take no frame at all before the session counts as stalled: ffmpeg is
    /// stopped and the push reconnects. A server that stops reading (a half-dead connection, a black-holed route)
    /// otherwise blocks ffmpeg's writes, and so the whole push, until TCP gives up minutes later.</summary>
    /// <value>The default value is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets the ffmpeg executable.</summary>
    /// <value>The default value is "ffmpeg" (from PATH).</value>
    [Required]
    public string FfmpegPath { get; set; } = "ffmpeg";

    /// <summary>Gets the number of bytes in one RGBA frame.</summary>
    public int FrameBytes => Width * Height * 4;

    /// <summary>Gets the number of PCM bytes (s16le) that accompany one frame.</summary>
    public int AudioBytesPerFrame => AudioSampleRate / FrameRate * AudioChannels * 2;

    /// <summary>Validates the options and throws one exception listing every problem.</summary>
    /// <exception cref="ValidationException">A value is out of range or missing.</exception>
    public void Validate() => OptionsValidator.Validate(this, Rules());

    private IEnumerable<ValidationResult> Rules()
    {
        if (Url is not null && Url.Scheme is not ("rtmp" or "rtmps"))
        {
            yield return OptionsValidator.Error(nameof(Url), $"Url must be rtmp:// or rtmps://, not {Url.Scheme}://.");
        }
        // FrameRate 0 is reported by its Range; the modulo would divide by zero.
        if (FrameRate > 0 && AudioSampleRate % FrameRate != 0)
        {
            yield return OptionsValidator.Error(nameof(AudioSampleRate), $"AudioSampleRate {AudioSampleRate} must be a multiple of FrameRate {FrameRate} (whole samples per frame).");
        }
        if (Width % 2 != 0 || Height % 2 != 0)
        {
            yield return OptionsValidator.Error(nameof(Width), "Width and Height must be even (H.264 with 4:2:0 chroma).");
        }
    }
}

/// <summary>One video frame (RGBA, Width*Height*4 bytes) with the PCM audio (s16le) that plays during it.</summary>
/// <param name="Rgba">The pixels, row-major, 4 bytes per pixel.</param>
/// <param name="Pcm">Exactly <see cref="RtmpPublisherOptions.AudioBytesPerFrame"/> bytes of audio.</param>
public readonly record struct AvFrame(ReadOnlyMemory<byte> Rgba, ReadOnlyMemory<byte> Pcm)
{
    /// <summary>
    /// Draws a frame of the avatar sources: the face into a fresh RGBA buffer (the publisher keeps a frame's memory
    /// until ffmpeg has read it) and the mono speech copied to every output channel, silence where it falls short.
    /// </summary>
    internal static AvFrame Draw(FaceRenderer renderer, in VisemeFrame face, long frameIndex, ReadOnlySpan<short> mono, RtmpPublisherOptions options)
    {
        var rgba = new byte[options.FrameBytes];
        renderer.Render(face, frameIndex, rgba);
        return Compose(rgba, mono, options);
    }

    /// <summary>A frame of drawn pixels (kept, not copied) and the mono speech copied to every output channel, silence where it falls short.</summary>
    internal static AvFrame Compose(byte[] rgba, ReadOnlySpan<short> mono, RtmpPublisherOptions options)
    {
        var pcm = new byte[options.AudioBytesPerFrame];
        var samples = MemoryMarshal.Cast<byte, short>(pcm.AsSpan());
        int channels = options.AudioChannels;
        int count = Math.Min(mono.Length, samples.Length / channels);
        for (int s = 0; s < count; s++)
        {
            for (int c = 0; c < channels; c++) samples[s * channels + c] = mono[s];
        }
        return new AvFrame(rgba, pcm);
    }
}

/// <summary>The push could not be (re)established within the allowed attempts, or ffmpeg failed.</summary>
public sealed class RtmpPublishException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed, including ffmpeg's last error lines.</param>
    /// <param name="inner">The last failure.</param>
    public RtmpPublishException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
