using KvsInference.Avatar.Model;

namespace KvsInference.Avatar.Training;

/// <summary>
/// Maps espeak-ng's IPA phoneme names to the six viseme classes (the table is repeated in docs/model.md).
/// </summary>
/// <remarks>
/// Vowels and diphthongs take the class of their first vowel symbol (the mouth shape the sound opens
/// with), except /əʊ/ (British "go"), which is seen rounded. Consonants take the mouth shape they are
/// seen with: lips closed for /p b m/ (the "silence" class: mouth at rest), rounded lips for /w ɹ r ʃ ʒ tʃ dʒ/,
/// spread for /j/, and a slightly open neutral mouth (ih) for the tongue, teeth and throat consonants.
/// An empty name is a pause.
/// </remarks>
internal static class PhonemeVisemeMap
{
    /// <summary>The table: IPA symbol -> class. Vowel symbols decide vowels; whole names decide consonants.</summary>
    public static readonly IReadOnlyDictionary<string, VisemeClass> Table = new Dictionary<string, VisemeClass>(StringComparer.Ordinal)
    {
        // Open vowels.
        ["a"] = VisemeClass.Aa, ["ɑ"] = VisemeClass.Aa, ["æ"] = VisemeClass.Aa, ["ʌ"] = VisemeClass.Aa, ["ɐ"] = VisemeClass.Aa,
        // Lax, central and r-coloured vowels: neutral, slightly open.
        ["ɪ"] = VisemeClass.Ih, ["ə"] = VisemeClass.Ih, ["ɚ"] = VisemeClass.Ih, ["ᵻ"] = VisemeClass.Ih, ["ɜ"] = VisemeClass.Ih,
        // Close rounded vowels.
        ["u"] = VisemeClass.Ou, ["ʊ"] = VisemeClass.Ou, ["ʉ"] = VisemeClass.Ou,
        // Front spread vowels.
        ["i"] = VisemeClass.Ee, ["e"] = VisemeClass.Ee, ["ɛ"] = VisemeClass.Ee,
        // Mid and open rounded vowels.
        ["o"] = VisemeClass.Oh, ["ɔ"] = VisemeClass.Oh, ["ɒ"] = VisemeClass.Oh, ["əʊ"] = VisemeClass.Oh,
        // Lips closed.
        [""] = VisemeClass.Silence, ["p"] = VisemeClass.Silence, ["b"] = VisemeClass.Silence, ["m"] = VisemeClass.Silence,
        // Lips rounded or protruded.
        ["w"] = VisemeClass.Ou, ["ʍ"] = VisemeClass.Ou, ["ɹ"] = VisemeClass.Ou, ["r"] = VisemeClass.Ou,
        ["ʃ"] = VisemeClass.Ou, ["ʒ"] = VisemeClass.Ou, ["tʃ"] = VisemeClass.Ou, ["dʒ"] = VisemeClass.Ou,
        // Lips spread.
        ["j"] = VisemeClass.Ee,
        // Tongue, teeth and throat consonants: mouth slightly open.
        ["t"] = VisemeClass.Ih, ["d"] = VisemeClass.Ih, ["n"] = VisemeClass.Ih, ["l"] = VisemeClass.Ih, ["s"] = VisemeClass.Ih,
        ["z"] = VisemeClass.Ih, ["θ"] = VisemeClass.Ih, ["ð"] = VisemeClass.Ih, ["k"] = VisemeClass.Ih, ["ɡ"] = VisemeClass.Ih,
        ["g"] = VisemeClass.Ih, ["ŋ"] = VisemeClass.Ih, ["h"] = VisemeClass.Ih, ["f"] = VisemeClass.Ih, ["v"] = VisemeClass.Ih,
        ["ɾ"] = VisemeClass.Ih, ["x"] = VisemeClass.Ih, ["ʔ"] = VisemeClass.Ih, ["ɬ"] = VisemeClass.Ih, ["ç"] = VisemeClass.Ih,
    };

    private static readonly string VowelSymbols = "aɑæʌɐɪəɚᵻɜuʊʉieɛoɔɒ";

    /// <summary>Gets the class of an espeak-ng IPA phoneme name, or false when the name is unknown.</summary>
    public static bool TryMap(string name, out VisemeClass viseme)
    {
        // Length marks, stress and diacritics (dental, palatalised) do not change the mouth shape.
        var bare = new string(name.Where(c => c is not ('ː' or ':' or 'ˈ' or 'ˌ' or '\u032A' or 'ʲ')).ToArray());
        if (Table.TryGetValue(bare, out viseme)) return true;
        foreach (var c in bare)
        {
            if (VowelSymbols.Contains(c) && Table.TryGetValue(c.ToString(), out viseme)) return true;
        }
        // "aa" and similar doubled symbols are caught above; an empty name after stripping (a bare "ʲ") is a
        // palatal glide on the previous consonant: spread lips.
        if (bare.Length == 0 && name.Length > 0) { viseme = VisemeClass.Ee; return true; }
        viseme = default;
        return false;
    }
}
