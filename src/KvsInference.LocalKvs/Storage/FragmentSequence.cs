using System.Globalization;

namespace KvsInference.LocalKvs.Storage;

/// <summary>
/// The fragment numbers this store makes, shaped like KVS's (47 decimal digits, e.g.
/// 91343852333181432392682062607743920146264185089): a fixed prefix and a zero-padded sequence, so that their text
/// order, numeric order (<see cref="Kvs.FragmentNumber.Compare"/>) and arrival order agree.
/// </summary>
/// <remarks>
/// The sequence of a new fragment is the larger of (last sequence + 1) and (server time in microseconds), so numbers
/// keep increasing across restarts even if an index were lost.
/// </remarks>
public static class FragmentSequence
{
    private const string Prefix = "91343852333";
    private const int SequenceDigits = 36;

    /// <summary>The length of every fragment number the store makes.</summary>
    public const int Length = 47;

    /// <summary>Formats a sequence as a fragment number.</summary>
    /// <param name="sequence">A non-negative sequence.</param>
    /// <returns>A 47-digit decimal string.</returns>
    public static string Format(long sequence) =>
        Prefix + sequence.ToString(CultureInfo.InvariantCulture).PadLeft(SequenceDigits, '0');

    /// <summary>Reads the sequence back from a fragment number the store made.</summary>
    /// <param name="fragmentNumber">A fragment number.</param>
    /// <param name="sequence">The sequence.</param>
    /// <returns>False when the text is not a fragment number of this store.</returns>
    public static bool TryParse(string? fragmentNumber, out long sequence)
    {
        sequence = 0;
        return fragmentNumber is { Length: Length }
            && fragmentNumber.StartsWith(Prefix, StringComparison.Ordinal)
            && long.TryParse(fragmentNumber.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out sequence);
    }
}
