using System.Diagnostics;
using System.IO.Compression;
using System.Text;

namespace KvsInference.Avatar.Training;

/// <summary>How a prompt set's files are encoded.</summary>
internal enum PromptCodec
{
    /// <summary>16 kHz G.722 at 64 kbit/s (asterisk-core-sounds-LANG-g722): 2 samples (at 16 kHz) a byte.</summary>
    G722,

    /// <summary>8 kHz raw GSM 06.10 (the older asterisk-prompt-* sets): 33-byte frames of 20 ms, 320 samples each at 16 kHz.</summary>
    Gsm,
}

/// <summary>
/// A set of recorded prompts by one human speaker: Debian's asterisk-core-sounds-LANG-g722 with the transcript of
/// asterisk-core-sounds-LANG, or an older asterisk-prompt-* set of the same prompt names read from that transcript.
/// </summary>
/// <param name="Name">The name reported in tables and the directory under /usr/share/asterisk/sounds ("fr_CA_f_June").</param>
/// <param name="Language">The language of the transcript's package ("fr": asterisk-core-sounds-fr).</param>
/// <param name="EspeakVoice">The espeak-ng voice that speaks the transcripts for the alignment.</param>
/// <param name="Codec">The encoding of the prompt files.</param>
/// <param name="SoundPackage">The Debian package of the recordings; null for asterisk-core-sounds-LANG-g722.</param>
internal sealed record RecordedSpeaker(string Name, string Language, string EspeakVoice, PromptCodec Codec = PromptCodec.G722, string? SoundPackage = null)
{
    /// <summary>
    /// Where scripts/setup-training unpacks the older prompt sets that conflict with the core sets (asterisk-prompt-fr-armelle
    /// and -es-co install into the core sets' sounds/fr and sounds/es): a directory per speaker, named like <see cref="Name"/>.
    /// </summary>
    public const string ExtractedSoundsRoot = "/usr/local/share/kvs-inference/sounds";

    /// <summary>Where Debian installs prompt sets (another root in tests).</summary>
    public string SoundsRoot { get; init; } = "/usr/share/asterisk/sounds";

    /// <summary>Where Debian installs the packages' documentation, and so the transcripts (another root in tests).</summary>
    public string DocRoot { get; init; } = "/usr/share/doc";

    /// <summary>The directory of the prompts.</summary>
    public string SoundsDirectory => Path.Combine(SoundsRoot, Name);

    /// <summary>The prompt files' extension.</summary>
    public string Extension => Codec == PromptCodec.Gsm ? ".gsm" : ".g722";

    /// <summary>
    /// True when the transcript was written for another recording of the same prompt names (an older prompt set read
    /// from the core set's transcript): a prompt is trained on only where the forced alignment finds a path through
    /// its text, since a differently worded recording has none.
    /// </summary>
    public bool BorrowedTranscript => SoundPackage is not null;

    /// <summary>The transcript (one "name: text" a line).</summary>
    public string TranscriptPath => Path.Combine(DocRoot, $"asterisk-core-sounds-{Language}", $"core-sounds-{Language}.txt.gz");

    /// <summary>How this speaker gets installed, for the error when it is missing.</summary>
    public string InstallHint => SoundsRoot == ExtractedSoundsRoot
        ? $"scripts/setup-training unpacks {SoundPackage} into {SoundsDirectory}; the transcript comes from asterisk-core-sounds-{Language}"
        : $"apt-get install asterisk-core-sounds-{Language} {SoundPackage ?? $"asterisk-core-sounds-{Language}-g722"}; scripts/setup installs the evaluation speakers, scripts/setup-training the training ones";

    /// <summary>The number of 16 kHz samples a prompt file of <paramref name="bytes"/> bytes decodes to.</summary>
    public long SamplesOf(long bytes) => Codec == PromptCodec.Gsm ? bytes / 33 * 320 : bytes * 2;
}

/// <summary>One recorded prompt: 16 kHz mono PCM and its transcript.</summary>
internal sealed record RecordedPrompt(string Name, string Text, short[] Pcm);

/// <summary>
/// Reads a <see cref="RecordedSpeaker"/>'s prompts: the transcript lines whose G.722 file exists, decoded by one ffmpeg
/// process for the whole set (concat demuxer; the file sizes give each prompt's length, <see cref="RecordedSpeaker.SamplesOf"/>).
/// </summary>
internal static class RecordedPrompts
{
    /// <summary>Prompts longer than this are skipped (alignment cost grows with the square of the length).</summary>
    public const double MaxSeconds = 10;

    /// <summary>Silence kept before and after the speech: as much as the alignment's espeak-ng reading has (a quarter second).</summary>
    public const int MarginSamples = 4000;

    /// <summary>Whether a prompt of <paramref name="samples"/> at 16 kHz is kept: at least 0.1 s and at most <see cref="MaxSeconds"/>.</summary>
    internal static bool IsUsableLength(long samples) => samples >= 1600 && samples <= MaxSeconds * 16000;

    /// <summary>
    /// Decodes one recording file to 16 kHz mono with its silence cut to <see cref="MarginSamples"/> each side
    /// (<see cref="TrimSilence"/>); null when what is left is not of a usable length (<see cref="IsUsableLength"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">ffmpeg is missing or failed.</exception>
    internal static short[]? DecodeTrimmed(string path)
    {
        var pcm = TrimSilence(DecodeToPcm(["-i", path], path));
        return IsUsableLength(pcm.Length) ? pcm : null;
    }

    /// <summary>Loads up to <paramref name="maxPrompts"/> prompts in transcript order (names sorted ordinally).</summary>
    /// <exception cref="InvalidOperationException">The packages or ffmpeg are missing, or ffmpeg failed.</exception>
    public static IReadOnlyList<RecordedPrompt> Load(RecordedSpeaker speaker, int maxPrompts = int.MaxValue)
    {
        if (!File.Exists(speaker.TranscriptPath) || !Directory.Exists(speaker.SoundsDirectory))
        {
            throw new InvalidOperationException($"recorded speaker {speaker.Name} is not installed ({speaker.InstallHint})");
        }
        var entries = new List<(string Name, string Text, string Path, long Samples)>();
        foreach (var (name, text) in ReadTranscript(speaker.TranscriptPath).OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var path = Path.Combine(speaker.SoundsDirectory, name + speaker.Extension);
            if (!File.Exists(path)) continue;
            long samples = speaker.SamplesOf(new FileInfo(path).Length);
            if (!IsUsableLength(samples)) continue;
            entries.Add((name, text, path, samples));
            if (entries.Count >= maxPrompts) break;
        }
        var pcm = Decode(entries.Select(e => e.Path).ToList(), speaker.Codec, entries.Sum(e => e.Samples));
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

    private static short[] Decode(IReadOnlyList<string> paths, PromptCodec codec, long totalSamples)
    {
        if (paths.Count == 0) return [];
        var list = Path.GetTempFileName();
        try
        {
            string[] input;
            if (codec == PromptCodec.Gsm)
            {
                // Raw GSM has no header for ffmpeg to probe (short files fail as "invalid data", and the concat demuxer then
                // drops the rest), so the files' 33-byte frames go to ffmpeg as one stream of the named format.
                using (var all = File.Create(list))
                {
                    foreach (var path in paths)
                    {
                        using var file = File.OpenRead(path);
                        file.CopyTo(all);
                    }
                }
                input = ["-f", "gsm", "-i", list];
            }
            else
            {
                File.WriteAllLines(list, paths.Select(p => $"file '{p.Replace("'", "'\\''")}'"));
                input = ["-f", "concat", "-safe", "0", "-i", list];
            }
            var pcm = DecodeToPcm(input, "the prompts");
            if (pcm.Length != totalSamples)
            {
                throw new InvalidOperationException($"ffmpeg decoded {pcm.Length} samples; the prompt file sizes give {totalSamples}");
            }
            return pcm;
        }
        finally
        {
            File.Delete(list);
        }
    }

    /// <summary>Decodes ffmpeg's <paramref name="input"/> arguments to 16 kHz mono PCM; <paramref name="what"/> names it in errors.</summary>
    /// <exception cref="InvalidOperationException">ffmpeg is missing or failed.</exception>
    internal static short[] DecodeToPcm(IEnumerable<string> input, string what)
    {
        var psi = new ProcessStartInfo("ffmpeg")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["-nostdin", "-v", "error", .. input, "-f", "s16le", "-ac", "1", "-ar", "16000", "-"]) psi.ArgumentList.Add(a);
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
            if (process.ExitCode != 0) throw new InvalidOperationException($"ffmpeg failed decoding {what}: {stderr.Result.Trim()}");
            var pcm = new short[buffer.Length / 2];
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(buffer.GetBuffer().AsSpan(0, pcm.Length * 2)).CopyTo(pcm);
            return pcm;
        }
    }

    /// <summary>
    /// The recording from <see cref="MarginSamples"/> before its first 10 ms window within 35 dB of its loudest to as
    /// much after its last one (the whole recording when it has no such window).
    /// </summary>
    internal static short[] TrimSilence(short[] pcm)
    {
        const int window = 160;
        int windows = pcm.Length / window;
        if (windows == 0) return pcm;
        var energy = new double[windows];
        for (int w = 0; w < windows; w++)
        {
            double sum = 0;
            for (int i = w * window; i < (w + 1) * window; i++) sum += (double)pcm[i] * pcm[i];
            energy[w] = sum / window;
        }
        double threshold = energy.Max() * Math.Pow(10, -35 / 10.0);
        int first = Array.FindIndex(energy, e => e >= threshold && e > 0), last = Array.FindLastIndex(energy, e => e >= threshold && e > 0);
        if (first < 0) return pcm;
        int start = Math.Max(0, first * window - MarginSamples), end = Math.Min(pcm.Length, (last + 1) * window + MarginSamples);
        return pcm[start..end];
    }
}
