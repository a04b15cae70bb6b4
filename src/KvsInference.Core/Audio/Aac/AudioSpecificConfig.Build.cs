using KvsInference.Matroska;

namespace KvsInference.Audio.Aac;

// Writing a configuration: from values, or for a Matroska track whose old codec ID implies one.
public sealed partial class AudioSpecificConfig
{
    /// <summary>
    /// Writes a minimal AudioSpecificConfig: object type, rate, channel configuration, a plain GASpecificConfig
    /// and, for SBR, the backward-compatible 0x2b7 sync extension (plus 0x548 for PS), as mkvmerge writes it.
    /// </summary>
    /// <param name="audioObjectType">Core object type (1 to 4 for the old Matroska codec IDs).</param>
    /// <param name="samplingFrequency">Core rate in Hz (a table rate is written as its index, any other rate explicitly).</param>
    /// <param name="channelConfiguration">Channel configuration, 1 to 7.</param>
    /// <param name="extensionSamplingFrequency">SBR output rate in Hz, or 0 for no SBR.</param>
    /// <param name="ps">Whether to signal parametric stereo (needs SBR).</param>
    /// <returns>The bytes.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A value cannot be written.</exception>
    public static byte[] Build(int audioObjectType, int samplingFrequency, int channelConfiguration, int extensionSamplingFrequency = 0, bool ps = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(audioObjectType, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(audioObjectType, 30);
        ArgumentOutOfRangeException.ThrowIfLessThan(samplingFrequency, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(samplingFrequency, 0xFFFFFF);
        ArgumentOutOfRangeException.ThrowIfLessThan(channelConfiguration, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channelConfiguration, 7);
        ArgumentOutOfRangeException.ThrowIfLessThan(extensionSamplingFrequency, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(extensionSamplingFrequency, 0xFFFFFF);
        if (ps && extensionSamplingFrequency == 0) throw new ArgumentOutOfRangeException(nameof(ps), "PS needs SBR (an extension sampling frequency).");

        var w = new BitWriter(16);
        w.Write((uint)audioObjectType, 5);
        WriteSamplingFrequency(ref w, samplingFrequency);
        w.Write((uint)channelConfiguration, 4);
        w.Write(0, 3); // frameLengthFlag, dependsOnCoreCoder, extensionFlag
        if (extensionSamplingFrequency > 0)
        {
            w.Write(SyncExtensionSbr, 11);
            w.Write(ObjectTypeSbr, 5);
            w.Write(1, 1); // sbrPresentFlag
            WriteSamplingFrequency(ref w, extensionSamplingFrequency);
            if (ps)
            {
                w.Write(SyncExtensionPs, 11);
                w.Write(1, 1); // psPresentFlag
            }
        }
        return w.ToArray();
    }

    /// <summary>
    /// Gets the AudioSpecificConfig bytes of a Matroska AAC track: its CodecPrivate when present, otherwise one built
    /// from the old codec IDs (<c>A_AAC/MPEG2/LC</c>, <c>A_AAC/MPEG4/LC/SBR</c>, <c>A_AAC/MPEG4/MAIN</c>, ...) and the
    /// track's SamplingFrequency, OutputSamplingFrequency and Channels.
    /// </summary>
    /// <param name="track">The track.</param>
    /// <returns>The bytes (validated by <see cref="Parse"/>).</returns>
    /// <exception cref="AudioDecodeException">The track is not AAC, or its configuration is missing or not valid.</exception>
    public static byte[] FromTrack(MkvTrackInfo track)
    {
        ArgumentNullException.ThrowIfNull(track);
        string id = track.CodecId;
        if (!IsAacCodecId(id)) throw new AudioDecodeException($"Track {track.Number} has codec {id}, not AAC.");
        if (track.CodecPrivate is { Length: > 0 } cp)
        {
            try
            {
                Parse(cp);
            }
            catch (AudioDecodeException e)
            {
                throw new AudioDecodeException($"Track {track.Number} ({id}): CodecPrivate is not a valid AudioSpecificConfig: {e.Message}", e);
            }
            return cp;
        }
        if (id == "A_AAC")
        {
            throw new AudioDecodeException($"Track {track.Number} (A_AAC) has no CodecPrivate: the AudioSpecificConfig is required for this codec ID.");
        }

        // Old codec IDs: A_AAC/MPEG2/<profile> or A_AAC/MPEG4/<profile>[/SBR].
        string[] parts = id.Split('/');
        if (parts.Length is < 3 or > 4 || parts[1] is not ("MPEG2" or "MPEG4") || (parts.Length == 4 && parts[3] != "SBR"))
        {
            throw new AudioDecodeException($"Track {track.Number}: codec ID {id} is not a known AAC codec ID.");
        }
        int aot = parts[2] switch
        {
            "MAIN" => ObjectTypeAacMain,
            "LC" => ObjectTypeAacLc,
            "SSR" => ObjectTypeAacSsr,
            "LTP" when parts[1] == "MPEG4" => ObjectTypeAacLtp,
            _ => throw new AudioDecodeException($"Track {track.Number}: codec ID {id} names an unknown AAC profile '{parts[2]}'."),
        };
        int rate = (int)Math.Round(track.SamplingFrequency);
        if (rate is < 1000 or > 96000)
        {
            throw new AudioDecodeException($"Track {track.Number} ({id}): SamplingFrequency {track.SamplingFrequency} Hz is not a usable AAC rate.");
        }
        if (track.Channels is < 1 or > 8 || track.Channels == 7)
        {
            throw new AudioDecodeException($"Track {track.Number} ({id}): {track.Channels} channels have no AAC channel configuration.");
        }
        int channelConfiguration = track.Channels == 8 ? 7 : track.Channels;
        int extensionRate = 0;
        if (parts.Length == 4)
        {
            // mkvmerge writes the core rate as SamplingFrequency and the SBR rate as OutputSamplingFrequency;
            // without the latter the SBR rate is twice the core rate (ISO/IEC 14496-3 4.6.18.2.3).
            extensionRate = track.OutputSamplingFrequency > 0 ? (int)Math.Round(track.OutputSamplingFrequency) : 2 * rate;
        }
        return Build(aot, rate, channelConfiguration, extensionRate);
    }

    private static void WriteSamplingFrequency(ref BitWriter w, int rate)
    {
        int index = Array.IndexOf(SamplingFrequencies, rate);
        if (index >= 0)
        {
            w.Write((uint)index, 4);
        }
        else
        {
            w.Write(15, 4);
            w.Write((uint)rate, 24);
        }
    }

    private ref struct BitWriter(int capacity)
    {
        private readonly byte[] _buffer = new byte[capacity];
        private int _position;

        public void Write(uint value, int bits)
        {
            for (int i = bits - 1; i >= 0; i--, _position++)
            {
                if (((value >> i) & 1) != 0) _buffer[_position >> 3] |= (byte)(0x80 >> (_position & 7));
            }
        }

        public readonly byte[] ToArray() => _buffer.AsSpan(0, (_position + 7) >> 3).ToArray();
    }
}
