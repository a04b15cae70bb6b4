namespace KvsInference.Matroska;

/// <summary>
/// Tells the length of one frame from its codec, so that <see cref="MkvStreamParser"/> can time the frames of a laced
/// block: a block carries one timestamp for all its laces, and mkvmerge laces audio (8 Opus packets per block by
/// default) without a DefaultDuration for Opus.
/// </summary>
/// <remarks>
/// The container does not know codecs; <c>KvsInference.Audio.AudioFrameTiming</c> knows Opus, AAC and PCM. Without a
/// timing, or when it does not know a lace, the parser falls back to the track's DefaultDuration, then to an equal
/// share of the BlockDuration, else gives every lace the block's timestamp.
/// </remarks>
public interface IMkvFrameTiming
{
    /// <summary>Gets the length of one frame in samples per channel, and the rate they are counted at.</summary>
    /// <param name="track">The frame's track.</param>
    /// <param name="frameHead">The frame's first bytes: the whole frame, or its first 8 bytes when it is longer.</param>
    /// <param name="frameLength">The frame's length in bytes.</param>
    /// <param name="samples">The frame's length in samples per channel.</param>
    /// <param name="sampleRate">The rate <paramref name="samples"/> is counted at, in Hz.</param>
    /// <returns>False when the codec or the frame does not tell its length.</returns>
    bool TryGetSamples(MkvTrackInfo track, ReadOnlySpan<byte> frameHead, int frameLength, out int samples, out int sampleRate);
}
