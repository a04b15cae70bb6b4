namespace KvsInference.Kvs;

/// <summary>Which clock a fragment timestamp (a ListFragments range, a fragment selector) refers to.</summary>
public enum KvsTimestampOrigin
{
    /// <summary>SERVER_TIMESTAMP: when KVS received the fragment.</summary>
    Server,
    /// <summary>PRODUCER_TIMESTAMP: the producer's own clock.</summary>
    Producer,
}

/// <summary>The wire names of <see cref="KvsTimestampOrigin"/> (ListFragments' FragmentSelectorType): the one table both ways.</summary>
public static class KvsTimestampOrigins
{
    /// <summary>Gets every wire name, for error messages.</summary>
    public static IReadOnlyList<string> WireNames { get; } = ["SERVER_TIMESTAMP", "PRODUCER_TIMESTAMP"];

    /// <summary>Gets the wire name of an origin.</summary>
    /// <param name="origin">The origin.</param>
    /// <returns><c>SERVER_TIMESTAMP</c> or <c>PRODUCER_TIMESTAMP</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined origin.</exception>
    public static string ToWireName(KvsTimestampOrigin origin) => origin switch
    {
        KvsTimestampOrigin.Server => WireNames[0],
        KvsTimestampOrigin.Producer => WireNames[1],
        _ => throw new ArgumentOutOfRangeException(nameof(origin), origin, "Not a KVS timestamp origin."),
    };

    /// <summary>Reads a wire name exactly as KVS spells it (upper case).</summary>
    /// <param name="name">The text, e.g. <c>PRODUCER_TIMESTAMP</c>.</param>
    /// <param name="origin">The origin read.</param>
    /// <returns>False when the text is not a wire name.</returns>
    public static bool TryParse(string? name, out KvsTimestampOrigin origin)
    {
        origin = name == WireNames[1] ? KvsTimestampOrigin.Producer : KvsTimestampOrigin.Server;
        return name == WireNames[0] || name == WireNames[1];
    }
}
