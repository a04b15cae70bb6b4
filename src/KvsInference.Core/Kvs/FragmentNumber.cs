namespace KvsInference.Kvs;

/// <summary>
/// KVS fragment numbers: decimal strings of up to 128 digits (KVS's limit; real ones have about 47), too long for any
/// integer type. They are compared numerically as strings: by length (leading zeros ignored), then ordinally.
/// </summary>
public static class FragmentNumber
{
    /// <summary>The longest fragment number KVS accepts (AfterFragmentNumber, ListFragments' NextToken).</summary>
    public const int MaxLength = 128;

    /// <summary>Whether <paramref name="value"/> is a non-empty string of at most <see cref="MaxLength"/> ASCII digits.</summary>
    /// <param name="value">The candidate.</param>
    /// <returns>True for a valid fragment number.</returns>
    public static bool IsValid(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength) return false;
        foreach (var c in value)
        {
            if (c is < '0' or > '9') return false;
        }
        return true;
    }

    /// <summary>Compares two fragment numbers numerically.</summary>
    /// <param name="left">A fragment number.</param>
    /// <param name="right">Another fragment number.</param>
    /// <returns>Negative when <paramref name="left"/> is smaller, zero when equal, positive when larger.</returns>
    /// <exception cref="ArgumentException">A value is not a fragment number.</exception>
    public static int Compare(string left, string right)
    {
        if (!IsValid(left)) throw new ArgumentException($"'{left}' is not a fragment number (1 to {MaxLength} decimal digits).", nameof(left));
        if (!IsValid(right)) throw new ArgumentException($"'{right}' is not a fragment number (1 to {MaxLength} decimal digits).", nameof(right));
        var l = left.AsSpan().TrimStart('0');
        var r = right.AsSpan().TrimStart('0');
        // Same number of significant digits: ordinal order of ASCII digits is numeric order.
        return l.Length != r.Length ? l.Length.CompareTo(r.Length) : l.SequenceCompareTo(r);
    }
}
