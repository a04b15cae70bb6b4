using System.Text;
using System.Text.RegularExpressions;

namespace KvsInference.Avatar.Training;

/// <summary>
/// One voice of Fish Fillets NG's spoken dialogues (Debian fillets-ng-data with fillets-ng-data-cs or -nl): the lines
/// of one language said in one of the game's subtitle fonts, which stand for its characters. The two fish (fonts
/// <c>font_big</c> and <c>font_small</c>) say most lines, each voiced by its own actor per language; the other Czech
/// characters share <see cref="OtherFonts"/>.
/// </summary>
/// <param name="Name">The name reported in logs and tables ("fillets_cs_big").</param>
/// <param name="Language">The dubbing's language, as in dialogs_LANGUAGE.lua and sound/LEVEL/LANGUAGE ("cs", "nl").</param>
/// <param name="Font">The subtitle font of the character, or <see cref="OtherFonts"/> for every font but the two fish's.</param>
/// <param name="EspeakVoice">The espeak-ng voice that reads the texts for the alignment.</param>
internal sealed record FilletsSpeaker(string Name, string Language, string Font, string EspeakVoice)
{
    /// <summary>The <see cref="Font"/> that takes the lines of every character but the two fish.</summary>
    public const string OtherFonts = "*";

    /// <summary>Where Debian installs the game's data (another root in tests).</summary>
    public string Root { get; init; } = "/usr/share/games/fillets-ng";

    /// <summary>Whether a line in <paramref name="font"/> is this voice's.</summary>
    public bool Says(string font) => Font == OtherFonts ? font is not ("font_big" or "font_small") : font == Font;
}

/// <summary>Reads a <see cref="FilletsSpeaker"/>'s recorded lines with their texts.</summary>
internal static partial class FilletsPrompts
{
    /// <summary>
    /// Loads up to <paramref name="maxPrompts"/> lines, level by level in ordinal order, each decoded by ffmpeg to 16 kHz
    /// mono with its silence cut (<see cref="RecordedPrompts.DecodeTrimmed"/>, as KLettres'). A level's
    /// script/LEVEL/dialogs_LANGUAGE.lua names each line (<c>dialogId("id", "font", "English")</c> followed by
    /// <c>dialogStr("text")</c>); its sound is sound/LEVEL/LANGUAGE/id.ogg. Lines without a sound are skipped.
    /// </summary>
    /// <exception cref="InvalidOperationException">The packages or ffmpeg are missing, or a file does not decode.</exception>
    public static IReadOnlyList<RecordedPrompt> Load(FilletsSpeaker speaker, int maxPrompts = int.MaxValue)
    {
        var scripts = Path.Combine(speaker.Root, "script");
        if (!Directory.Exists(scripts) || !Directory.Exists(Path.Combine(speaker.Root, "sound")))
        {
            throw new InvalidOperationException($"Fish Fillets voice {speaker.Name} is not installed: no {scripts} or sound (apt-get install fillets-ng-data fillets-ng-data-{speaker.Language}; scripts/setup-training)");
        }
        var prompts = new List<RecordedPrompt>();
        foreach (var level in Directory.GetDirectories(scripts).Order(StringComparer.Ordinal))
        {
            var dialogs = Path.Combine(level, $"dialogs_{speaker.Language}.lua");
            if (!File.Exists(dialogs)) continue;
            foreach (var (id, font, text) in ReadDialogs(File.ReadAllText(dialogs, Encoding.UTF8)))
            {
                if (!speaker.Says(font)) continue;
                var path = Path.Combine(speaker.Root, "sound", Path.GetFileName(level), speaker.Language, id + ".ogg");
                if (!File.Exists(path)) continue;
                if (RecordedPrompts.DecodeTrimmed(path) is not { } pcm) continue;
                prompts.Add(new RecordedPrompt($"{speaker.Name}/{Path.GetFileName(level)}/{id}", text, pcm));
                if (prompts.Count >= maxPrompts) return prompts;
            }
        }
        return prompts;
    }

    /// <summary>The lines of one dialogs_LANGUAGE.lua: id, font and the language's text (Lua string escapes undone).</summary>
    internal static IEnumerable<(string Id, string Font, string Text)> ReadDialogs(string lua)
    {
        foreach (Match m in DialogLine().Matches(lua))
        {
            yield return (m.Groups["id"].Value, m.Groups["font"].Value, UnescapeLua(m.Groups["text"].Value).Trim());
        }
    }

    /// <summary>Undoes a Lua string's escapes; a line break or tab in a subtitle becomes a space (espeak-ng reads on without a pause).</summary>
    private static string UnescapeLua(string s)
    {
        var result = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\' || i + 1 == s.Length) { result.Append(s[i]); continue; }
            char next = s[++i];
            result.Append(next is 'n' or 't' ? ' ' : next);
        }
        return result.ToString();
    }

    [GeneratedRegex("""dialogId\(\s*"(?<id>[^"]+)"\s*,\s*"(?<font>[^"]*)"\s*,\s*"(?:[^"\\]|\\.)*"\s*\)\s*dialogStr\(\s*"(?<text>(?:[^"\\]|\\.)*)"\s*\)""")]
    private static partial Regex DialogLine();
}
