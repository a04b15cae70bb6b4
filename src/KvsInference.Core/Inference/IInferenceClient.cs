namespace KvsInference.Inference;

/// <summary>
/// Lip-sync weights of one video frame: the five VRM 1.0 visemes, the jaw opening and silence, each 0..1, and the
/// consonant visemes of the 15-viseme set (<see cref="Pp"/> .. <see cref="Rr"/>, on the same scale as the vowels;
/// 0 from producers that do not know them).
/// </summary>
/// <param name="Aa">Weight of the viseme <c>aa</c>.</param>
/// <param name="Ih">Weight of the viseme <c>ih</c>.</param>
/// <param name="Ou">Weight of the viseme <c>ou</c>.</param>
/// <param name="Ee">Weight of the viseme <c>ee</c>.</param>
/// <param name="Oh">Weight of the viseme <c>oh</c>.</param>
/// <param name="JawOpen">Jaw opening, following loudness.</param>
/// <param name="Silence">Weight of silence (mouth at rest).</param>
public readonly record struct VisemeFrame(float Aa, float Ih, float Ou, float Ee, float Oh, float JawOpen, float Silence)
{
    /// <summary>Gets the weight of PP: lips closed (/p b m/).</summary>
    public float Pp { get; init; }

    /// <summary>Gets the weight of FF: lower lip to the upper teeth (/f v/).</summary>
    public float Ff { get; init; }

    /// <summary>Gets the weight of TH: tongue between the teeth (/θ ð/).</summary>
    public float Th { get; init; }

    /// <summary>Gets the weight of DD: tongue tip on the ridge (/t d/).</summary>
    public float Dd { get; init; }

    /// <summary>Gets the weight of kk: back of the tongue (/k g ŋ h/).</summary>
    public float Kk { get; init; }

    /// <summary>Gets the weight of CH: protruded lips, teeth together (/ʃ ʒ tʃ dʒ/).</summary>
    public float Ch { get; init; }

    /// <summary>Gets the weight of SS: teeth together, lips spread (/s z/).</summary>
    public float Ss { get; init; }

    /// <summary>Gets the weight of nn: tongue up, mouth slightly open (/n l/).</summary>
    public float Nn { get; init; }

    /// <summary>Gets the weight of RR: lips slightly rounded (/r/).</summary>
    public float Rr { get; init; }
}

/// <summary>One audio window to infer on: mono 16-bit PCM of one stream.</summary>
public sealed class InferenceInstance
{
    /// <summary>Gets the caller's identifier, echoed in the matching <see cref="InferencePrediction"/>.</summary>
    public required string Id { get; init; }

    /// <summary>
    /// Gets the key of the stream the window belongs to, or null. Windows of one stream are sent in order,
    /// so a model may keep per-stream state under this key.
    /// </summary>
    public string? StreamKey { get; init; }

    /// <summary>Gets the sample rate of <see cref="Pcm"/> in Hz.</summary>
    public required int SampleRate { get; init; }

    /// <summary>Gets the mono PCM samples.</summary>
    public required ReadOnlyMemory<short> Pcm { get; init; }

    /// <summary>
    /// Gets whether a person waits for this window (a low-delay stream, e.g. a meeting): a batch holding it is sent at
    /// once instead of waiting <see cref="InferenceBatcherOptions.MaxWait"/> for windows of other streams.
    /// </summary>
    /// <value>The default value is false.</value>
    public bool Urgent { get; init; }
}

/// <summary>The model's answer for one <see cref="InferenceInstance"/>.</summary>
public sealed class InferencePrediction
{
    /// <summary>Gets the identifier of the instance this answers.</summary>
    public required string Id { get; init; }

    /// <summary>Gets the frame rate of <see cref="Frames"/> in frames per second.</summary>
    public required double FrameRate { get; init; }

    /// <summary>Gets the viseme frames covering the instance's audio.</summary>
    public required IReadOnlyList<VisemeFrame> Frames { get; init; }

    /// <summary>
    /// Gets the index of the first of <see cref="Frames"/> counted from the start of the stream (frame k stands
    /// for time k / <see cref="FrameRate"/> after the stream's first sample), or 0 for a window without a stream.
    /// </summary>
    /// <value>The default value is 0. On the wire: the optional field <c>firstFrame</c>.</value>
    public long FirstFrame { get; init; }
}

/// <summary>
/// Runs the viseme model on a batch of audio windows, possibly from several streams:
/// a SageMaker endpoint, or the model in process.
/// </summary>
public interface IInferenceClient
{
    /// <summary>Gets the model's name and version, written into each inference record.</summary>
    string ModelName { get; }

    /// <summary>Infers visemes for every instance of the batch.</summary>
    /// <param name="instances">The windows; order within one stream is the stream's time order.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One prediction per instance, matched by <see cref="InferencePrediction.Id"/>.</returns>
    Task<IReadOnlyList<InferencePrediction>> InferAsync(IReadOnlyList<InferenceInstance> instances, CancellationToken cancellationToken);
}
