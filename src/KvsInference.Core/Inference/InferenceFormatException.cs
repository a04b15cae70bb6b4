namespace KvsInference.Inference;

/// <summary>
/// An inference request or response body is not in the JSON format of <see cref="InferenceJson"/>:
/// malformed JSON, a missing or mistyped field, bad base64, or a value out of range.
/// </summary>
public sealed class InferenceFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="field">The JSON path of the offending field, for example <c>instances[2].pcm16</c>, or <c>$</c> for the document.</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public InferenceFormatException(string field, string message, Exception? innerException = null)
        : base($"{field}: {message}", innerException)
    {
        Field = field;
        Problem = message;
    }

    /// <summary>Gets the JSON path of the offending field (<c>$</c> for the document itself).</summary>
    public string Field { get; }

    /// <summary>Gets what is wrong, without the field name.</summary>
    public string Problem { get; }
}
