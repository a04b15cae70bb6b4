using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace KvsInference.Inference;

/// <summary>
/// The SageMaker wire format of the viseme model (docs/architecture.md, "Inference request"), written with
/// <see cref="Utf8JsonWriter"/> and read with <see cref="Utf8JsonReader"/>:
/// request <c>{"instances":[{"id":"..","stream":"..","sampleRate":16000,"pcm16":"&lt;base64 LE int16&gt;"}]}</c>,
/// response <c>{"predictions":[{"id":"..","frameRate":60,"firstFrame":0,"frames":[{"aa":..,"ih":..,"ou":..,"ee":..,"oh":..,"jawOpen":..,"silence":..,"pp":..,"ff":..,"th":..,"dd":..,"kk":..,"ch":..,"ss":..,"nn":..,"rr":..}]}]}</c>.
/// </summary>
/// <remarks>
/// <c>stream</c> (optional) keys per-stream model state; <c>firstFrame</c> (optional, default 0) is the stream
/// frame index of the first frame. Readers ignore unknown properties; the seven keys aa..silence are required,
/// the consonant keys pp..rr are optional (0 when absent, as from producers before schema kvs-inference/2). Frame weights are written with four
/// decimals. Every malformed input throws <see cref="InferenceFormatException"/> naming the field.
/// </remarks>
public static class InferenceJson
{
    /// <summary>The media type of both bodies.</summary>
    public const string ContentType = "application/json";

    /// <summary>The largest accepted sample rate value (a sanity bound; the model decides what it can use).</summary>
    public const int MaxSampleRate = 384_000;

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

    /// <summary>Writes a batch response.</summary>
    /// <param name="writer">The destination.</param>
    /// <param name="predictions">The predictions.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static void WriteResponse(Utf8JsonWriter writer, IReadOnlyList<InferencePrediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(predictions);
        writer.WriteStartObject();
        writer.WriteStartArray("predictions");
        foreach (var prediction in predictions) WritePrediction(writer, prediction);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Serializes a batch response to UTF-8 JSON.</summary>
    /// <param name="predictions">The predictions.</param>
    /// <returns>The body.</returns>
    public static byte[] SerializeResponse(IReadOnlyList<InferencePrediction> predictions)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) WriteResponse(writer, predictions);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes one prediction object (the whole response body of an <c>audio/wav</c> request).</summary>
    /// <param name="writer">The destination.</param>
    /// <param name="prediction">The prediction.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static void WritePrediction(Utf8JsonWriter writer, InferencePrediction prediction)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(prediction);
        writer.WriteStartObject();
        writer.WriteString("id", prediction.Id);
        writer.WriteNumber("frameRate", prediction.FrameRate);
        writer.WriteNumber("firstFrame", prediction.FirstFrame);
        writer.WriteStartArray("frames");
        foreach (var f in prediction.Frames)
        {
            writer.WriteStartObject();
            WriteWeight(writer, "aa", f.Aa);
            WriteWeight(writer, "ih", f.Ih);
            WriteWeight(writer, "ou", f.Ou);
            WriteWeight(writer, "ee", f.Ee);
            WriteWeight(writer, "oh", f.Oh);
            WriteWeight(writer, "jawOpen", f.JawOpen);
            WriteWeight(writer, "silence", f.Silence);
            WriteWeight(writer, "pp", f.Pp);
            WriteWeight(writer, "ff", f.Ff);
            WriteWeight(writer, "th", f.Th);
            WriteWeight(writer, "dd", f.Dd);
            WriteWeight(writer, "kk", f.Kk);
            WriteWeight(writer, "ch", f.Ch);
            WriteWeight(writer, "ss", f.Ss);
            WriteWeight(writer, "nn", f.Nn);
            WriteWeight(writer, "rr", f.Rr);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Reads a batch response.</summary>
    /// <param name="utf8Json">The body.</param>
    /// <returns>The predictions in order.</returns>
    /// <exception cref="InferenceFormatException">The body is not a valid response; <see cref="InferenceFormatException.Field"/> names the field.</exception>
    public static IReadOnlyList<InferencePrediction> ReadResponse(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json);
        var predictions = new List<InferencePrediction>();
        bool sawPredictions = false;
        try
        {
            ReadStartObject(ref reader, "$");
            while (NextProperty(ref reader, "$", out var name))
            {
                if (name != "predictions")
                {
                    reader.Skip();
                    continue;
                }
                sawPredictions = true;
                Read(ref reader, "predictions");
                if (reader.TokenType != JsonTokenType.StartArray) throw Error("predictions", $"expected an array, found {Describe(reader.TokenType)}");
                while (true)
                {
                    Read(ref reader, "predictions");
                    if (reader.TokenType == JsonTokenType.EndArray) break;
                    predictions.Add(ReadPredictionObject(ref reader, $"predictions[{predictions.Count}]"));
                }
            }
        }
        catch (JsonException e)
        {
            throw new InferenceFormatException("$", $"malformed JSON at byte {reader.TokenStartIndex}: {e.Message}", e);
        }
        if (!sawPredictions) throw Error("predictions", "required field is missing");
        return predictions;
    }

    /// <summary>Reads a single prediction object (the response to an <c>audio/wav</c> request).</summary>
    /// <param name="utf8Json">The body.</param>
    /// <returns>The prediction.</returns>
    /// <exception cref="InferenceFormatException">The body is not a valid prediction.</exception>
    public static InferencePrediction ReadPrediction(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json);
        try
        {
            Read(ref reader, "$");
            return ReadPredictionObject(ref reader, "$");
        }
        catch (JsonException e)
        {
            throw new InferenceFormatException("$", $"malformed JSON at byte {reader.TokenStartIndex}: {e.Message}", e);
        }
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

    private static InferencePrediction ReadPredictionObject(ref Utf8JsonReader reader, string path)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw Error(path, $"expected an object, found {Describe(reader.TokenType)}");
        string? id = null;
        double? frameRate = null;
        long firstFrame = 0;
        List<VisemeFrame>? frames = null;
        while (NextProperty(ref reader, path, out var name))
        {
            switch (name)
            {
                case "id":
                    id = ReadString(ref reader, path + ".id");
                    break;
                case "frameRate":
                    frameRate = ReadNumber(ref reader, path + ".frameRate");
                    if (!(frameRate > 0)) throw Error(path + ".frameRate", $"{frameRate} is not a positive frame rate");
                    break;
                case "firstFrame":
                    Read(ref reader, path + ".firstFrame");
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out firstFrame) || firstFrame < 0)
                    {
                        throw Error(path + ".firstFrame", "expected a non-negative integer");
                    }
                    break;
                case "frames":
                    Read(ref reader, path + ".frames");
                    if (reader.TokenType != JsonTokenType.StartArray) throw Error(path + ".frames", $"expected an array, found {Describe(reader.TokenType)}");
                    frames = [];
                    while (true)
                    {
                        Read(ref reader, path + ".frames");
                        if (reader.TokenType == JsonTokenType.EndArray) break;
                        frames.Add(ReadFrame(ref reader, $"{path}.frames[{frames.Count}]"));
                    }
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        return new InferencePrediction
        {
            Id = id ?? throw Error(path + ".id", "required field is missing"),
            FrameRate = frameRate ?? throw Error(path + ".frameRate", "required field is missing"),
            Frames = frames ?? throw Error(path + ".frames", "required field is missing"),
            FirstFrame = firstFrame,
        };
    }

    private static VisemeFrame ReadFrame(ref Utf8JsonReader reader, string path)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw Error(path, $"expected an object, found {Describe(reader.TokenType)}");
        Span<float> v = stackalloc float[16];
        int seen = 0;
        while (NextProperty(ref reader, path, out var name))
        {
            int index = name switch
            {
                "aa" => 0, "ih" => 1, "ou" => 2, "ee" => 3, "oh" => 4, "jawOpen" => 5, "silence" => 6,
                "pp" => 7, "ff" => 8, "th" => 9, "dd" => 10, "kk" => 11, "ch" => 12, "ss" => 13, "nn" => 14, "rr" => 15,
                _ => -1,
            };
            if (index < 0)
            {
                reader.Skip();
                continue;
            }
            double value = ReadNumber(ref reader, $"{path}.{name}");
            if (!(value >= 0 && value <= 1)) throw Error($"{path}.{name}", $"{value} is outside 0..1");
            v[index] = (float)value;
            seen |= 1 << index;
        }
        if ((seen & 0x7F) != 0x7F)
        {
            string[] names = ["aa", "ih", "ou", "ee", "oh", "jawOpen", "silence"];
            int missing = System.Numerics.BitOperations.TrailingZeroCount(~seen);
            throw Error($"{path}.{names[missing]}", "required field is missing");
        }
        return new VisemeFrame(v[0], v[1], v[2], v[3], v[4], v[5], v[6])
        {
            Pp = v[7], Ff = v[8], Th = v[9], Dd = v[10], Kk = v[11], Ch = v[12], Ss = v[13], Nn = v[14], Rr = v[15],
        };
    }

    private static void WriteWeight(Utf8JsonWriter writer, string name, float value) =>
        writer.WriteNumber(name, Math.Round(Math.Clamp((double)value, 0, 1), 4));

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

    private static void ReadStartObject(ref Utf8JsonReader reader, string path)
    {
        if (!reader.Read()) throw Error(path, "the body is empty");
        if (reader.TokenType != JsonTokenType.StartObject) throw Error(path, $"expected an object, found {Describe(reader.TokenType)}");
    }

    private static bool NextProperty(ref Utf8JsonReader reader, string path, out string name)
    {
        Read(ref reader, path);
        if (reader.TokenType == JsonTokenType.EndObject)
        {
            name = "";
            return false;
        }
        name = reader.GetString()!;
        return true;
    }

    private static void Read(ref Utf8JsonReader reader, string path)
    {
        if (!reader.Read()) throw Error(path, "the JSON ends too early");
    }

    private static string ReadString(ref Utf8JsonReader reader, string path)
    {
        Read(ref reader, path);
        if (reader.TokenType != JsonTokenType.String) throw Error(path, $"expected a string, found {Describe(reader.TokenType)}");
        return reader.GetString()!;
    }

    private static double ReadNumber(ref Utf8JsonReader reader, string path)
    {
        Read(ref reader, path);
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out double value)) throw Error(path, $"expected a number, found {Describe(reader.TokenType)}");
        return value;
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private static InferenceFormatException Error(string field, string message) => new(field, message);
}
