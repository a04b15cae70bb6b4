using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace KvsInference.Inference;

// The request: {"instances":[...]}, each instance a window of PCM as base64 little-endian int16.
public static partial class InferenceJson
{
    /// <summary>Writes a batch request.</summary>
    /// <param name="writer">The destination.</param>
    /// <param name="instances">The windows.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static void WriteRequest(Utf8JsonWriter writer, IReadOnlyList<InferenceInstance> instances)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(instances);
        writer.WriteStartObject();
        writer.WriteStartArray("instances");
        foreach (var instance in instances)
        {
            writer.WriteStartObject();
            writer.WriteString("id", instance.Id);
            if (instance.StreamKey is not null) writer.WriteString("stream", instance.StreamKey);
            writer.WriteNumber("sampleRate", instance.SampleRate);
            writer.WriteBase64String("pcm16", LittleEndianBytes(instance.Pcm.Span, out var rented));
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Serializes a batch request to UTF-8 JSON.</summary>
    /// <param name="instances">The windows.</param>
    /// <returns>The body.</returns>
    public static byte[] SerializeRequest(IReadOnlyList<InferenceInstance> instances)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) WriteRequest(writer, instances);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a batch request.</summary>
    /// <param name="utf8Json">The body.</param>
    /// <returns>The instances in order.</returns>
    /// <exception cref="InferenceFormatException">The body is not a valid request; <see cref="InferenceFormatException.Field"/> names the field.</exception>
    public static IReadOnlyList<InferenceInstance> ReadRequest(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json);
        var instances = new List<InferenceInstance>();
        bool sawInstances = false;
        try
        {
            ReadStartObject(ref reader, "$");
            while (NextProperty(ref reader, "$", out var name))
            {
                if (name != "instances")
                {
                    reader.Skip();
                    continue;
                }
                sawInstances = true;
                Read(ref reader, "instances");
                if (reader.TokenType != JsonTokenType.StartArray) throw Error("instances", $"expected an array, found {Describe(reader.TokenType)}");
                while (true)
                {
                    Read(ref reader, "instances");
                    if (reader.TokenType == JsonTokenType.EndArray) break;
                    instances.Add(ReadInstance(ref reader, $"instances[{instances.Count}]"));
                }
            }
        }
        catch (JsonException e)
        {
            throw new InferenceFormatException("$", $"malformed JSON at byte {reader.TokenStartIndex}: {e.Message}", e);
        }
        if (!sawInstances) throw Error("instances", "required field is missing");
        return instances;
    }

    private static InferenceInstance ReadInstance(ref Utf8JsonReader reader, string path)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw Error(path, $"expected an object, found {Describe(reader.TokenType)}");
        string? id = null, stream = null;
        int? sampleRate = null;
        short[]? pcm = null;
        while (NextProperty(ref reader, path, out var name))
        {
            switch (name)
            {
                case "id":
                    id = ReadString(ref reader, path + ".id");
                    break;
                case "stream":
                    Read(ref reader, path + ".stream");
                    stream = reader.TokenType switch
                    {
                        JsonTokenType.Null => null,
                        JsonTokenType.String => reader.GetString(),
                        _ => throw Error(path + ".stream", $"expected a string or null, found {Describe(reader.TokenType)}"),
                    };
                    break;
                case "sampleRate":
                    Read(ref reader, path + ".sampleRate");
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int rate)) throw Error(path + ".sampleRate", $"expected an integer, found {Describe(reader.TokenType)}");
                    if (rate <= 0 || rate > MaxSampleRate) throw Error(path + ".sampleRate", $"{rate} is out of range 1..{MaxSampleRate}");
                    sampleRate = rate;
                    break;
                case "pcm16":
                    Read(ref reader, path + ".pcm16");
                    pcm = ReadPcm16(ref reader, path + ".pcm16");
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        return new InferenceInstance
        {
            Id = id ?? throw Error(path + ".id", "required field is missing"),
            StreamKey = stream,
            SampleRate = sampleRate ?? throw Error(path + ".sampleRate", "required field is missing"),
            Pcm = pcm ?? throw Error(path + ".pcm16", "required field is missing"),
        };
    }

    private static short[] ReadPcm16(ref Utf8JsonReader reader, string path)
    {
        if (reader.TokenType != JsonTokenType.String) throw Error(path, $"expected a base64 string, found {Describe(reader.TokenType)}");
        byte[] bytes;
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            // Fast path: decode straight from the body.
            var encoded = reader.ValueSpan;
            bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(encoded.Length)];
            var status = Base64.DecodeFromUtf8(encoded, bytes, out int consumed, out int written);
            if (status != OperationStatus.Done) throw Error(path, $"invalid base64 near character {consumed}");
            bytes = written == bytes.Length ? bytes : bytes[..written];
        }
        else if (!reader.TryGetBytesFromBase64(out bytes!))
        {
            throw Error(path, "invalid base64");
        }
        if (bytes.Length % 2 != 0) throw Error(path, $"holds {bytes.Length} bytes; 16-bit samples need an even count");
        var samples = new short[bytes.Length / 2];
        for (int i = 0; i < samples.Length; i++) samples[i] = BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(2 * i));
        return samples;
    }

    private static ReadOnlySpan<byte> LittleEndianBytes(ReadOnlySpan<short> samples, out byte[]? rented)
    {
        if (BitConverter.IsLittleEndian)
        {
            rented = null;
            return MemoryMarshal.AsBytes(samples);
        }
        rented = ArrayPool<byte>.Shared.Rent(samples.Length * 2);
        for (int i = 0; i < samples.Length; i++) BinaryPrimitives.WriteInt16LittleEndian(rented.AsSpan(2 * i), samples[i]);
        return rented.AsSpan(0, samples.Length * 2);
    }
}
