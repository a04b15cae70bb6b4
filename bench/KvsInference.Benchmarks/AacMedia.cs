using System.Diagnostics;
using KvsInference.Audio.Aac;

namespace KvsInference.Benchmarks;

/// <summary>A 60 s AAC-LC 48 kHz stereo ADTS file of espeak-ng speech made with ffmpeg, and its packets.</summary>
internal static class AacMedia
{
    public const double DurationSeconds = 60;

    public static string MakeFile()
    {
        string dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "kvsi-bench-aac")).FullName;
        string aac = Path.Combine(dir, "speech60-lc48s.aac");
        if (File.Exists(aac)) return aac;
        string wav = Path.Combine(dir, "speech.wav");
        Run("espeak-ng", "-w", wav, string.Join(' ', Enumerable.Repeat(
            "Kinesis video streams carry the meeting audio to a fleet of workers that decode it and animate the avatar.", 6)));
        Run("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i", wav, "-t", "60",
            "-ar", "48000", "-ac", "2", "-c:a", "aac", "-b:a", "128k", "-f", "adts", aac);
        return aac;
    }

    /// <summary>Splits an ADTS file into raw AAC packets and the AudioSpecificConfig of its first header.</summary>
    public static (byte[] Asc, List<byte[]> Packets) ReadAdts(string path)
    {
        byte[] data = File.ReadAllBytes(path);
        int[] rates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
        var packets = new List<byte[]>();
        byte[]? asc = null;
        for (int pos = 0; pos + 7 <= data.Length;)
        {
            if (data[pos] != 0xFF || (data[pos + 1] & 0xF0) != 0xF0) throw new InvalidDataException($"no ADTS sync at {pos}");
            int header = (data[pos + 1] & 1) == 1 ? 7 : 9;
            int length = ((data[pos + 3] & 3) << 11) | (data[pos + 4] << 3) | (data[pos + 5] >> 5);
            asc ??= AudioSpecificConfig.Build((data[pos + 2] >> 6) + 1, rates[(data[pos + 2] >> 2) & 0xF],
                ((data[pos + 2] & 1) << 2) | (data[pos + 3] >> 6));
            packets.Add(data[(pos + header)..(pos + length)]);
            pos += length;
        }
        return (asc!, packets);
    }

    public static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} exited {p.ExitCode}: {err}");
    }
}
