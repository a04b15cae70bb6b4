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
/// <para>The request lives in <c>InferenceJson.Request.cs</c>, the response in <c>InferenceJson.Response.cs</c>; this
/// file holds the reader steps both share.</para>
/// </remarks>
public static partial class InferenceJson
{
    /// <summary>The media type of both bodies.</summary>
    public const string ContentType = "application/json";

    /// <summary>The largest accepted sample rate value (a sanity bound; the model decides what it can use).</summary>
    public const int MaxSampleRate = 384_000;

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
