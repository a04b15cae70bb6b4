namespace KvsInference.Avatar.Model;

/// <summary>
/// The 15 classes the classifier tells apart: the common 15-viseme set (sil, PP, FF, TH, DD, kk, CH, SS, nn, RR,
/// aa, E, I, O, U). The vowels keep the names of the VRM 1.0 keys they are written to (aa, ih, ou, ee, oh) and the
/// values 0..5 of the first model's six classes, so the record keys of earlier versions mean what they meant.
/// </summary>
public enum VisemeClass
{
    /// <summary>Open vowels: "father", "cat", "cup" (viseme aa).</summary>
    Aa = 0,

    /// <summary>Near-close spread vowels and schwa: "sit", "about" (viseme I).</summary>
    Ih = 1,

    /// <summary>Rounded close vowels and /w/: "boot", "book" (viseme U).</summary>
    Ou = 2,

    /// <summary>Front spread vowels and /j/: "see", "say", "bed" (viseme E).</summary>
    Ee = 3,

    /// <summary>Rounded mid/open back vowels: "go", "thought" (viseme O).</summary>
    Oh = 4,

    /// <summary>No speech: mouth at rest (viseme sil).</summary>
    Silence = 5,

    /// <summary>Lips closed: /p b m/ (viseme PP).</summary>
    Pp = 6,

    /// <summary>Lower lip to the upper teeth: /f v/ (viseme FF).</summary>
    Ff = 7,

    /// <summary>Tongue between the teeth: /θ ð/ (viseme TH).</summary>
    Th = 8,

    /// <summary>Tongue tip on the ridge: /t d/ (viseme DD).</summary>
    Dd = 9,

    /// <summary>Back of the tongue and throat: /k g ŋ h/ (viseme kk).</summary>
    Kk = 10,

    /// <summary>Protruded lips, teeth together: /ʃ ʒ tʃ dʒ/ (viseme CH).</summary>
    Ch = 11,

    /// <summary>Teeth together, lips spread: /s z/ (viseme SS).</summary>
    Ss = 12,

    /// <summary>Tongue up, mouth slightly open: /n l/ (viseme nn).</summary>
    Nn = 13,

    /// <summary>Lips slightly rounded: /r ɹ ʁ/ (viseme RR).</summary>
    Rr = 14,
}
