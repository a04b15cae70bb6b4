using System.Globalization;
using KvsInference.Avatar.Model;

namespace KvsInference.Avatar.Training;

/// <summary>
/// Maps espeak-ng's IPA phoneme names (any language) to the 15 viseme classes (the table is repeated in docs/model.md).
/// </summary>
/// <remarks>
/// Vowels and diphthongs take the class of their first vowel symbol (the mouth shape the sound opens with),
/// except /əʊ/ (British "go"), which is seen rounded. Front rounded vowels (French u, eu) are seen rounded.
/// Length, stress, nasalisation, palatalisation and other diacritics do not change the mouth shape and are
/// ignored. An empty name is a pause.
/// </remarks>
internal static class PhonemeVisemeMap
{
    /// <summary>The table: IPA symbol -> class. Vowel symbols decide vowels; whole names decide consonants.</summary>
    public static readonly IReadOnlyDictionary<string, VisemeClass> Table = Build();

    private static readonly string VowelSymbols = "aɑæʌɐɪəɚᵻɜɨɘuʊʉyʏieɛoɔɒøœɵɤɯ";

    private static Dictionary<string, VisemeClass> Build()
    {
        var table = new Dictionary<string, VisemeClass>(StringComparer.Ordinal) { [""] = VisemeClass.Silence, ["əʊ"] = VisemeClass.Oh };
        void Add(VisemeClass viseme, params string[] names)
        {
            foreach (var name in names) table[name] = viseme;
        }
        Add(VisemeClass.Aa, "a", "ɑ", "æ", "ʌ", "ɐ");
        Add(VisemeClass.Ih, "ɪ", "ə", "ɚ", "ᵻ", "ɜ", "ɨ", "ɘ", "ɯ", "ɤ");
        Add(VisemeClass.Ou, "u", "ʊ", "ʉ", "y", "ʏ", "w", "ʍ", "ɥ");
        Add(VisemeClass.Ee, "i", "e", "ɛ", "j", "ʝ");
        Add(VisemeClass.Oh, "o", "ɔ", "ɒ", "ø", "œ", "ɵ");
        Add(VisemeClass.Pp, "p", "b", "m", "β");
        Add(VisemeClass.Ff, "f", "v", "ɱ", "ʋ");
        Add(VisemeClass.Th, "θ", "ð");
        Add(VisemeClass.Dd, "t", "d", "ɾ", "c", "ɟ");
        Add(VisemeClass.Kk, "k", "ɡ", "g", "ŋ", "h", "x", "ɣ", "ʔ", "q", "χ", "ɦ");
        Add(VisemeClass.Ch, "ʃ", "ʒ", "tʃ", "dʒ", "ɕ", "ʑ", "ʂ", "ʐ", "tɕ", "dʑ", "ç", "tʂ");
        Add(VisemeClass.Ss, "s", "z", "ts", "dz");
        Add(VisemeClass.Nn, "n", "l", "ɲ", "ɫ", "ʎ", "ɬ", "ɳ", "ɭ");
        Add(VisemeClass.Rr, "ɹ", "r", "ʁ", "ɻ", "ʀ");
        return table;
    }

    /// <summary>Gets the class of an espeak-ng IPA phoneme name, or false when the name is unknown.</summary>
    public static bool TryMap(string name, out VisemeClass viseme)
    {
        var bare = Strip(name);
        if (Table.TryGetValue(bare, out viseme)) return true;
        foreach (var c in bare)
        {
            if (VowelSymbols.Contains(c) && Table.TryGetValue(c.ToString(), out viseme)) return true;
        }
        // A cluster espeak-ng names as one phoneme ("ks"): the mouth shape it starts with.
        if (bare.Length > 1 && Table.TryGetValue(bare[..1], out viseme)) return true;
        // A bare palatalisation mark ("ʲ") is a palatal glide on the previous consonant: spread lips.
        if (bare.Length == 0 && name.Length > 0) { viseme = VisemeClass.Ee; return true; }
        viseme = default;
        return false;
    }

    /// <summary>Removes length and stress marks, modifier letters and combining diacritics.</summary>
    private static string Strip(string name)
    {
        var chars = new List<char>(name.Length);
        foreach (var c in name)
        {
            if (c is 'ː' or ':' or 'ˈ' or 'ˌ' or 'ʲ' or 'ʰ' or 'ʷ' or 'ˑ' or '\'' or ',' or '-' or '_' or '#') continue;
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.SpacingCombiningMark) continue;
            chars.Add(c);
        }
        return new string([.. chars]);
    }
}
