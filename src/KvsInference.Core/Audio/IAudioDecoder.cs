namespace KvsInference.Audio;

/// <summary>
/// Decodes the packets of one compressed audio track to interleaved 16-bit PCM.
/// Opus and AAC decoders implement it, so that the pipeline does not care which codec a stream carries.
/// </summary>
/// <remarks>
/// A decoder is stateful (codecs predict from earlier packets) and belongs to one track of one stream.
/// Trimming of codec delay (pre-skip) and discard padding is done by the caller, which knows the container timing.
/// </remarks>
public interface IAudioDecoder : IDisposable
{
    /// <summary>Gets a short name of the implementation, for logs (for example <c>libopus 1.3.1</c>).</summary>
    string Name { get; }

    /// <summary>Gets the sample rate of the PCM this decoder produces, in Hz.</summary>
    int OutputSampleRate { get; }

    /// <summary>Gets the number of interleaved channels this decoder produces.</summary>
    int OutputChannels { get; }

    /// <summary>Gets the largest number of samples per channel that one packet can produce.</summary>
    int MaxSamplesPerPacket { get; }

    /// <summary>Decodes one packet.</summary>
    /// <param name="packet">One compressed packet (a Matroska frame). An empty span asks for packet-loss concealment.</param>
    /// <param name="output">Receives interleaved PCM; must hold <see cref="MaxSamplesPerPacket"/> × <see cref="OutputChannels"/> samples.</param>
    /// <returns>The number of samples per channel written.</returns>
    /// <exception cref="AudioDecodeException">The packet is corrupt; the decoder stays usable for the next packet.</exception>
    int Decode(ReadOnlySpan<byte> packet, Span<short> output);

    /// <summary>Resets the decoder state, as after a seek or a discontinuity.</summary>
    void Reset();
}

/// <summary>Thrown when a packet or a codec configuration cannot be decoded.</summary>
public sealed class AudioDecodeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AudioDecodeException(string message) : base(message) { }

    /// <summary>Creates the exception with an inner cause.</summary>
    public AudioDecodeException(string message, Exception inner) : base(message, inner) { }
}
