using System.Reflection;
using Concentus.Structs;

namespace KvsInference.Audio.Opus;

/// <summary>
/// Decodes Opus with Concentus (a managed port of libopus), the fallback when libopus.so.0 is missing.
/// Always decodes at 48 kHz: Concentus 2.2.2 turns hybrid packets decoded at 8/12/16 kHz into silence
/// (upstream issue #67), so a lower rate is reached by resampling after it.
/// </summary>
/// <remarks>
/// The decoders are created directly, not through <c>OpusCodecFactory</c>, which looks only for the
/// <c>libopus.so</c> development symlink and would silently pick a different implementation.
/// Concentus allocates per packet (about 27 KB measured), unlike the native decoder.
/// </remarks>
public sealed class ConcentusOpusDecoder : IAudioDecoder
{
    private static readonly string s_version =
        typeof(OpusDecoder).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(OpusDecoder).Assembly.GetName().Version?.ToString(3) ?? "?";

    private readonly OpusDecoder? _decoder;
    private readonly OpusMSDecoder? _multistream;
    private readonly short _gainQ8;
    private int _lastPacketSamples;

    /// <summary>Creates a 48 kHz decoder for the stream an OpusHead describes.</summary>
    /// <param name="head">The stream's OpusHead.</param>
    /// <param name="mono">For a mono or stereo stream, mix down to one channel inside the decoder.
    /// Multistream output keeps all channels.</param>
    /// <exception cref="AudioDecodeException">Concentus refused the configuration.</exception>
    public ConcentusOpusDecoder(OpusHead head, bool mono)
    {
        ArgumentNullException.ThrowIfNull(head);
        _gainQ8 = head.OutputGainQ8;
        try
        {
#pragma warning disable CS0618 // The constructors are marked obsolete in favour of OpusCodecFactory, which we avoid on purpose (see remarks).
            if (!head.IsMultistream)
            {
                OutputChannels = mono ? 1 : head.Channels;
                _decoder = new OpusDecoder(AudioConstants.OpusInternalSampleRate, OutputChannels);
            }
            else
            {
                OutputChannels = head.Channels;
                _multistream = new OpusMSDecoder(AudioConstants.OpusInternalSampleRate, head.Channels, head.StreamCount, head.CoupledCount, head.Mapping.ToArray());
            }
#pragma warning restore CS0618
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new AudioDecodeException($"Concentus refused the Opus configuration ({head.Channels} channels, family {head.MappingFamily}): {ex.Message}", ex);
        }
        ApplyGain();
        Name = "Concentus " + s_version;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int OutputSampleRate => AudioConstants.OpusInternalSampleRate;

    /// <inheritdoc />
    public int OutputChannels { get; }

    /// <inheritdoc />
    public int MaxSamplesPerPacket => AudioConstants.OpusMaxSamplesPerPacket48k;

    /// <inheritdoc />
    public int Decode(ReadOnlySpan<byte> packet, Span<short> output)
    {
        int frameSize = output.Length / OutputChannels;
        if (packet.IsEmpty)
        {
            frameSize = Math.Min(frameSize, _lastPacketSamples > 0 ? _lastPacketSamples : OutputSampleRate * AudioConstants.DefaultConcealmentMs / 1000);
        }
        int result;
        try
        {
            result = _decoder is not null
                ? _decoder.Decode(packet, output, frameSize, false)
                : _multistream!.DecodeMultistream(packet, output, frameSize, false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A managed decoder can fail anywhere on hostile input; start clean so the next packet decodes.
            Reset();
            throw new AudioDecodeException($"Concentus could not decode a {packet.Length}-byte packet: {ex.Message}", ex);
        }
        if (result < 0)
        {
            throw new AudioDecodeException($"Concentus could not decode a {packet.Length}-byte packet: error {result}");
        }
        if (!packet.IsEmpty) _lastPacketSamples = result;
        return result;
    }

    /// <inheritdoc />
    public void Reset()
    {
        _decoder?.ResetState();
        _multistream?.ResetState();
        ApplyGain();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _decoder?.Dispose();
        _multistream?.Dispose();
    }

    private void ApplyGain()
    {
        if (_gainQ8 == 0) return;
        if (_decoder is not null) _decoder.Gain = _gainQ8;
        if (_multistream is not null) _multistream.Gain = _gainQ8;
    }
}
