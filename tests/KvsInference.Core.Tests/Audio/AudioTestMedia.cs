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
        ProcessRunner.Ffmpeg("-i", raw, "-ac", "1", "-af", "aresample=48000,atrim=end_sample=158417", "-c:a", "pcm_s16le", path);
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

    /// <summary>The best SNR over lags of up to <paramref name="maxLag"/> samples (decoders at different rates differ in delay).</summary>
    public static (double SnrDb, int Lag) BestAlignedSnrDb(ReadOnlySpan<short> reference, ReadOnlySpan<short> actual, int maxLag)
    {
        (double, int) best = (double.NegativeInfinity, 0);
        for (int lag = -maxLag; lag <= maxLag; lag++)
        {
            double snr = lag >= 0 ? SnrDb(reference[..^maxLag], actual[lag..]) : SnrDb(reference[(-lag)..^maxLag], actual);
            if (snr > best.Item1) best = (snr, lag);
        }
        return best;
    }

    /// <summary>The best SNR of 16 kHz <paramref name="actual16k"/> against a 48 kHz reference shifted by whole 48 kHz
    /// samples (a third of a 16 kHz sample) and then resampled with <see cref="KvsInference.Audio.Resampler"/>.</summary>
    public static (double SnrDb, int Lag48k) BestAlignedSnrDb48To16(short[] reference48k, ReadOnlySpan<short> actual16k, int maxLag48k)
    {
        (double, int) best = (double.NegativeInfinity, 0);
        for (int lag = -maxLag48k; lag <= maxLag48k; lag++)
        {
            var shifted = new short[reference48k.Length];
            for (int i = 0; i < shifted.Length; i++)
            {
                int j = i - lag;
                shifted[i] = j >= 0 && j < reference48k.Length ? reference48k[j] : (short)0;
            }
            var resampler = new KvsInference.Audio.Resampler(48000, 16000, 1);
            var out16 = new short[resampler.GetMaxOutputFrames(shifted.Length)];
            int n = resampler.Process(shifted, out16);
            n += resampler.Flush(out16.AsSpan(n));
            int margin = maxLag48k / 3 + 2;
            double snr = SnrDb(out16.AsSpan(margin, n - 2 * margin), actual16k[margin..(n - margin)]);
            if (snr > best.Item1) best = (snr, lag);
        }
        return best;
    }


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
