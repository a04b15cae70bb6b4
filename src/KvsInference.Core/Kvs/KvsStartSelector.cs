namespace KvsInference.Kvs;

/// <summary>Where GetMedia starts (KVS <c>StartSelector</c>).</summary>
public enum KvsStartSelectorType
{
    /// <summary>The newest fragment, then live.</summary>
    Now,
    /// <summary>The oldest fragment kept.</summary>
    Earliest,
    /// <summary>The fragment after <see cref="KvsStartSelector.AfterFragmentNumber"/>.</summary>
    FragmentNumber,
    /// <summary>The fragment at or after <see cref="KvsStartSelector.StartTimestamp"/> by server time.</summary>
    ServerTimestamp,
    /// <summary>The fragment at or after <see cref="KvsStartSelector.StartTimestamp"/> by producer time.</summary>
    ProducerTimestamp,
    /// <summary>Resume from <see cref="KvsStartSelector.ContinuationToken"/> (the AWS_KINESISVIDEO_CONTINUATION_TOKEN tag).</summary>
    ContinuationToken,
}

/// <summary>
/// The GetMedia start selector, validated on construction through the factory methods. Plain data: the KVS client
/// writes it to the wire, the local media store reads it, media sources and the pipeline pass it along.
/// </summary>
public sealed class KvsStartSelector
{
    private KvsStartSelector(KvsStartSelectorType type) => Type = type;

    /// <summary>Gets the selector type.</summary>
    public KvsStartSelectorType Type { get; }

    /// <summary>Gets the wire name of the type, e.g. <c>FRAGMENT_NUMBER</c>.</summary>
    public string StartSelectorType => KvsStartSelectorTypes.ToWireName(Type);

    /// <summary>Gets the fragment number after which to start (FRAGMENT_NUMBER).</summary>
    public string? AfterFragmentNumber { get; private init; }

    /// <summary>Gets the continuation token (CONTINUATION_TOKEN).</summary>
    public string? ContinuationToken { get; private init; }

    /// <summary>Gets the start time (SERVER_TIMESTAMP, PRODUCER_TIMESTAMP).</summary>
    public DateTimeOffset? StartTimestamp { get; private init; }

    /// <summary>Starts at the newest fragment.</summary>
    public static KvsStartSelector Now() => new(KvsStartSelectorType.Now);

    /// <summary>Starts at the oldest fragment kept.</summary>
    public static KvsStartSelector Earliest() => new(KvsStartSelectorType.Earliest);

    /// <summary>Starts after a fragment (resume from a checkpoint).</summary>
    /// <param name="fragmentNumber">The last fragment fully processed.</param>
    /// <exception cref="ArgumentException">The number is empty or not decimal digits.</exception>
    public static KvsStartSelector AfterFragment(string fragmentNumber)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fragmentNumber);
        if (!FragmentNumber.IsValid(fragmentNumber)) throw new ArgumentException($"Fragment number '{fragmentNumber}' is not decimal digits.", nameof(fragmentNumber));
        return new(KvsStartSelectorType.FragmentNumber) { AfterFragmentNumber = fragmentNumber };
    }

    /// <summary>Starts at the fragment at or after a server timestamp.</summary>
    /// <param name="start">The time.</param>
    public static KvsStartSelector ServerTime(DateTimeOffset start) => new(KvsStartSelectorType.ServerTimestamp) { StartTimestamp = start };

    /// <summary>Starts at the fragment at or after a producer timestamp.</summary>
    /// <param name="start">The time.</param>
    public static KvsStartSelector ProducerTime(DateTimeOffset start) => new(KvsStartSelectorType.ProducerTimestamp) { StartTimestamp = start };

    /// <summary>Resumes from a continuation token.</summary>
    /// <param name="token">The token from the last AWS_KINESISVIDEO_CONTINUATION_TOKEN tag.</param>
    /// <exception cref="ArgumentException">The token is empty.</exception>
    public static KvsStartSelector Continuation(string token)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        return new(KvsStartSelectorType.ContinuationToken) { ContinuationToken = token };
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var value = AfterFragmentNumber ?? ContinuationToken ?? StartTimestamp?.ToString("O");
        return value is null ? StartSelectorType : StartSelectorType + " " + value;
    }
}

/// <summary>The wire names of <see cref="KvsStartSelectorType"/> (<c>NOW</c>, <c>EARLIEST</c>, ...): the one table both ways.</summary>
public static class KvsStartSelectorTypes
{
    private static readonly (KvsStartSelectorType Type, string Name)[] Names =
    [
        (KvsStartSelectorType.Now, "NOW"),
        (KvsStartSelectorType.Earliest, "EARLIEST"),
        (KvsStartSelectorType.FragmentNumber, "FRAGMENT_NUMBER"),
        (KvsStartSelectorType.ServerTimestamp, "SERVER_TIMESTAMP"),
        (KvsStartSelectorType.ProducerTimestamp, "PRODUCER_TIMESTAMP"),
        (KvsStartSelectorType.ContinuationToken, "CONTINUATION_TOKEN"),
    ];

    /// <summary>Gets every wire name, in the order of <see cref="KvsStartSelectorType"/>, for error messages.</summary>
    public static IReadOnlyList<string> WireNames { get; } = Names.Select(n => n.Name).ToArray();

    /// <summary>Gets the wire name of a type.</summary>
    /// <param name="type">The type.</param>
    /// <returns>For example <c>FRAGMENT_NUMBER</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined type.</exception>
    public static string ToWireName(KvsStartSelectorType type)
    {
        foreach (var (t, name) in Names)
        {
            if (t == type) return name;
        }
        throw new ArgumentOutOfRangeException(nameof(type), type, "Not a KVS start selector type.");
    }

    /// <summary>Reads a wire name exactly as KVS spells it (upper case).</summary>
    /// <param name="name">The text, e.g. <c>EARLIEST</c>.</param>
    /// <param name="type">The type read.</param>
    /// <returns>False when the text is not a wire name.</returns>
    public static bool TryParse(string? name, out KvsStartSelectorType type)
    {
        foreach (var (t, n) in Names)
        {
            if (string.Equals(n, name, StringComparison.Ordinal))
            {
                type = t;
                return true;
            }
        }
        type = default;
        return false;
    }
}
