using System.Runtime.CompilerServices;
using KvsInference.Audio.Aac;
using KvsInference.Matroska;

namespace KvsInference.Audio;

/// <summary>
/// The length of one audio frame read from the codec itself: Opus from the packet's TOC byte (RFC 6716 3.1), AAC from
/// the frame length of the AudioSpecificConfig, PCM from the frame's size. Give it to <see cref="MkvStreamParser"/> so
/// that the frames of a laced block each start where the one before ends.
/// </summary>
public sealed class AudioFrameTiming : IMkvFrameTiming
{
    /// <summary>Gets the shared instance (stateless but for a per-track cache of the AAC frame length).</summary>
    /// <value>One instance for every parser.</value>
    public static AudioFrameTiming Instance { get; } = new();

    // AAC's frame length is the same for every frame of a track: parse the configuration once per track.
    private readonly ConditionalWeakTable<MkvTrackInfo, StrongBox<(int Samples, int Rate)>> _aacFrames = [];

    private AudioFrameTiming()
    {
    }

    /// <summary>Opus frame sizes in 48 kHz samples by TOC configuration (RFC 6716 table 2).</summary>
    private static ReadOnlySpan<short> OpusFrameSamples =>
    [
        480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 1920, 2880, // SILK NB, MB, WB: 10, 20, 40, 60 ms
        480, 960, 480, 960,                                                 // hybrid SWB, FB: 10, 20 ms
        120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960, // CELT: 2.5, 5, 10, 20 ms
    ];

    /// <inheritdoc/>
    public bool TryGetSamples(MkvTrackInfo track, ReadOnlySpan<byte> frameHead, int frameLength, out int samples, out int sampleRate)
    {
        ArgumentNullException.ThrowIfNull(track);
        samples = 0;
        sampleRate = 0;
        switch (track.CodecId)
        {
            case AudioConstants.CodecOpus:
                {
                    if (frameHead.IsEmpty) return false;
                    int frames = (frameHead[0] & 3) switch
                    {
                        0 => 1,
                        1 or 2 => 2,
                        _ => frameHead.Length < 2 ? 0 : frameHead[1] & 0x3F,
                    };
                    if (frames == 0) return false;
                    samples = OpusFrameSamples[frameHead[0] >> 3] * frames;
                    sampleRate = AudioConstants.OpusInternalSampleRate;
                    return true;
                }
            case AudioConstants.CodecPcmIntLittle:
            case AudioConstants.CodecPcmIntBig:
            case AudioConstants.CodecPcmFloat:
                {
                    int frameBytes = track.BitDepth / 8 * track.Channels;
                    double frequency = track.SamplingFrequency;
                    if (track.BitDepth % 8 != 0 || frameBytes <= 0 || frameLength % frameBytes != 0
                        || frequency != Math.Floor(frequency) || frequency < 1 || frequency > 1_000_000) return false;
                    samples = frameLength / frameBytes;
                    sampleRate = (int)frequency;
                    return true;
                }
            default:
                if (!AudioSpecificConfig.IsAacCodecId(track.CodecId)) return false;
                (samples, sampleRate) = _aacFrames.GetValue(track, static t => new StrongBox<(int, int)>(AacFrame(t))).Value;
                return samples > 0;
        }
    }

    /// <summary>The frame length and core rate of an AAC track; (0, 0) when its configuration is not usable.</summary>
    private static (int Samples, int Rate) AacFrame(MkvTrackInfo track)
    {
        try
        {
            AudioSpecificConfig config = AudioSpecificConfig.Parse(AudioSpecificConfig.FromTrack(track));
            return (config.FrameLength, config.SamplingFrequency);
        }
        catch (AudioDecodeException)
        {
            // No usable configuration: the decoder will say so; the parser falls back to DefaultDuration.
            return (0, 0);
        }
    }
}
