namespace KvsInference.Pipeline;

/// <summary>What failed in a stream's pipeline: the <c>error.kind</c> tag of the Errors metric (<see cref="PipelineMetrics.Errors"/>).</summary>
public enum PipelineErrorKind
{
    /// <summary>Reading media failed (the connection, or KVS reported an error in a fragment); tag <c>media</c>.</summary>
    Media,

    /// <summary>The media is not valid Matroska; tag <c>format</c>.</summary>
    Format,

    /// <summary>An audio track or frame could not be decoded; tag <c>decode</c>.</summary>
    Decode,

    /// <summary>The model failed; tag <c>inference</c>.</summary>
    Inference,

    /// <summary>The record sink gave up; tag <c>sink</c>.</summary>
    Sink,

    /// <summary>Storing a checkpoint failed; tag <c>checkpoint</c>.</summary>
    Checkpoint,
}

/// <summary>The names of <see cref="PipelineErrorKind"/> as metrics and dashboards show them.</summary>
public static class PipelineErrorKinds
{
    /// <summary>Gets the <c>error.kind</c> tag value of a kind.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>The tag value: media, format, decode, inference, sink or checkpoint.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a defined kind.</exception>
    public static string TagValue(this PipelineErrorKind kind) => kind switch
    {
        PipelineErrorKind.Media => "media",
        PipelineErrorKind.Format => "format",
        PipelineErrorKind.Decode => "decode",
        PipelineErrorKind.Inference => "inference",
        PipelineErrorKind.Sink => "sink",
        PipelineErrorKind.Checkpoint => "checkpoint",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a pipeline error kind"),
    };
}
