using System.Text.Json.Serialization;

namespace KvsInference.Sinks;

/// <summary>The JSON shape of <see cref="InferenceRecord"/> on the wire (frames as <c>aa, ih, ou, ee, oh, jawOpen, silence</c>).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(InferenceRecord))]
internal sealed partial class SinkJsonContext : JsonSerializerContext;
