using System.Diagnostics;

namespace KvsInference.Benchmarks;

/// <summary>Big Opus files for the Matroska benchmarks, made once with ffmpeg and cached under /tmp/kvsi-bench.</summary>
internal static class MkvBenchMedia
{
    public static readonly string Folder = Path.Combine(Path.GetTempPath(), "kvsi-bench");

    /// <summary>
    /// A WebM of at least <paramref name="megabytes"/> MB: 5 minutes of sine + pink noise as 256 kbit/s stereo Opus
    /// (dense, so every packet is full size), looped with stream copy.
    /// </summary>
    public static string BigOpusWebm(int megabytes)
    {
        Directory.CreateDirectory(Folder);
        string seed = Path.Combine(Folder, "seed-300s-256k.webm");
        if (!File.Exists(seed))
        {
            Run("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=300",
                "-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.2:sample_rate=48000:duration=300",
                "-filter_complex", "[0][1]amix=inputs=2,aformat=channel_layouts=stereo", "-c:a", "libopus", "-b:a", "256k", seed);
        }
        long seedBytes = new FileInfo(seed).Length;
        int loops = (int)Math.Ceiling(megabytes * 1_000_000.0 / seedBytes);
        string big = Path.Combine(Folder, $"opus-{megabytes}mb.webm");
        if (!File.Exists(big))
        {
            Run("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-stream_loop", (loops - 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-i", seed, "-c", "copy", big);
        }
        return big;
    }

    /// <summary>Small seed files for fuzzing: ffmpeg Opus WebM and MKA, mkvmerge laced Vorbis (Xiph and EBML).</summary>
    public static List<byte[]> FuzzSeeds()
    {
        Directory.CreateDirectory(Folder);
        string wav = Path.Combine(Folder, "fuzz-speech.wav");
        if (!File.Exists(wav)) Run("espeak-ng", "-w", wav, "Fuzzing the Matroska reader with speech.");
        var seeds = new List<byte[]>();
        foreach (string ext in new[] { "webm", "mka" })
        {
            string f = Path.Combine(Folder, "fuzz-opus." + ext);
            if (!File.Exists(f)) Run("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", wav, "-c:a", "libopus", "-b:a", "24k", f);
            seeds.Add(File.ReadAllBytes(f));
        }
        string ogg = Path.Combine(Folder, "fuzz.ogg");
        if (!File.Exists(ogg)) Run("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", wav, "-c:a", "libvorbis", ogg);
        foreach (bool xiph in new[] { false, true })
        {
            string f = Path.Combine(Folder, xiph ? "fuzz-xiph.mka" : "fuzz-ebml.mka");
            if (!File.Exists(f))
            {
                if (xiph) Run("mkvmerge", "-q", "-o", f, "--engage", "lacing_xiph", ogg);
                else Run("mkvmerge", "-q", "-o", f, ogg);
            }
            seeds.Add(File.ReadAllBytes(f));
        }
        return seeds;
    }

    /// <summary>Seeds for <c>fuzz-decode</c>: <see cref="FuzzSeeds"/> plus the same speech as 16-bit PCM and as AAC in MKA.</summary>
    public static List<byte[]> DecodeFuzzSeeds()
    {
        List<byte[]> seeds = FuzzSeeds();
        string wav = Path.Combine(Folder, "fuzz-speech.wav");
        foreach (var (codec, file) in new[] { ("pcm_s16le", "fuzz-pcm.mka"), ("aac", "fuzz-aac.mka") })
        {
            string f = Path.Combine(Folder, file);
            if (!File.Exists(f)) Run("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", wav, "-c:a", codec, f);
            seeds.Add(File.ReadAllBytes(f));
        }
        return seeds;
    }

    /// <summary>The fuzzing speech as Opus WebM with a Cluster every 500 ms (several fragments per upload).</summary>
    public static string ClusteredOpusWebm()
    {
        FuzzSeeds();
        string f = Path.Combine(Folder, "fuzz-opus-clusters.webm");
        if (!File.Exists(f))
        {
            Run("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", Path.Combine(Folder, "fuzz-speech.wav"), "-c:a", "libopus", "-b:a", "24k",
                "-cluster_time_limit", "500", f);
        }
        return f;
    }

    /// <summary>Runs a process to completion and returns its wall time; throws on a non-zero exit.</summary>
    public static TimeSpan Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        long start = Stopwatch.GetTimestamp();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} exited {p.ExitCode}: {stderr.Result}");
        _ = stdout.Result;
        return elapsed;
    }
}
