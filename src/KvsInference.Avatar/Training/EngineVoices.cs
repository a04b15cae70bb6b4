using System.Diagnostics;
using System.Text;
using KvsInference.Audio;
using KvsInference.Avatar.Features;

namespace KvsInference.Avatar.Training;

/// <summary>A speech synthesizer whose voices are built from one person's recordings.</summary>
internal enum SpeechEngine
{
    /// <summary>flite (Debian `flite`): CMU ARCTIC voices (awb, rms, slt: units of recorded speech) and kal16 (recorded diphones).</summary>
    Flite,

    /// <summary>Festival (Debian `festival` + festvox-*): recorded diphone and unit-selection voices.</summary>
    Festival,
}

/// <summary>
/// A voice of a synthesizer built from one person's recordings: another speaker to train on (as the issue found, distinct
/// speakers help more than hours). Its speech is labelled like a recorded prompt (PocketSphinx forced alignment of the
/// text it was given), not from the engine's own timing, so training and evaluation timing follow one aligner's conventions.
/// </summary>
/// <param name="Name">The name reported in logs and tables ("flite_awb").</param>
/// <param name="Engine">The synthesizer.</param>
/// <param name="Voice">The engine's voice name ("awb"; festival: "ked_diphone").</param>
/// <param name="Language">The language of the texts: "en" speaks <see cref="TrainingRecipe.TrainCorpus"/>; others the Asterisk core transcript of that language.</param>
/// <param name="EspeakVoice">The espeak-ng voice that speaks the texts for the alignment.</param>
/// <param name="Package">The Debian package of the voice (scripts/setup-training installs it).</param>
/// <param name="Latin1">True when the voice reads ISO-8859-1 text (Festival's Italian diphone voices) rather than UTF-8.</param>
internal sealed record EngineVoice(string Name, SpeechEngine Engine, string Voice, string Language, string EspeakVoice, string Package, bool Latin1 = false)
{
    /// <summary>Where Debian installs the packages' documentation, and so the transcripts (another root in tests).</summary>
    public string DocRoot { get; init; } = "/usr/share/doc";

    /// <summary>
    /// The texts this voice speaks: the first <paramref name="count"/> sentences of the training corpus (English) or of
    /// the core transcript of <see cref="Language"/> (transcript order, names sorted ordinally).
    /// </summary>
    public IReadOnlyList<string> Texts(int count)
    {
        if (Language == "en") return LabelledSpeech.LoadCorpus(TrainingRecipe.TrainCorpus).Take(count).ToList();
        var transcript = new RecordedSpeaker("", Language, EspeakVoice) { DocRoot = DocRoot }.TranscriptPath;
        if (!File.Exists(transcript)) throw new InvalidOperationException($"{Name} speaks the transcript {transcript}, which is not installed (apt-get install asterisk-core-sounds-{Language}; scripts/setup-training)");
        return RecordedPrompts.ReadTranscript(transcript).OrderBy(e => e.Name, StringComparer.Ordinal).Select(e => e.Text).Take(count).ToList();
    }
}

/// <summary>Speaks texts with <see cref="EngineVoice"/>s through the engines' command-line programs.</summary>
internal static class EngineSynthesizer
{
    /// <summary>Speaks the voice's first <paramref name="count"/> texts; returns them as prompts (16 kHz) in text order.</summary>
    /// <exception cref="InvalidOperationException">The engine or the voice is not installed, or synthesis failed.</exception>
    public static IReadOnlyList<RecordedPrompt> Speak(EngineVoice voice, int count)
    {
        var texts = voice.Engine == SpeechEngine.Festival ? voice.Texts(count).Select(FestivalText).ToList() : voice.Texts(count);
        var directory = Directory.CreateTempSubdirectory("kvs-voices-");
        try
        {
            var files = texts.Select((_, i) => Path.Combine(directory.FullName, $"{i:D4}.wav")).ToArray();
            if (voice.Engine == SpeechEngine.Flite)
            {
                // flite speaks an unknown voice's text with its default voice, without a word: check the voice list first.
                var listed = Run(voice, "flite", ["-lv"]);
                if (!listed.Split(' ', ':', '\n').Contains(voice.Voice, StringComparer.Ordinal))
                {
                    throw new InvalidOperationException($"flite has no voice {voice.Voice} ({listed}; apt-get install {voice.Package})");
                }
                // One process per text (flite writes one file per run); two at a time, the results are the same in any order.
                Parallel.For(0, texts.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 },
                    i => _ = Run(voice, "flite", ["-voice", voice.Voice, "-t", texts[i], "-o", files[i]]));
            }
            else
            {
                // One Festival process for all texts: loading a voice takes seconds.
                var script = new StringBuilder().AppendLine($"(voice_{voice.Voice})");
                for (int i = 0; i < texts.Count; i++)
                {
                    script.AppendLine($"(set! utt (utt.synth (Utterance Text \"{Escape(texts[i])}\")))");
                    script.AppendLine($"(utt.save.wave utt \"{Escape(files[i])}\" 'riff)");
                }
                var path = Path.Combine(directory.FullName, "speak.scm");
                File.WriteAllText(path, script.ToString(), voice.Latin1 ? Encoding.Latin1 : new UTF8Encoding(false));
                _ = Run(voice, "festival", ["--batch", path]);
            }
            var prompts = new List<RecordedPrompt>(texts.Count);
            for (int i = 0; i < texts.Count; i++)
            {
                if (!File.Exists(files[i])) throw new InvalidOperationException($"{voice.Engine} wrote no audio for \"{texts[i]}\" with voice {voice.Voice}");
                var audio = WavReader.ReadFile(files[i]);
                var pcm = audio.ToMono();
                if (audio.SampleRate != FeatureConstants.SampleRate) pcm = TrainingResampler.For(audio.SampleRate, FeatureConstants.SampleRate).Resample(pcm);
                prompts.Add(new RecordedPrompt($"{voice.Name}/{i:D4}", texts[i], pcm));
            }
            return prompts;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Text Festival's letter-to-sound rules read: words of letters and digits (other characters inside a word dropped:
    /// «quoted», on/off), each with its trailing sentence punctuation; a word without letters or digits ("-", "/") is
    /// dropped. The Russian voice stops at the first character its rules lack (a lone comma, a guillemet).
    /// </summary>
    internal static string FestivalText(string text)
    {
        var words = new List<string>();
        foreach (var token in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var word = new string(token.Where(c => char.IsLetterOrDigit(c) || c == '\'' || c == '\u2019').Select(c => c == '\u2019' ? '\'' : c).ToArray()).Trim('\'');
            if (word.Length == 0) continue;
            char last = token.TrimEnd('"', '\u00bb', ')', '\u201d')[^1];
            words.Add(".,?!;:".Contains(last) ? word + last : word);
        }
        return string.Join(' ', words);
    }

    /// <summary>Escapes a string for a Scheme string literal.</summary>
    internal static string Escape(string text) => text.Replace("\\", "\\\\").Replace("\"", "\\\"");

    /// <summary>Runs an engine's program to its end; returns what it printed.</summary>
    private static string Run(EngineVoice voice, string program, string[] arguments)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException($"{program} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{program} is not installed (scripts/setup-training installs it with {voice.Package})", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            // Festival reports an unknown voice or a Scheme error on its output and may still exit 0.
            var text = (stdout.Result + stderr.Result).Trim();
            if (process.ExitCode != 0 || text.Contains("SIOD ERROR", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{program} failed with voice {voice.Voice} (exit {process.ExitCode}; apt-get install {voice.Package}): {text}");
            }
            return text;
        }
    }
}
