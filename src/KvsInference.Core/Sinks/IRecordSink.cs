using System.Text.Json.Serialization;
using KvsInference.Inference;

namespace KvsInference.Sinks;

/// <summary>
/// One inference record (docs/architecture.md, "Inference record", schema <c>kvs-inference/2</c>): the viseme frames of one
/// group of audio windows of one stream. Kinesis partition key = <see cref="StreamName"/>.
/// </summary>
/// <remarks>
/// Schema 2 adds the consonant visemes (pp, ff, th, dd, kk, ch, ss, nn, rr) to every frame; the keys of schema 1
/// (aa, ih, ou, ee, oh, jawOpen, silence) are unchanged, so a reader of schema 1 that ignores unknown keys keeps working,
/// and readers here accept both (a schema-1 frame has no consonant weight).
/// </remarks>
public sealed class InferenceRecord
{
    /// <summary>The schema identifier of this record shape.</summary>
    public const string CurrentSchema = "kvs-inference/2";

    /// <summary>The schema identifier of the records before the consonant visemes (same keys otherwise).</summary>
    public const string PreviousSchema = "kvs-inference/1";

    /// <summary>Gets whether <paramref name="schema"/> is one this version reads.</summary>
    /// <param name="schema">A record's schema identifier.</param>
    /// <returns>True for <see cref="CurrentSchema"/> and <see cref="PreviousSchema"/>.</returns>
    public static bool IsReadable(string? schema) => schema is CurrentSchema or PreviousSchema;

    /// <summary>Gets the schema identifier.</summary>
    [JsonPropertyName("schema")] public string Schema { get; init; } = CurrentSchema;

    /// <summary>Gets the KVS stream name.</summary>
    [JsonPropertyName("streamName")] public required string StreamName { get; init; }

    /// <summary>Gets the KVS fragment number the audio came from (the first one, if several).</summary>
    [JsonPropertyName("fragmentNumber")] public required string FragmentNumber { get; init; }

    /// <summary>Gets the fragment's producer timestamp in Unix milliseconds, when known.</summary>
    [JsonPropertyName("producerTimestamp")] public long? ProducerTimestamp { get; init; }

    /// <summary>Gets the fragment's server (ingest) timestamp in Unix milliseconds, when known.</summary>
    [JsonPropertyName("serverTimestamp")] public long? ServerTimestamp { get; init; }

    /// <summary>Gets the offset of the first frame from the start of the fragment, in milliseconds.</summary>
    [JsonPropertyName("startOffsetMs")] public required double StartOffsetMs { get; init; }

    /// <summary>Gets the frame rate of <see cref="Frames"/>.</summary>
    [JsonPropertyName("frameRate")] public required double FrameRate { get; init; }

    /// <summary>Gets the viseme frames.</summary>
    [JsonPropertyName("frames")] public required IReadOnlyList<VisemeFrame> Frames { get; init; }

    /// <summary>Gets the model name and version.</summary>
    [JsonPropertyName("model")] public required string Model { get; init; }

    /// <summary>Gets the time from the fragment's server timestamp to the record being produced, in milliseconds.</summary>
    [JsonPropertyName("ingestToProcessMs")] public double? IngestToProcessMs { get; init; }

    /// <summary>Gets the de-duplication key: stream, fragment number and the offset of the audio window in the fragment
    /// (which is <see cref="StartOffsetMs"/> unless a streaming model placed held-back frames before the window).</summary>
    [JsonPropertyName("recordId")] public required string RecordId { get; init; }

    /// <summary>Builds the de-duplication key of a record.</summary>
    /// <param name="streamName">The stream.</param>
    /// <param name="fragmentNumber">The fragment.</param>
    /// <param name="windowOffsetMs">The offset of the record's audio window from the fragment's first sample.</param>
    public static string MakeRecordId(string streamName, string fragmentNumber, double windowOffsetMs) =>
        FormattableString.Invariant($"{streamName}/{fragmentNumber}/{windowOffsetMs:0.###}");
}

/// <summary>Writes inference records durably: Kinesis PutRecords, a JSON-lines file, or the consumer's own.</summary>
public interface IRecordSink
{
    /// <summary>
    /// Writes the records, in order per stream, and completes only when every record is acknowledged,
    /// so that the caller may checkpoint after it. Partial failures are retried inside the sink.
    /// </summary>
    /// <param name="records">The records to write.</param>
    /// <param name="cancellationToken">Cancels the write; records may then be partly written.</param>
    /// <exception cref="RecordSinkException">Some records could not be written after the sink's retries.</exception>
    Task WriteAsync(IReadOnlyList<InferenceRecord> records, CancellationToken cancellationToken);
}

/// <summary>Thrown when a sink gives up on records.</summary>
public sealed class RecordSinkException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RecordSinkException(string message, Exception? inner = null) : base(message, inner) { }
}
