using System.Globalization;
using KvsInference.Kvs;

namespace KvsInference.Worker.Configuration;

/// <summary>
/// One old configuration key and the key that replaced it; <see cref="Convert"/> turns an old value into the new
/// key's form (e.g. milliseconds into a TimeSpan), or null when the value means "not set".
/// </summary>
internal sealed record KeyAlias(string OldKey, string NewKey, Func<string, string?>? Convert = null);

/// <summary>
/// The one table of old configuration keys (the worker's keys before its settings were bound to Core's options, and
/// the Kinesis Video Streams Inference Template's names) and the keys that replace them; applied by
/// <see cref="KeyAliasSource"/> before binding. docs/operating.md lists the same table (checked by a test).
/// </summary>
internal static class ConfigurationAliases
{
    /// <summary>The aliases; when two old keys map to one new key the first one present wins (ours before KIT's).</summary>
    public static IReadOnlyList<KeyAlias> All { get; } =
    [
        new("KVSI:Streams:Names", "KVSI:Discovery:StreamNames"),
        new("KVSI:Streams:Prefix", "KVSI:Discovery:NamePrefix"),
        new("KVSI:Streams:TagFilters", "KVSI:Discovery:TagFilters"),
        new("KVSI:Streams:RefreshSeconds", "KVSI:Discovery:RefreshPeriod", Seconds),
        new("KVSI:Streams:InitialPosition", "KVSI:Processing:InitialPosition", StartSelector),
        new("KVSI:Streams:InitialTimestamp", "KVSI:Processing:InitialTimestamp"),
        new("KVSI:Leases:FailoverSeconds", "KVSI:Leases:FailoverTime", Seconds),
        new("KVSI:Leases:TableName", "KVSI:LeaseTable:TableName"),
        new("KVSI:Leases:CreateTable", "KVSI:LeaseTable:CreateTableIfMissing"),
        new("KVSI:Sink:KinesisStreamName", "KVSI:KinesisSink:StreamName"),
        new("KVSI:Inference:MaxBatchWindows", "KVSI:Batching:MaxBatchWindows"),
        new("KVSI:Inference:MaxWaitMs", "KVSI:Batching:MaxWait", Milliseconds),
        new("KVSI:Inference:MaxConcurrentBatches", "KVSI:Batching:MaxConcurrentBatches"),
        new("KVSI:Processing:WindowMs", "KVSI:Processing:WindowDuration", Milliseconds),
        new("KVSI:Processing:SkipToNowWhenBehindMs", "KVSI:Processing:SkipToNowWhenBehind", PositiveMilliseconds),
        // KIT's names (top level, as its CloudFormation template passes them).
        new("streamNames", "KVSI:Discovery:StreamNames"),
        new("tagFilters", "KVSI:Discovery:TagFilters"),
        new("sageMakerEndpoint", "KVSI:Inference:SageMakerEndpoint"),
        new("endPointAcceptContentType", "KVSI:Inference:Accept"),
        new("kdsStreamName", "KVSI:KinesisSink:StreamName"),
    ];

    private static string Milliseconds(string value) => Duration(value, "milliseconds", TimeSpan.FromMilliseconds);

    private static string Seconds(string value) => Duration(value, "seconds", TimeSpan.FromSeconds);

    /// <summary>The old skip-ahead setting: 0 (or less) meant "never", which the new key says by being unset.</summary>
    private static string? PositiveMilliseconds(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms <= 0 ? null : Milliseconds(value);

    private static string Duration(string value, string unit, Func<double, TimeSpan> make)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
        {
            throw new FormatException($"'{value}' is not a number of {unit}.");
        }
        try
        {
            return make(number).ToString("c", CultureInfo.InvariantCulture);
        }
        catch (OverflowException)
        {
            throw new FormatException($"'{value}' {unit} is out of range.");
        }
    }

    /// <summary>The old key took KVS's wire names (SERVER_TIMESTAMP); the new one takes the enum's (ServerTimestamp).</summary>
    private static string StartSelector(string value) =>
        KvsStartSelectorTypes.TryParse(value.Trim().ToUpperInvariant(), out var kind)
            ? kind.ToString()
            : throw new FormatException($"'{value}' is not NOW, EARLIEST, SERVER_TIMESTAMP or PRODUCER_TIMESTAMP.");
}
