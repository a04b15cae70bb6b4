using System.Reflection;
using KvsInference.Avatar.Features;
using KvsInference.Inference;

namespace KvsInference.Avatar.Model;

/// <summary>
/// The talking-face model: 16 kHz mono PCM in, <see cref="VisemeFrame"/>s out at a fixed frame rate.
/// Log-mel features every 10 ms (25 ms Hann windows), a trained classifier (linear softmax or MLP) over the last
/// <see cref="VisemeNetwork.ContextFrames"/> feature frames, exponential smoothing of the class weights, and a jaw driven by
/// the loudness relative to the stream's speech level.
/// </summary>
/// <remarks>
/// Timing: output frame k stands for time t = k / <see cref="FrameRate"/> from the first sample. It uses the newest
/// 10 ms decision whose label time is at or before t + 20 ms (<see cref="VisemeModelConstants.AnticipationFrames"/>: the
/// mouth shapes a sound a little before it is heard); decision d sees audio up to 75 ms after its label time, so a
/// frame depends on audio at most <see cref="VisemeModelConstants.LookaheadSamples"/> (95 ms) after its own time.
/// The model is immutable and thread-safe; all mutable data lives in <see cref="VisemeStreamState"/>.
/// </remarks>
public sealed class VisemeModel
{
    private readonly double _samplesPerFrame;
    private readonly float _smoothingAlpha;
    private readonly float _jawSmoothingAlpha;
    private readonly float _jawClosedDb;
    private readonly float _jawRangeDb;

    /// <summary>Creates a model from trained weights.</summary>
    /// <param name="network">The weights.</param>
    /// <param name="options">Run-time settings; null for the defaults.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public VisemeModel(VisemeNetwork network, VisemeModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        options ??= new VisemeModelOptions();
        options.Validate();
        Network = network;
        FrameRate = options.FrameRate;
        _samplesPerFrame = FeatureConstants.SampleRate / options.FrameRate;
        double hopSeconds = (double)FeatureConstants.HopSamples / FeatureConstants.SampleRate;
        _smoothingAlpha = SmoothingAlpha(options.SmoothingTime, hopSeconds);
        _jawSmoothingAlpha = SmoothingAlpha(options.JawSmoothingTime, hopSeconds);
        _jawClosedDb = (float)options.JawClosedDb;
        _jawRangeDb = (float)(options.JawOpenDb - options.JawClosedDb);
        Name = (network.HiddenUnits == 0 ? "kvsi-visemes-linear-v2-" : "kvsi-visemes-mlp-v2-") + network.Fingerprint();
    }

    /// <summary>Gets the weights.</summary>
    public VisemeNetwork Network { get; }

    /// <summary>Gets the output frame rate in frames per second.</summary>
    public double FrameRate { get; }

    /// <summary>Gets the model's name and version: the architecture and a fingerprint of the weights.</summary>
    public string Name { get; }

    /// <summary>
    /// Loads the weights from <c>/opt/ml/model/visemes.weights</c> (or <paramref name="modelDirectory"/>) when
    /// that file exists, else the weights embedded in this assembly.
    /// </summary>
    /// <param name="options">Run-time settings; null for the defaults.</param>
    /// <param name="modelDirectory">The directory to look in; null for the SageMaker model directory.</param>
    /// <returns>The model.</returns>
    /// <exception cref="InvalidDataException">The weights file is malformed.</exception>
    public static VisemeModel LoadDefault(VisemeModelOptions? options = null, string? modelDirectory = null)
    {
        var path = Path.Combine(modelDirectory ?? VisemeModelConstants.SageMakerModelDirectory, VisemeModelConstants.WeightsFileName);
        if (File.Exists(path)) return new VisemeModel(VisemeNetwork.Load(path), options);
        return new VisemeModel(LoadEmbeddedNetwork(), options);
    }

    /// <summary>Loads the weights embedded in this assembly (trained by <c>KvsInference.Worker train-model</c>).</summary>
    /// <returns>The network.</returns>
    /// <exception cref="InvalidDataException">The resource is missing or malformed.</exception>
    public static VisemeNetwork LoadEmbeddedNetwork()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(VisemeModelConstants.EmbeddedWeightsResource)
            ?? throw new InvalidDataException($"embedded resource {VisemeModelConstants.EmbeddedWeightsResource} is missing");
        return VisemeNetwork.Load(stream);
    }

    /// <summary>Creates the state of a new stream.</summary>
    /// <returns>A fresh state bound to this model.</returns>
    public VisemeStreamState CreateState() => new(this);

    /// <summary>Gets an upper bound of the frames <see cref="Process(ReadOnlySpan{short}, VisemeStreamState, Span{VisemeFrame})"/> or <see cref="Flush"/> writes for <paramref name="sampleCount"/> samples.</summary>
    /// <param name="sampleCount">The number of samples to be fed.</param>
    /// <returns>The buffer size that is always enough.</returns>
    public int GetMaxFrameCount(int sampleCount) =>
        (int)Math.Ceiling((Math.Max(0, sampleCount) + 2.0 * VisemeModelConstants.LookaheadSamples) / _samplesPerFrame) + 2;

    /// <summary>
    /// Feeds the next samples of a stream and writes the frames that became complete. No allocation.
    /// </summary>
    /// <param name="pcm">Mono 16-bit samples at 16 kHz, following the samples fed before into <paramref name="state"/>.</param>
    /// <param name="state">The stream's state, from <see cref="CreateState"/> of this model.</param>
    /// <param name="frames">Receives the frames; at least <see cref="GetMaxFrameCount"/>(pcm.Length) long.</param>
    /// <returns>The number of frames written (frames lag the audio by up to 95 ms; see <see cref="Flush"/>).</returns>
    /// <exception cref="ArgumentException">The state belongs to another model, or <paramref name="frames"/> is too short.</exception>
    public int Process(ReadOnlySpan<short> pcm, VisemeStreamState state, Span<VisemeFrame> frames)
    {
        CheckState(state);
        if (frames.Length < GetMaxFrameCount(pcm.Length))
        {
            throw new ArgumentException($"the frame buffer holds {frames.Length} frames; {GetMaxFrameCount(pcm.Length)} are needed for {pcm.Length} samples", nameof(frames));
        }
        state.SampleCount += pcm.Length;
        return Feed(pcm, state, frames, written: 0, frameLimit: long.MaxValue);
    }

    /// <summary>
    /// Ends a stream: writes the frames still held back by the look-ahead, so that the stream has
    /// ceil(duration x frame rate) frames in total. The state should then be <see cref="VisemeStreamState.Reset"/> or dropped.
    /// </summary>
    /// <param name="state">The stream's state.</param>
    /// <param name="frames">Receives the frames; <see cref="GetMaxFrameCount"/>(0) is enough.</param>
    /// <returns>The number of frames written.</returns>
    /// <exception cref="ArgumentException">The state belongs to another model, or <paramref name="frames"/> is too short.</exception>
    public int Flush(VisemeStreamState state, Span<VisemeFrame> frames)
    {
        CheckState(state);
        if (frames.Length < GetMaxFrameCount(0)) throw new ArgumentException($"the frame buffer holds {frames.Length} frames; {GetMaxFrameCount(0)} are needed", nameof(frames));
        long totalFrames = (long)Math.Ceiling(state.SampleCount / _samplesPerFrame);
        Span<short> zeros = stackalloc short[FeatureConstants.HopSamples];
        int written = 0;
        // Silence after the end completes the look-ahead of the last frames; it adds no frames beyond the audio.
        while (state.NextFrameIndex < totalFrames)
        {
            written = Feed(zeros, state, frames, written, totalFrames);
        }
        return written;
    }

    /// <summary>Runs the model on a whole clip (a fresh stream, flushed at the end).</summary>
    /// <param name="pcm">Mono 16-bit samples at 16 kHz.</param>
    /// <returns>ceil(duration x frame rate) frames.</returns>
    public VisemeFrame[] ProcessClip(ReadOnlySpan<short> pcm)
    {
        var state = CreateState();
        var frames = new VisemeFrame[GetMaxFrameCount(pcm.Length) + GetMaxFrameCount(0)];
        int n = Process(pcm, state, frames);
        n += Flush(state, frames.AsSpan(n));
        return frames[..n];
    }

    /// <summary>Gets the decision index whose label time is the newest at or before output frame <paramref name="frameIndex"/>'s time plus the anticipation.</summary>
    internal long DecisionOfFrame(long frameIndex) =>
        (long)Math.Floor((frameIndex * _samplesPerFrame + VisemeModelConstants.LookaheadSamples) / FeatureConstants.HopSamples) - 1;

    /// <summary>Gets the time, in samples from the stream start, that decision <paramref name="decision"/> labels.</summary>
    internal static long LabelSampleOfDecision(long decision) =>
        (decision + 1) * FeatureConstants.HopSamples - VisemeModelConstants.ClassifierLookaheadSamples;

    private int Feed(ReadOnlySpan<short> pcm, VisemeStreamState state, Span<VisemeFrame> frames, int written, long frameLimit)
    {
        var window = state.Window;
        while (!pcm.IsEmpty)
        {
            int take = Math.Min(window.Length - state.Fill, pcm.Length);
            var dest = window.AsSpan(state.Fill, take);
            for (int i = 0; i < take; i++) dest[i] = pcm[i] * (1f / 32768f);
            state.Fill += take;
            pcm = pcm[take..];
            if (state.Fill == window.Length)
            {
                Decide(state);
                written = Emit(state, frames, written, frameLimit);
                // Slide by one hop: keep the newest 240 samples.
                Array.Copy(window, FeatureConstants.HopSamples, window, 0, window.Length - FeatureConstants.HopSamples);
                state.Fill = window.Length - FeatureConstants.HopSamples;
            }
        }
        return written;
    }

    // The index in VisemeStreamState.RelativeDb (oldest first, the newest window last) of the window the jaw follows:
    // centred 52.5 ms after the output frame's time (the label time is AnticipationFrames hops after the frame's).
    private const int JawWindow = 5 - VisemeModelConstants.AnticipationFrames;

    // dB under the stream's speech level (LevelNormaliser) below which a window holds no speech sound.
    private const float SilenceGateDb = -40;

    private void Decide(VisemeStreamState state)
    {
        var network = Network;
        int bands = FeatureConstants.MelBands;
        float level = LogMelSpectrogram.Shared.Compute(state.Window, state.Scratch, state.LogMel);
        float relativeDb = LevelNormaliser.Apply(state.Levels, state.LogMel, level, network.SpeechMean, network.SpeechVariance, network.NoiseFloorDb);
        network.Normalise(state.LogMel);
        var context = state.Context;
        Array.Copy(context, bands, context, 0, context.Length - bands);
        state.LogMel.CopyTo(context, context.Length - bands);
        network.Forward(context, state.Hidden, state.Probabilities);

        // The jaw follows the loudness relative to the stream's speech level (not the microphone's gain) of the
        // window centred 52.5 ms after the output frame's time: lips and jaw move before the sound they shape, and lip-sync
        // tolerates a mouth that leads (ITU-R BT.1359: audio up to 125 ms behind, 45 ms ahead). Closed lips (PP) and
        // silence close it.
        var history = state.RelativeDb;
        Array.Copy(history, 1, history, 0, history.Length - 1);
        history[^1] = relativeDb;
        var p = state.Probabilities;
        // Windows far under the stream's speech level around the label time are silence whatever their spectrum, so the
        // mouth rests exactly: what is there (room noise, or the rounding noise of a quiet microphone) depends on the gain.
        if (history[0] < SilenceGateDb && history[1] < SilenceGateDb && history[2] < SilenceGateDb)
        {
            Array.Clear(p);
            p[(int)VisemeClass.Silence] = 1;
        }
        float open = Math.Max(0, 1 - p[(int)VisemeClass.Silence] - VisemeModelConstants.PpJawClosing * p[(int)VisemeClass.Pp]);
        float jaw = Math.Clamp((history[JawWindow] - _jawClosedDb) / _jawRangeDb, 0, 1) * open;

        float alpha = _smoothingAlpha;
        var smoothed = state.Smoothed;
        for (int c = 0; c < smoothed.Length; c++) smoothed[c] += alpha * (p[c] - smoothed[c]);
        state.SmoothedJaw += _jawSmoothingAlpha * (jaw - state.SmoothedJaw);
        state.DecisionCount++;
    }

    // The weight of each new decision in an exponential average with time constant `time` (1: no smoothing).
    private static float SmoothingAlpha(TimeSpan time, double hopSeconds) =>
        time <= TimeSpan.Zero ? 1f : (float)(1 - Math.Exp(-hopSeconds / time.TotalSeconds));

    private int Emit(VisemeStreamState state, Span<VisemeFrame> frames, int written, long frameLimit)
    {
        long decision = state.DecisionCount - 1;
        var s = state.Smoothed;
        while (state.NextFrameIndex < frameLimit && DecisionOfFrame(state.NextFrameIndex) <= decision)
        {
            frames[written++] = ToFrame(s, state.SmoothedJaw);
            state.NextFrameIndex++;
        }
        return written;
    }

    /// <summary>Writes class weights (in <see cref="VisemeClass"/> order) and the jaw as a record frame.</summary>
    internal static VisemeFrame ToFrame(ReadOnlySpan<float> s, float jaw) =>
        new(s[(int)VisemeClass.Aa], s[(int)VisemeClass.Ih], s[(int)VisemeClass.Ou], s[(int)VisemeClass.Ee], s[(int)VisemeClass.Oh], jaw, s[(int)VisemeClass.Silence])
        {
            Pp = s[(int)VisemeClass.Pp], Ff = s[(int)VisemeClass.Ff], Th = s[(int)VisemeClass.Th], Dd = s[(int)VisemeClass.Dd], Kk = s[(int)VisemeClass.Kk],
            Ch = s[(int)VisemeClass.Ch], Ss = s[(int)VisemeClass.Ss], Nn = s[(int)VisemeClass.Nn], Rr = s[(int)VisemeClass.Rr],
        };

    /// <summary>Reads a frame's 15 class weights back in <see cref="VisemeClass"/> order.</summary>
    internal static void ClassWeights(in VisemeFrame f, Span<float> s)
    {
        s[(int)VisemeClass.Aa] = f.Aa; s[(int)VisemeClass.Ih] = f.Ih; s[(int)VisemeClass.Ou] = f.Ou; s[(int)VisemeClass.Ee] = f.Ee; s[(int)VisemeClass.Oh] = f.Oh;
        s[(int)VisemeClass.Silence] = f.Silence; s[(int)VisemeClass.Pp] = f.Pp; s[(int)VisemeClass.Ff] = f.Ff; s[(int)VisemeClass.Th] = f.Th;
        s[(int)VisemeClass.Dd] = f.Dd; s[(int)VisemeClass.Kk] = f.Kk; s[(int)VisemeClass.Ch] = f.Ch; s[(int)VisemeClass.Ss] = f.Ss;
        s[(int)VisemeClass.Nn] = f.Nn; s[(int)VisemeClass.Rr] = f.Rr;
    }

    private void CheckState(VisemeStreamState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!ReferenceEquals(state.Model, this)) throw new ArgumentException("the state was created by another VisemeModel instance", nameof(state));
    }
}
