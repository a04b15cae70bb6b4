using System.Xml.Linq;

namespace KvsInference.Avatar.Training;

/// <summary>
/// One language of KLettres, KDE's alphabet tutor (Debian klettres-data): a volunteer's recordings of that language's
/// letters and of short syllables and words ("BA", "MO", "AFFE"), each named by its text in the language's sounds.xml.
/// Each language is another recorded human speaker, and its syllables put vowels after p/b/m and the other consonants.
/// </summary>
/// <param name="Name">The name reported in logs and tables ("klettres_de").</param>
/// <param name="Language">The language's directory under /usr/share/klettres ("de", "pt_BR").</param>
/// <param name="EspeakVoice">The espeak-ng voice that reads the texts for the alignment.</param>
internal sealed record KLettresSpeaker(string Name, string Language, string EspeakVoice)
{
    /// <summary>Where Debian installs KLettres' sounds (another root in tests).</summary>
    public string Root { get; init; } = "/usr/share/klettres";

    /// <summary>The language's list of sounds and their texts.</summary>
    public string SoundsXml => Path.Combine(Root, Language, "sounds.xml");
}

/// <summary>Reads a <see cref="KLettresSpeaker"/>'s recordings with their texts.</summary>
internal static class KLettresPrompts
{
    /// <summary>
    /// Loads up to <paramref name="maxPrompts"/> recordings in the order of sounds.xml (letters, then syllables), each
    /// decoded by ffmpeg to 16 kHz mono; the text is the sound's name in lower case, which espeak-ng reads as a word
    /// (all capitals it may spell). Sounds whose file is missing (some languages list another language's) are skipped.
    /// Many files are padded to a fixed length (English: 2 s for a letter); the silence around the speech is cut to
    /// <see cref="RecordedPrompts.MarginSamples"/> (<see cref="RecordedPrompts.DecodeTrimmed"/>), so that the length check of the alignment compares speech with speech.
    /// </summary>
    /// <exception cref="InvalidOperationException">klettres-data or ffmpeg is missing, or a file does not decode.</exception>
    public static IReadOnlyList<RecordedPrompt> Load(KLettresSpeaker speaker, int maxPrompts = int.MaxValue)
    {
        if (!File.Exists(speaker.SoundsXml))
        {
            throw new InvalidOperationException($"KLettres speaker {speaker.Name} is not installed: no {speaker.SoundsXml} (apt-get install klettres-data; scripts/setup-training)");
        }
        var prompts = new List<RecordedPrompt>();
        foreach (var sound in XDocument.Load(speaker.SoundsXml).Descendants("sound"))
        {
            var name = ((string?)sound.Attribute("name"))?.Trim();
            var file = (string?)sound.Attribute("file");
            if (string.IsNullOrEmpty(name) || file is null || !name.Any(char.IsLetter)) continue;
            var path = Path.Combine(speaker.Root, file);
            if (!File.Exists(path)) continue;
            if (RecordedPrompts.DecodeTrimmed(path) is not { } pcm) continue;
            prompts.Add(new RecordedPrompt($"{speaker.Name}/{Path.GetFileNameWithoutExtension(file)}", name.ToLowerInvariant(), pcm));
            if (prompts.Count >= maxPrompts) break;
        }
        return prompts;
    }
}
