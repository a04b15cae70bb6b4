using KvsInference.Audio.Opus;
using KvsInference.Matroska;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvsInference.Audio;

/// <summary>
/// Creates a decoder for one track, or says why it cannot (for example when the codec is not supported), so that
/// the caller can report the codec by name and skip the track.
/// </summary>
/// <param name="track">The track to decode.</param>
/// <param name="outputSampleRate">The rate the caller wants. A decoder may produce another rate (its
/// <see cref="IAudioDecoder.OutputSampleRate"/>); <see cref="AudioTrackDecoder"/> then resamples.</param>
/// <param name="mono">Whether the caller wants one channel. A decoder may still produce more
/// (<see cref="IAudioDecoder.OutputChannels"/>); <see cref="AudioTrackDecoder"/> then mixes down.</param>
/// <param name="decoder">The decoder, when the result is true.</param>
/// <param name="error">Why no decoder was made, when the result is false.</param>
/// <returns>Whether a decoder was made.</returns>
/// <remarks>The shape of <c>KvsInference.Audio.Aac.AacDecoder.TryCreate</c>, so that it registers as a method group.</remarks>
public delegate bool AudioDecoderCreator(MkvTrackInfo track, int outputSampleRate, bool mono, out IAudioDecoder? decoder, out string? error);

/// <summary>
/// Chooses and creates the <see cref="IAudioDecoder"/> for a Matroska track: Opus (native libopus, or Concentus
/// when libopus.so.0 is missing), PCM, and whatever is registered (AAC).
/// </summary>
/// <remarks>
/// Unsupported codecs (Vorbis, video, anything unregistered) are an ordinary result, not an exception:
/// <see cref="TryCreate"/> returns false with <c>unsupported codec &lt;CodecID&gt;</c>.
/// Extension point: <see cref="Register"/> a creator for a codec ID, for example
/// <c>factory.Register(AudioConstants.CodecAac, KvsInference.Audio.Aac.AacDecoder.TryCreate, matchPrefix: true)</c>.
/// </remarks>
public sealed partial class AudioDecoderFactory
{
    private int _loggedNative;
    private int _loggedManaged;

    private readonly ILogger _logger;
    private readonly List<(string CodecId, bool Prefix, AudioDecoderCreator Creator)> _creators = [];

    /// <summary>Creates a factory with the built-in codecs (Opus and PCM).</summary>
    /// <param name="logger">Receives, once per factory and implementation, which Opus decoder is in use (register one
    /// factory per process, for example as a singleton, to log it once).</param>
    /// <param name="opusBackend">Which Opus implementation to use.</param>
    public AudioDecoderFactory(ILogger<AudioDecoderFactory>? logger = null, OpusBackend opusBackend = OpusBackend.Auto)
    {
        _logger = logger ?? (ILogger)NullLogger.Instance;
        OpusBackend = opusBackend;
        Register(AudioConstants.CodecOpus, TryCreateOpus);
        Register(AudioConstants.CodecPcmIntLittle, TryCreatePcm);
        Register(AudioConstants.CodecPcmIntBig, TryCreatePcm);
        Register(AudioConstants.CodecPcmFloat, TryCreatePcm);
        // AAC (A_AAC, A_AAC/MPEG4/LC, ...) through libavcodec; a missing library fails only AAC tracks, by name.
        Register(AudioConstants.CodecAac, Aac.AacDecoder.TryCreate, matchPrefix: true);
    }

    /// <summary>Gets the Opus implementation this factory asks for.</summary>
    public OpusBackend OpusBackend { get; }

    /// <summary>Adds (or replaces) the creator for a codec ID.</summary>
    /// <param name="codecId">The Matroska codec ID, for example <c>A_AAC</c>.</param>
    /// <param name="creator">Makes the decoder.</param>
    /// <param name="matchPrefix">Also use it for codec IDs that start with <paramref name="codecId"/> and a slash
    /// (<c>A_AAC/MPEG4/LC</c>).</param>
    /// <exception cref="ArgumentException">The codec ID is empty.</exception>
    public void Register(string codecId, AudioDecoderCreator creator, bool matchPrefix = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(codecId);
        ArgumentNullException.ThrowIfNull(creator);
        _creators.RemoveAll(c => c.CodecId == codecId);
        _creators.Add((codecId, matchPrefix, creator));
    }

    /// <summary>Gets whether a creator is registered for the codec ID.</summary>
    /// <param name="codecId">A Matroska codec ID.</param>
    /// <returns>True when <see cref="TryCreate"/> would try to create a decoder.</returns>
    public bool IsSupported(string codecId) => Find(codecId) is not null;

    /// <summary>Creates the decoder for a track.</summary>
    /// <param name="track">The track.</param>
    /// <param name="outputSampleRate">The wanted output rate in Hz (48000 or 16000 in this project).</param>
    /// <param name="mono">Whether one channel is wanted.</param>
    /// <param name="decoder">The decoder, when the result is true.</param>
    /// <param name="error">Otherwise what went wrong: <c>unsupported codec V_VP8 (track 1)</c>, or a configuration error.</param>
    /// <returns>Whether a decoder was made.</returns>
    public bool TryCreate(MkvTrackInfo track, int outputSampleRate, bool mono, out IAudioDecoder? decoder, out string? error)
    {
        ArgumentNullException.ThrowIfNull(track);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputSampleRate);
        var creator = Find(track.CodecId);
        if (creator is null)
        {
            decoder = null;
            error = $"unsupported codec {(track.CodecId.Length == 0 ? "(none)" : track.CodecId)} (track {track.Number})";
            return false;
        }
        decoder = null;
        error = CheckTrackHeader(track);
        try
        {
            if (error is null && creator(track, outputSampleRate, mono, out decoder, out error) && decoder is not null)
            {
                // A codec's own header (AAC's AudioSpecificConfig, the OpusHead) may set other values than the track's.
                error = CheckFormat("the decoder's output", decoder.OutputSampleRate, decoder.OutputChannels);
                if (error is null && decoder.OutputSampleRate != outputSampleRate && !Resampler.CanConvert(decoder.OutputSampleRate, outputSampleRate, out string? why))
                {
                    error = why;
                }
                if (error is null) return true;
                decoder.Dispose();
                decoder = null;
            }
        }
        catch (Exception ex) when (ex is AudioDecodeException or DllNotFoundException or EntryPointNotFoundException)
        {
            decoder = null;
            error = ex.Message;
        }
        error = $"track {track.Number} ({track.CodecId}): {error ?? "the decoder could not be created"}";
        return false;
    }

    /// <summary>
    /// Checks the values of a track header a decoder sizes its buffers from, so that a hostile or broken header is a
    /// reported, skipped track instead of an overflow or a huge allocation.
    /// </summary>
    private static string? CheckTrackHeader(MkvTrackInfo track)
    {
        if (track.CodecPrivate is { Length: > AudioConstants.MaxCodecPrivateBytes } codecPrivate)
        {
            return $"CodecPrivate has {codecPrivate.Length} bytes; at most {AudioConstants.MaxCodecPrivateBytes} are supported";
        }
        double rate = track.SamplingFrequency;
        if (!double.IsFinite(rate) || rate < 1 || rate > AudioConstants.MaxSampleRate)
        {
            return $"SamplingFrequency is {rate.ToString(System.Globalization.CultureInfo.InvariantCulture)} Hz; 1 to {AudioConstants.MaxSampleRate} Hz are supported";
        }
        return CheckFormat("the track header", (int)Math.Ceiling(rate), track.Channels);
    }

    private static string? CheckFormat(string what, int rate, int channels)
    {
        if (channels is < 1 or > AudioConstants.MaxChannels) return $"{what} has {channels} channels; 1 to {AudioConstants.MaxChannels} are supported";
        if (rate is < 1 or > AudioConstants.MaxSampleRate) return $"{what} has a rate of {rate} Hz; 1 to {AudioConstants.MaxSampleRate} Hz are supported";
        if ((long)rate * channels > AudioConstants.MaxSamplesPerSecond)
        {
            return $"{what} has {rate} Hz x {channels} channels = {(long)rate * channels} samples per second; at most {AudioConstants.MaxSamplesPerSecond} are supported";
        }
        return null;
    }

    private AudioDecoderCreator? Find(string codecId)
    {
        foreach (var c in _creators)
        {
            if (c.CodecId == codecId) return c.Creator;
        }
        foreach (var c in _creators)
        {
            if (c.Prefix && codecId.Length > c.CodecId.Length && codecId.StartsWith(c.CodecId, StringComparison.Ordinal) && codecId[c.CodecId.Length] == '/')
            {
                return c.Creator;
            }
        }
        return null;
    }

    private bool TryCreateOpus(MkvTrackInfo track, int outputSampleRate, bool mono, out IAudioDecoder? decoder, out string? error)
    {
        decoder = null;
        if (!TryGetOpusHead(track, out var head, out error)) return false;
        bool native = OpusBackend switch
        {
            OpusBackend.Native => true,
            OpusBackend.Managed => false,
            _ => LibOpusDecoder.IsAvailable,
        };
        if (native)
        {
            if (!LibOpusDecoder.IsAvailable)
            {
                error = "libopus.so.0 cannot be loaded (install the libopus0 package) and the native Opus decoder was required";
                return false;
            }
            // libopus decodes straight to the low rates; any other rate is reached by resampling from 48 kHz.
            int rate = LibOpusDecoder.IsSupportedRate(outputSampleRate) ? outputSampleRate : AudioConstants.OpusInternalSampleRate;
            decoder = new LibOpusDecoder(head, rate, mono);
            if (Interlocked.Exchange(ref _loggedNative, 1) == 0) LogNative(_logger, decoder.Name);
        }
        else
        {
            decoder = new ConcentusOpusDecoder(head, mono);
            if (Interlocked.Exchange(ref _loggedManaged, 1) == 0)
            {
                LogManaged(_logger, decoder.Name, OpusBackend == OpusBackend.Managed ? "the managed decoder was asked for" : "libopus.so.0 cannot be loaded");
            }
        }
        return true;
    }

    /// <summary>Gets the OpusHead of an <c>A_OPUS</c> track. A track without CodecPrivate is accepted when it has 1 or 2
    /// channels: the head is then built from the channel count and CodecDelay.</summary>
    /// <param name="track">An Opus track.</param>
    /// <param name="head">The head.</param>
    /// <param name="error">What is wrong with the CodecPrivate.</param>
    /// <returns>Whether a head was found.</returns>
    public static bool TryGetOpusHead(MkvTrackInfo track, out OpusHead head, out string? error)
    {
        ArgumentNullException.ThrowIfNull(track);
        if (track.CodecPrivate is { Length: > 0 } privateData)
        {
            if (OpusHead.TryParse(privateData, out var parsed, out error))
            {
                head = parsed;
                return true;
            }
            head = null!;
            return false;
        }
        if (track.Channels is < 1 or > 2)
        {
            head = null!;
            error = $"A_OPUS track {track.Number} has no CodecPrivate (OpusHead) and {track.Channels} channels; only mono or stereo can do without it";
            return false;
        }
        int preSkip = (int)Math.Min(ushort.MaxValue, (long)(track.CodecDelayNs * AudioConstants.OpusInternalSampleRate / AudioConstants.NanosPerSecond));
        head = OpusHead.CreateFamily0(track.Channels, preSkip);
        error = null;
        return true;
    }

    private static bool TryCreatePcm(MkvTrackInfo track, int outputSampleRate, bool mono, out IAudioDecoder? decoder, out string? error)
    {
        decoder = PcmDecoder.Create(track);
        error = null;
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Opus decoder: native {Version} (libopus.so.0)")]
    private static partial void LogNative(ILogger logger, string version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Opus decoder: {Name}, managed fallback because {Reason}; it decodes at 48 kHz and resamples, about half the speed of libopus")]
    private static partial void LogManaged(ILogger logger, string name, string reason);
}
