namespace KvsInference.Avatar.Model;

/// <summary>The six classes the classifier tells apart: the five VRM 1.0 visemes and silence (mouth at rest or closed).</summary>
public enum VisemeClass
{
    /// <summary>Open vowels: "father", "cat", "cup".</summary>
    Aa = 0,

    /// <summary>Near-close spread vowels and schwa, and the tongue/teeth consonants.</summary>
    Ih = 1,

    /// <summary>Rounded close vowels and the lip-rounding consonants.</summary>
    Ou = 2,

    /// <summary>Front spread vowels ("see", "say") and /j/.</summary>
    Ee = 3,

    /// <summary>Rounded mid/open back vowels ("go", "thought").</summary>
    Oh = 4,

    /// <summary>No speech, or lips closed (/p b m/).</summary>
    Silence = 5,
}
