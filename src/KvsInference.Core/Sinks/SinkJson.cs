using System.Text.Json;
using System.Text.Json.Serialization;

namespace KvsInference.Sinks;

/// <summary>The JSON shape of <see cref="InferenceRecord"/> on the wire (frames as <c>aa, ih, ou, ee, oh, jawOpen, silence</c>).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(InferenceRecord))]
internal sealed partial class SinkJsonContext : JsonSerializerContext;

/// <summary>Reads and writes inference records in the wire shape the sinks write (Kinesis data, JSON lines).</summary>
public static class InferenceRecordJson
{
    /// <summary>Serializes a record as the sinks do.</summary>
    /// <param name="record">The record.</param>
    /// <returns>UTF-8 JSON.</returns>
    public static byte[] Serialize(InferenceRecord record) => JsonSerializer.SerializeToUtf8Bytes(record, SinkJsonContext.Default.InferenceRecord);

    /// <summary>Reads a record written by a sink (e.g. the data of a Kinesis record).</summary>
    /// <param name="utf8Json">The JSON.</param>
    /// <returns>The record.</returns>
    /// <exception cref="JsonException">The data is not an inference record (not JSON, or a required member is missing).</exception>
    public static InferenceRecord Parse(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize(utf8Json, SinkJsonContext.Default.InferenceRecord) ?? throw new JsonException("The record is JSON null.");
}
