using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using KvsInference.Matroska;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Audio;

/// <summary>Opus variants the tests encode with ffmpeg's libopus, chosen to hit SILK, hybrid and CELT.</summary>
public enum OpusVariant
{
    /// <summary>voip, 8 kbps mono, 20 ms: SILK narrow/medium band.</summary>
    SilkVoip8kMono,
    /// <summary>voip, 16 kbps mono, 60 ms: SILK wide band, multi-frame packets.</summary>
    SilkVoip16kMono60ms,
    /// <summary>audio, 24 kbps mono, 20 ms: hybrid.</summary>
    HybridAudio24kMono,
    /// <summary>audio, 32 kbps stereo, 20 ms: hybrid stereo.</summary>
    HybridAudio32kStereo,
    /// <summary>lowdelay, 64 kbps stereo, 20 ms: CELT only.</summary>
    CeltLowDelay64kStereo,
    /// <summary>audio, 128 kbps stereo, 60 ms: CELT full band, multi-frame packets.</summary>
    CeltAudio128kStereo60ms,
}

/// <summary>Media made at test time (espeak-ng speech, ffmpeg libopus encodes) and cached for the test run.</summary>
internal static class AudioTestMedia
{
    private static readonly ConcurrentDictionary<string, Lazy<string>> s_files = new();

    /// <summary>About 3.3 s of espeak-ng speech at 48 kHz mono, with an odd sample count.</summary>
    public static string Speech48kMono => Cached("speech48k.wav", path =>
    {
        var raw = Path.Combine(TestPaths.Scratch, "espeak.wav");
        ProcessRunner.Run("espeak-ng", ["-w", raw, "-s", "170", "Kinesis video streams carry the meeting audio to the avatar workers."]);
        // Trim to a length that is not a multiple of any Opus frame or of 3, to catch rounding.
        ProcessRunner.Ffmpeg("-i", raw, "-ar", "48000", "-ac", "1", "-af", "atrim=end_sample=158417", "-c:a", "pcm_s16le", path);
    });

    /// <summary>The same speech in stereo, with different levels and a small delay between channels.</summary>
    public static string Speech48kStereo => Cached("speech48k-stereo.wav", path =>
        ProcessRunner.Ffmpeg("-i", Speech48kMono, "-filter_complex", "[0]asplit[a][b];[b]adelay=3,volume=0.6[c];[a][c]join=inputs=2:channel_layout=stereo,atrim=end_sample=158417",
            "-c:a", "pcm_s16le", path));

    public static bool IsStereo(OpusVariant v) =>
        v is OpusVariant.HybridAudio32kStereo or OpusVariant.CeltLowDelay64kStereo or OpusVariant.CeltAudio128kStereo60ms;

    /// <summary>A WebM file of the speech encoded with the variant's settings.</summary>
    public static string OpusWebm(OpusVariant v) => Cached($"{v}.webm", path =>
    {
        var (app, bitrate, frameMs) = v switch
        {
            OpusVariant.SilkVoip8kMono => ("voip", "8k", "20"),
            OpusVariant.SilkVoip16kMono60ms => ("voip", "16k", "60"),
            OpusVariant.HybridAudio24kMono => ("audio", "24k", "20"),
            OpusVariant.HybridAudio32kStereo => ("audio", "32k", "20"),
            OpusVariant.CeltLowDelay64kStereo => ("lowdelay", "64k", "20"),
            _ => ("audio", "128k", "60"),
        };
        ProcessRunner.Ffmpeg("-i", IsStereo(v) ? Speech48kStereo : Speech48kMono, "-c:a", "libopus", "-application", app, "-b:a", bitrate,
            "-frame_duration", frameMs, path);
    });

    /// <summary>ffmpeg's decode of a file with libopus forced as the decoder, as interleaved 16-bit samples.</summary>
    public static short[] ReferenceDecode(string file, string? decoder = "libopus") => Cached(Path.GetFileName(file) + $".{decoder}.s16", path =>
    {
        var args = new List<string>();
        if (decoder is not null) args.AddRange(["-c:a", decoder]);
        args.AddRange(["-i", file, "-f", "s16le", path]);
        ProcessRunner.Ffmpeg([.. args]);
    }) is var raw ? ReadS16(raw) : [];

    public static short[] ReadS16(string path) => MemoryMarshal.Cast<byte, short>(File.ReadAllBytes(path)).ToArray();

    public static MkvTrackInfo ToTrackInfo(WebmTestTrack t) => new()
    {
        Number = t.Number,
        Type = MkvTrackType.Audio,
        CodecId = t.CodecId,
        CodecPrivate = t.CodecPrivate,
        CodecDelayNs = t.CodecDelayNs,
        SeekPreRollNs = t.SeekPreRollNs,
        SamplingFrequency = t.SamplingFrequency,
        Channels = t.Channels,
        BitDepth = t.BitDepth,
    };

    /// <summary>Signal-to-noise ratio of <paramref name="actual"/> against <paramref name="reference"/>, in dB, over the common length.</summary>
    public static double SnrDb(ReadOnlySpan<short> reference, ReadOnlySpan<short> actual)
    {
        int n = Math.Min(reference.Length, actual.Length);
        double signal = 0, noise = 0;
        for (int i = 0; i < n; i++)
        {
            double d = reference[i] - actual[i];
            signal += (double)reference[i] * reference[i];
            noise += d * d;
        }
        return noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(signal / noise);
    }

    /// <summary>Collects what an AudioTrackDecoder gives its sink.</summary>
    internal sealed class CollectingSink : KvsInference.Audio.IPcmSink
    {
        public List<short> Samples { get; } = [];
        public List<(long TimestampNs, int Count)> Calls { get; } = [];
        public List<(long EndNs, long NextNs)> Discontinuities { get; } = [];
        public int EndOfStreams { get; private set; }

        public void OnPcm(ReadOnlySpan<short> samples, long timestampNs)
        {
            Calls.Add((timestampNs, samples.Length));
            foreach (var s in samples) Samples.Add(s);
        }

        public void OnDiscontinuity(long endNs, long nextStartNs) => Discontinuities.Add((endNs, nextStartNs));

        public void OnEndOfStream() => EndOfStreams++;
    }

    private static string Cached(string name, Action<string> make) =>
        s_files.GetOrAdd(name, n => new Lazy<string>(() =>
        {
            var path = Path.Combine(TestPaths.Scratch, n);
            make(path);
            return path;
        })).Value;
}
