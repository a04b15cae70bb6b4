using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KvsInference.Aws;

/// <summary>
/// AWS JSON timestamps: numbers of seconds since the Unix epoch with a fraction (what the JSON protocols send);
/// ISO-8601 strings are accepted on read too.
/// </summary>
public sealed class AwsEpochSecondsConverter : JsonConverter<DateTimeOffset?>
{
    /// <inheritdoc/>
    public override bool HandleNull => true;

    /// <inheritdoc/>
    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number:
                var seconds = reader.GetDecimal();
                return DateTimeOffset.FromUnixTimeMilliseconds((long)decimal.Round(seconds * 1000m));
            case JsonTokenType.String:
                var text = reader.GetString()!;
                if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s))
                {
                    return DateTimeOffset.FromUnixTimeMilliseconds((long)decimal.Round(s * 1000m));
                }
                if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)) return parsed;
                throw new JsonException($"'{text}' is not a timestamp.");
            default:
                throw new JsonException($"A timestamp must be a number or a string, not {reader.TokenType}.");
        }
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }
        writer.WriteNumberValue(value.Value.ToUnixTimeMilliseconds() / 1000m);
    }

    /// <summary>Formats a timestamp as AWS epoch seconds with milliseconds, for headers such as <c>x-amzn-producer-start-timestamp</c>.</summary>
    /// <param name="value">The time.</param>
    /// <returns>E.g. <c>1440938160.123</c>.</returns>
    public static string Format(DateTimeOffset value) =>
        (value.ToUnixTimeMilliseconds() / 1000m).ToString("0.###", CultureInfo.InvariantCulture);
}
