using Concentus.Enums;
using Concentus.Structs;
using KvsInference.Avatar.Features;

namespace KvsInference.Avatar.Training;

/// <summary>
/// Passes 16 kHz speech through an Opus encoder and decoder (Concentus, in process), as a meeting's voice reaches the
/// worker: the page records the microphone with Opus (32 kbit/s in the meeting page; 16-32 kbit/s are common). The
/// output has the input's length and timing: the encoder's look-ahead is taken off its start.
/// </summary>
internal static class OpusChannel
{
    // 20 ms frames, what WebRTC and most recorders send.
    private const int FrameSamples = FeatureConstants.SampleRate / 50;

    /// <summary>Encodes and decodes <paramref name="pcm"/> at <paramref name="bitrate"/> bits per second.</summary>
    /// <param name="pcm">Mono 16 kHz speech.</param>
    /// <param name="bitrate">6000..510000 bits per second.</param>
    /// <returns>The decoded speech, as long as the input and aligned with it.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The bitrate is outside Opus's range.</exception>
    public static short[] Apply(short[] pcm, int bitrate)
    {
        ArgumentNullException.ThrowIfNull(pcm);
        ArgumentOutOfRangeException.ThrowIfLessThan(bitrate, 6000);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bitrate, 510000);
#pragma warning disable CS0618 // The constructors are marked obsolete in favour of OpusCodecFactory, which may pick native libopus; this stays managed and reproducible.
        var encoder = new OpusEncoder(FeatureConstants.SampleRate, 1, OpusApplication.OPUS_APPLICATION_VOIP);
        var decoder = new OpusDecoder(FeatureConstants.SampleRate, 1);
#pragma warning restore CS0618
        encoder.Bitrate = bitrate;
        int lookahead = encoder.Lookahead;
        // Enough frames to cover the input plus the look-ahead, so the aligned output is complete.
        int frames = (pcm.Length + lookahead + FrameSamples - 1) / FrameSamples;
        var input = new short[frames * FrameSamples];
        pcm.CopyTo(input, 0);
        var decoded = new short[frames * FrameSamples];
        var packet = new byte[1275];
        for (int f = 0; f < frames; f++)
        {
            int bytes = encoder.Encode(input.AsSpan(f * FrameSamples, FrameSamples), FrameSamples, packet, packet.Length);
            decoder.Decode(packet.AsSpan(0, bytes), decoded.AsSpan(f * FrameSamples, FrameSamples), FrameSamples, false);
        }
        return decoded.AsSpan(lookahead, pcm.Length).ToArray();
    }
}
