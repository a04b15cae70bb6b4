using System.Buffers;
using KvsInference.Audio;
using KvsInference.Audio.Aac;

namespace KvsInference.Matroska;

/// <summary>
/// The duration of one audio frame read from the codec itself: Opus from the packet's TOC byte (RFC 6716 3.1),
/// AAC from the frame length of the AudioSpecificConfig, PCM from the frame's size. The parser times the frames
/// of a laced block with it, since a block carries one timestamp for all its laces and mkvmerge writes no
/// DefaultDuration for Opus (it laces 8 packets per block by default).
/// </summary>
internal static class MkvFrameDuration
{
    /// <summary>Opus frame sizes in 48 kHz samples by TOC configuration (RFC 6716 table 2).</summary>
    private static ReadOnlySpan<short> OpusFrameSamples =>
    [
        480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 1920, 2880, // SILK NB, MB, WB: 10, 20, 40, 60 ms
        480, 960, 480, 960,                                                 // hybrid SWB, FB: 10, 20 ms
        120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960, // CELT: 2.5, 5, 10, 20 ms
    ];

    /// <summary>Gets the duration of a frame in samples per channel at <paramref name="rate"/> Hz, or false when the codec
    /// or the frame does not tell it (another codec, an empty Opus packet, a PCM frame of a partial sample).</summary>
    public static bool TryGetSamples(MkvTrackInfo track, ReadOnlySpan<byte> span, ReadOnlySequence<byte> sequence, bool isSequence,
        out int samples, out int rate)
    {
        samples = 0;
        rate = 0;
        int length = isSequence ? (int)sequence.Length : span.Length;
        switch (track.CodecId)
        {
            case AudioConstants.CodecOpus:
                {
                    if (length == 0) return false;
                    Span<byte> head = stackalloc byte[2];
                    int headLength = Math.Min(2, length);
                    if (isSequence) sequence.Slice(0, headLength).CopyTo(head);
                    else span[..headLength].CopyTo(head);
                    int frames = (head[0] & 3) switch
                    {
                        0 => 1,
                        1 or 2 => 2,
                        _ => headLength < 2 ? 0 : head[1] & 0x3F,
                    };
                    if (frames == 0) return false;
                    samples = OpusFrameSamples[head[0] >> 3] * frames;
                    rate = AudioConstants.OpusInternalSampleRate;
                    return true;
                }
            case AudioConstants.CodecPcmIntLittle:
            case AudioConstants.CodecPcmIntBig:
            case AudioConstants.CodecPcmFloat:
                {
                    int frameBytes = track.BitDepth / 8 * track.Channels;
                    double frequency = track.SamplingFrequency;
                    if (track.BitDepth % 8 != 0 || frameBytes <= 0 || length % frameBytes != 0
                        || frequency != Math.Floor(frequency) || frequency < 1 || frequency > 1_000_000) return false;
                    samples = length / frameBytes;
                    rate = (int)frequency;
                    return true;
                }
            default:
                if (!AudioSpecificConfig.IsAacCodecId(track.CodecId)) return false;
                (samples, rate) = AacFrame(track);
                return samples > 0;
        }
    }

    /// <summary>The frame length and core rate of an AAC track (cached on the track: every frame has the same length).</summary>
    private static (int Samples, int Rate) AacFrame(MkvTrackInfo track)
    {
        if (track.AacFrame is { } known) return known;
        (int, int) frame = (0, 0);
        try
        {
            AudioSpecificConfig config = AudioSpecificConfig.Parse(AudioSpecificConfig.FromTrack(track));
            frame = (config.FrameLength, config.SamplingFrequency);
        }
        catch (AudioDecodeException)
        {
            // No usable configuration: the decoder will say so; the parser falls back to DefaultDuration.
        }
        track.AacFrame = frame;
        return frame;
    }
}
