using System.Diagnostics;

namespace KvsInference.Audio.Opus;

/// <summary>
/// Decodes Opus with the native libopus (libopus.so.0), directly at 8, 12, 16, 24 or 48 kHz.
/// Mapping family 0 uses the plain decoder; any other family uses the multistream decoder.
/// </summary>
/// <remarks>
/// The OpusHead output gain is applied inside libopus (OPUS_SET_GAIN), before the conversion to 16-bit, as
/// RFC 7845 asks. No allocation per packet: spans are pinned and passed straight to libopus.
/// </remarks>
public sealed unsafe class LibOpusDecoder : IAudioDecoder
{
    private readonly OpusDecoderSafeHandle? _decoder;
    private readonly OpusMultistreamDecoderSafeHandle? _multistream;
    private readonly short _gainQ8;

    /// <summary>Creates a decoder for the stream an OpusHead describes.</summary>
    /// <param name="head">The stream's OpusHead.</param>
    /// <param name="sampleRate">8000, 12000, 16000, 24000 or 48000.</param>
    /// <param name="mono">For a mono or stereo stream, have libopus mix down to one channel.
    /// Multistream (more than 2 channels) output keeps all channels; the caller mixes them down.</param>
    /// <exception cref="ArgumentException">The sample rate is not one Opus decodes to.</exception>
    /// <exception cref="DllNotFoundException">libopus.so.0 cannot be loaded.</exception>
    /// <exception cref="AudioDecodeException">libopus refused the configuration.</exception>
    public LibOpusDecoder(OpusHead head, int sampleRate, bool mono)
    {
        ArgumentNullException.ThrowIfNull(head);
        if (!IsSupportedRate(sampleRate))
        {
            throw new ArgumentException($"libopus decodes at 8000, 12000, 16000, 24000 or 48000 Hz, not {sampleRate}.", nameof(sampleRate));
        }
        OutputSampleRate = sampleRate;
        _gainQ8 = head.OutputGainQ8;
        int error;
        if (!head.IsMultistream)
        {
            OutputChannels = mono ? 1 : head.Channels;
            _decoder = LibOpus.opus_decoder_create(sampleRate, OutputChannels, out error);
            if (error != LibOpus.OpusOk || _decoder.IsInvalid)
            {
                _decoder.Dispose();
                throw new AudioDecodeException($"opus_decoder_create({sampleRate}, {OutputChannels}) failed: {LibOpus.ErrorText(error)}");
            }
        }
        else
        {
            OutputChannels = head.Channels;
            fixed (byte* mapping = head.Mapping)
            {
                _multistream = LibOpus.opus_multistream_decoder_create(sampleRate, head.Channels, head.StreamCount, head.CoupledCount, mapping, out error);
            }
            if (error != LibOpus.OpusOk || _multistream.IsInvalid)
            {
                _multistream.Dispose();
                throw new AudioDecodeException(
                    $"opus_multistream_decoder_create({sampleRate}, {head.Channels} channels, {head.StreamCount} streams, {head.CoupledCount} coupled) failed: {LibOpus.ErrorText(error)}");
            }
        }
        ApplyGain();
        MaxSamplesPerPacket = AudioConstants.OpusMaxSamplesPerPacket48k * sampleRate / AudioConstants.OpusInternalSampleRate;
        Name = LibOpus.VersionString();
    }

    /// <summary>Gets whether the native library can be loaded on this machine (probed once).</summary>
    public static bool IsAvailable => LibOpus.IsAvailable;

    /// <summary>Gets the native library's version string, for example <c>libopus 1.3.1</c>.</summary>
    /// <exception cref="DllNotFoundException">libopus.so.0 cannot be loaded.</exception>
    public static string NativeVersion => LibOpus.VersionString();

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int OutputSampleRate { get; }

    /// <inheritdoc />
    public int OutputChannels { get; }

    /// <inheritdoc />
    public int MaxSamplesPerPacket { get; }

    /// <summary>Gets whether <paramref name="sampleRate"/> is one libopus decodes to directly.</summary>
    /// <param name="sampleRate">A rate in Hz.</param>
    /// <returns>True for 8000, 12000, 16000, 24000 and 48000.</returns>
    public static bool IsSupportedRate(int sampleRate) =>
        sampleRate is 8000 or 12000 or 16000 or 24000 or 48000;

    /// <inheritdoc />
    public int Decode(ReadOnlySpan<byte> packet, Span<short> output)
    {
        int frameSize = output.Length / OutputChannels;
        if (packet.IsEmpty)
        {
            // Concealment must be asked for an exact duration: repeat the last packet's.
            frameSize = Math.Min(frameSize, ConcealmentSamples());
        }
        int result;
        fixed (byte* data = packet)
        fixed (short* pcm = output)
        {
            // An empty span pins to a null pointer, which is how libopus is asked for concealment.
            result = _decoder is not null
                ? LibOpus.opus_decode(_decoder, data, packet.Length, pcm, frameSize, 0)
                : LibOpus.opus_multistream_decode(_multistream!, data, packet.Length, pcm, frameSize, 0);
        }
        if (result < 0)
        {
            throw new AudioDecodeException($"libopus could not decode a {packet.Length}-byte packet: {LibOpus.ErrorText(result)}");
        }
        return result;
    }

    /// <inheritdoc />
    public void Reset()
    {
        int result = _decoder is not null
            ? LibOpus.opus_decoder_ctl(_decoder, LibOpus.OpusResetState, 0)
            : LibOpus.opus_multistream_decoder_ctl(_multistream!, LibOpus.OpusResetState, 0);
        Debug.Assert(result == LibOpus.OpusOk);
        ApplyGain();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _decoder?.Dispose();
        _multistream?.Dispose();
    }

    private int ConcealmentSamples()
    {
        int last = 0;
        if (_decoder is not null) LibOpus.opus_decoder_ctl(_decoder, LibOpus.OpusGetLastPacketDurationRequest, &last);
        else LibOpus.opus_multistream_decoder_ctl(_multistream!, LibOpus.OpusGetLastPacketDurationRequest, &last);
        return last > 0 ? last : OutputSampleRate * AudioConstants.DefaultConcealmentMs / 1000;
    }

    private void ApplyGain()
    {
        if (_gainQ8 == 0) return;
        int result = _decoder is not null
            ? LibOpus.opus_decoder_ctl(_decoder, LibOpus.OpusSetGainRequest, _gainQ8)
            : LibOpus.opus_multistream_decoder_ctl(_multistream!, LibOpus.OpusSetGainRequest, _gainQ8);
        if (result != LibOpus.OpusOk)
        {
            throw new AudioDecodeException($"OPUS_SET_GAIN({_gainQ8}) failed: {LibOpus.ErrorText(result)}");
        }
    }
}
