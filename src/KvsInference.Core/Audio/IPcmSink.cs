namespace KvsInference.Audio;

/// <summary>
/// Receives the timed PCM a <see cref="AudioTrackDecoder"/> produces: <see cref="PcmWindower"/> cuts it into model
/// windows, <see cref="WavWriter"/> writes it to a file.
/// </summary>
/// <remarks>The format (rate, channels) is fixed when the sink is made and matches the track decoder's output.</remarks>
public interface IPcmSink
{
    /// <summary>Takes the next samples of the stream.</summary>
    /// <param name="samples">Interleaved 16-bit samples, a whole number of frames; only valid during the call.</param>
    /// <param name="timestampNs">The container time of the first sample, in ns. Consecutive calls are contiguous
    /// (each starts where the last ended) unless <see cref="OnDiscontinuity"/> came between them.</param>
    void OnPcm(ReadOnlySpan<short> samples, long timestampNs);

    /// <summary>Says that the next samples do not follow the previous ones (a gap, an overlap or a jump back).</summary>
    /// <param name="endNs">The time just after the last sample delivered.</param>
    /// <param name="nextStartNs">The time of the next sample that will be delivered.</param>
    void OnDiscontinuity(long endNs, long nextStartNs);

    /// <summary>Says that the stream has ended: nothing more follows.</summary>
    void OnEndOfStream();
}
