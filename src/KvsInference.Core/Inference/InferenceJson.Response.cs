using System.Buffers;
using System.Text.Json;

namespace KvsInference.Inference;

// The response: {"predictions":[...]}, each prediction the viseme frames of one window.
public static partial class InferenceJson
{
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
}
