using KvsInference.Avatar.Features;

namespace KvsInference.Avatar.Model;

/// <summary>
/// Everything <see cref="VisemeModel"/> remembers between two windows of one audio stream: the tail of
/// the last analysis window, the recent feature frames, the smoothing state and the frame counters.
/// Feeding a stream window by window through one state gives exactly the frames of the whole audio at once.
/// </summary>
/// <remarks>Not thread-safe: one state serves one stream, one window at a time. All buffers are allocated here, once.</remarks>
public sealed class VisemeStreamState
{
    internal VisemeStreamState(VisemeModel model)
    {
        Model = model;
        var network = model.Network;
        Context = new float[network.InputSize];
        Hidden = new float[network.HiddenBufferSize];
        Reset();
    }

    internal VisemeModel Model { get; }

    // Samples of the analysis window being filled; positions [0, Fill) are valid. A window is complete at
    // WindowSamples; then it slides by one hop. Before the first sample the stream is taken as silence (zeros).
    internal readonly float[] Window = new float[FeatureConstants.WindowSamples];
    internal int Fill;

    // The normalised log-mel frames d-ContextFrames+1 .. d, oldest first: the classifier's input.
    internal readonly float[] Context;
    internal readonly float[] Hidden;
    internal readonly float[] Probabilities = new float[VisemeNetwork.ClassCount];
    internal readonly float[] Smoothed = new float[VisemeNetwork.ClassCount];
    internal readonly float[] LogMel = new float[FeatureConstants.MelBands];
    internal readonly LogMelSpectrogram.Scratch Scratch = new();
    internal float SmoothedJaw;
    internal readonly LevelNormaliser.State Levels = new();

    // Relative levels (dB under the speech level) of the newest windows, oldest first: index 0 is the window centred
    // 2.5 ms after the label time (FutureFrames + 1 windows before the newest); the jaw reads a later one.
    internal readonly float[] RelativeDb = new float[VisemeModelConstants.FutureFrames + 2];

    /// <summary>Gets the number of samples fed so far (at 16 kHz).</summary>
    /// <value>Starts at 0.</value>
    public long SampleCount { get; internal set; }

    /// <summary>Gets the number of analysis decisions (10 ms each) made so far.</summary>
    /// <value>Starts at 0.</value>
    public long DecisionCount { get; internal set; }

    /// <summary>Gets the index of the next output frame to be produced (frame k is at time k / frame rate).</summary>
    /// <value>Starts at 0.</value>
    public long NextFrameIndex { get; internal set; }

    /// <summary>Gets or sets when the state was last used (for idle eviction by owners such as the server).</summary>
    /// <value>Set by the owner; the model does not read it.</value>
    public long LastUsedTimestamp { get; set; }

    /// <summary>Forgets the stream: the next sample is the start of a new stream.</summary>
    public void Reset()
    {
        Array.Clear(Window);
        // The first analysis window ends one hop after the first sample, so it starts with 240 zeros.
        Fill = FeatureConstants.WindowSamples - FeatureConstants.HopSamples;
        var network = Model.Network;
        // Frames before the start are windows of zeros: log(floor), normalised like every frame.
        Span<float> silent = stackalloc float[FeatureConstants.MelBands];
        LevelNormaliser.SilentFrame(silent, network.NoiseFloorDb);
        network.Normalise(silent);
        LevelNormaliser.Reset(Levels, network.SpeechMean, network.SpeechVariance);
        Array.Fill(RelativeDb, -120f);
        for (int f = 0; f < network.ContextFrames; f++) silent.CopyTo(Context.AsSpan(f * FeatureConstants.MelBands));
        Array.Clear(Smoothed);
        Smoothed[(int)VisemeClass.Silence] = 1;
        SmoothedJaw = 0;
        SampleCount = 0;
        DecisionCount = 0;
        NextFrameIndex = 0;
    }
}
