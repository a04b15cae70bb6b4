using System.Diagnostics;
using System.IO.Compression;
using System.Text;

namespace KvsInference.Avatar.Training;

/// <summary>A set of recorded prompts by one human speaker (Debian's asterisk-core-sounds-LANG-g722 with the transcript of asterisk-core-sounds-LANG).</summary>
/// <param name="Name">The name reported in tables ("fr_CA_f_June").</param>
/// <param name="Language">The package language ("fr").</param>
/// <param name="EspeakVoice">The espeak-ng voice that speaks the transcripts for the alignment.</param>
internal sealed record RecordedSpeaker(string Name, string Language, string EspeakVoice)
{
    /// <summary>The directory of the 16 kHz G.722 prompts.</summary>
    public string SoundsDirectory => $"/usr/share/asterisk/sounds/{Name}";

    /// <summary>The transcript (one "name: text" a line).</summary>
    public string TranscriptPath => $"/usr/share/doc/asterisk-core-sounds-{Language}/core-sounds-{Language}.txt.gz";

    /// <summary>The Debian packages that install this speaker.</summary>
    public string Packages => $"asterisk-core-sounds-{Language} asterisk-core-sounds-{Language}-g722";
}

/// <summary>One recorded prompt: 16 kHz mono PCM and its transcript.</summary>
internal sealed record RecordedPrompt(string Name, string Text, short[] Pcm);

/// <summary>
/// Reads a <see cref="RecordedSpeaker"/>'s prompts: the transcript lines whose G.722 file exists, decoded by one ffmpeg
/// process for the whole set (concat demuxer; G.722 at 64 kbit/s is 2 samples a byte, which gives each prompt's length).
/// </summary>
internal static class RecordedPrompts
{
    /// <summary>Prompts longer than this are skipped (alignment cost grows with the square of the length).</summary>
    public const double MaxSeconds = 10;

    /// <summary>Loads up to <paramref name="maxPrompts"/> prompts in transcript order (names sorted ordinally).</summary>
    /// <exception cref="InvalidOperationException">The packages or ffmpeg are missing, or ffmpeg failed.</exception>
    public static IReadOnlyList<RecordedPrompt> Load(RecordedSpeaker speaker, int maxPrompts = int.MaxValue)
    {
        if (!File.Exists(speaker.TranscriptPath) || !Directory.Exists(speaker.SoundsDirectory))
        {
            throw new InvalidOperationException($"recorded speaker {speaker.Name} is not installed (apt-get install {speaker.Packages}; scripts/setup installs the evaluation speakers, scripts/setup-training the training ones)");
        }
        var entries = new List<(string Name, string Text, string Path, long Samples)>();
        foreach (var (name, text) in ReadTranscript(speaker.TranscriptPath).OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var path = Path.Combine(speaker.SoundsDirectory, name + ".g722");
            if (!File.Exists(path)) continue;
            long samples = new FileInfo(path).Length * 2;
            if (samples < 1600 || samples > MaxSeconds * 16000) continue;
            entries.Add((name, text, path, samples));
            if (entries.Count >= maxPrompts) break;
        }
        var pcm = Decode(entries.Select(e => e.Path).ToList(), entries.Sum(e => e.Samples));
        var prompts = new List<RecordedPrompt>(entries.Count);
        long offset = 0;
        foreach (var e in entries)
        {
            prompts.Add(new RecordedPrompt(e.Name, e.Text, pcm.AsSpan((int)offset, (int)e.Samples).ToArray()));
            offset += e.Samples;
        }
        return prompts;
    }

    /// <summary>Reads "name: text" lines; skips comments, sound effects ("[beep]") and lines without words.</summary>
    internal static IEnumerable<(string Name, string Text)> ReadTranscript(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<(string, string)>();
        while (reader.ReadLine() is { } line)
        {
            line = line.Trim().TrimStart('\uFEFF');
            if (line.Length == 0 || line.StartsWith(';')) continue;
            int colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var name = line[..colon].Trim();
            var text = line[(colon + 1)..].Trim();
            if (name.Contains(' ') || name.Contains("..") || text.Contains('[') || text.Contains('<') || !text.Any(char.IsLetter)) continue;
            if (seen.Add(name)) result.Add((name, text));
        }
        return result;
    }

    private static short[] Decode(IReadOnlyList<string> paths, long totalSamples)
    {
        if (paths.Count == 0) return [];
        var list = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(list, paths.Select(p => $"file '{p.Replace("'", "'\\''")}'"));
            var psi = new ProcessStartInfo("ffmpeg")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { "-nostdin", "-v", "error", "-f", "concat", "-safe", "0", "-i", list, "-f", "s16le", "-ac", "1", "-ar", "16000", "-" }) psi.ArgumentList.Add(a);
            Process process;
            try
            {
                process = Process.Start(psi) ?? throw new InvalidOperationException("ffmpeg did not start");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new InvalidOperationException("ffmpeg is not installed (scripts/setup installs it)", e);
            }
            using (process)
            {
                var stderr = process.StandardError.ReadToEndAsync();
                using var buffer = new MemoryStream();
                process.StandardOutput.BaseStream.CopyTo(buffer);
                process.WaitForExit();
                if (process.ExitCode != 0) throw new InvalidOperationException($"ffmpeg failed decoding the G.722 prompts: {stderr.Result.Trim()}");
                var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
                if (bytes.Length != totalSamples * 2)
                {
                    throw new InvalidOperationException($"ffmpeg decoded {bytes.Length / 2} samples; the G.722 file sizes give {totalSamples}");
                }
                var pcm = new short[totalSamples];
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(bytes).CopyTo(pcm);
                return pcm;
            }
        }
        finally
        {
            File.Delete(list);
        }
    }
}
