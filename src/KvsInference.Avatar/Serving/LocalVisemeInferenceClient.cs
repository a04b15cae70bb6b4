using System.Numerics;
using KvsInference.Audio;
using KvsInference.Avatar.Features;
using KvsInference.Avatar.Model;
using KvsInference.Inference;

namespace KvsInference.Avatar.Serving;

/// <summary>
/// Runs the viseme model in process behind <see cref="IInferenceClient"/>, keeping a
/// <see cref="VisemeStreamState"/> per <see cref="InferenceInstance.StreamKey"/> so that consecutive windows
/// of a stream give exactly the frames of the whole audio. Thread-safe: batches may run concurrently;
/// windows of one stream are processed one at a time, in the order the batches reach the stream.
/// </summary>
/// <remarks>
/// A window with a stream key returns the frames that became complete (they lag the audio by the model's
/// 95 ms look-ahead; <see cref="InferencePrediction.FirstFrame"/> says where they start). A window without
/// a stream key is a whole clip: ceil(duration x frame rate) frames from frame 0. At most <see cref="MaxStreams"/>
/// states are held (a new stream at the cap drops the least recently used one). A stream idle for
/// <see cref="IdleTimeout"/> is forgotten; its next window starts a new stream (frames are right again
/// after the model's context (ContextFrames x 10 ms; 110 ms shipped) has filled). Windows at other rates than 16 kHz are resampled window by
/// window (8..48 kHz), so exact window/whole equivalence holds for 16 kHz input.
/// </remarks>
public sealed class LocalVisemeInferenceClient : IInferenceClient
{
    /// <summary>The default idle time after which a stream's state is dropped: 60 s.</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The default cap on stream states held at once: 10,000 (~85 MB of state).</summary>
    public const int DefaultMaxStreams = 10_000;

    /// <summary>The lowest accepted sample rate in Hz.</summary>
    public const int MinSampleRate = 8000;

    /// <summary>The highest accepted sample rate in Hz.</summary>
    public const int MaxSampleRate = 48000;

    /// <summary>The most filter phases (16 kHz / gcd(rate, 16 kHz)) an accepted rate may need: every window builds its
    /// filter table, so an odd rate such as 12345 Hz (3200 phases) is refused rather than made costly.</summary>
    public const int MaxResamplingPhases = 1000;

    private readonly VisemeModel _model;
    private readonly TimeProvider _time;
    private readonly StreamStateCache _streams;
    private long _lastSweep;

    /// <summary>Creates the client.</summary>
    /// <param name="model">The model; <see cref="VisemeModel.LoadDefault"/> for the shipped one.</param>
    /// <param name="timeProvider">The clock for idle eviction; null for the system clock.</param>
    /// <param name="idleTimeout">How long an unused stream state is kept; null for <see cref="DefaultIdleTimeout"/>.</param>
    /// <param name="maxStreams">How many stream states are held at most (a new stream at the cap drops the least recently
    /// used one); null for <see cref="DefaultMaxStreams"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="idleTimeout"/> is not positive, or <paramref name="maxStreams"/> is below 1.</exception>
    public LocalVisemeInferenceClient(VisemeModel model, TimeProvider? timeProvider = null, TimeSpan? idleTimeout = null, int? maxStreams = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _time = timeProvider ?? TimeProvider.System;
        IdleTimeout = idleTimeout ?? DefaultIdleTimeout;
        if (IdleTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(idleTimeout), idleTimeout, "the idle timeout must be positive");
        _lastSweep = _time.GetTimestamp();
        if (maxStreams is < 1) throw new ArgumentOutOfRangeException(nameof(maxStreams), maxStreams, "the stream state cap must be at least 1");
        _streams = new StreamStateCache(maxStreams ?? DefaultMaxStreams, model.CreateState);
    }

    /// <inheritdoc />
    public string ModelName => _model.Name;

    /// <summary>Gets the model.</summary>
    public VisemeModel Model => _model;

    /// <summary>Gets how long an unused stream state is kept.</summary>
    /// <value>The default value is 60 s.</value>
    public TimeSpan IdleTimeout { get; }

    /// <summary>Gets the number of streams whose state is held.</summary>
    public int ActiveStreams => _streams.Count;

    /// <summary>Gets the most stream states held at once.</summary>
    /// <value>The default value is 10,000.</value>
    public int MaxStreams => _streams.Capacity;

    /// <summary>Gets how many stream states were dropped because <see cref="MaxStreams"/> was reached.</summary>
    public long EvictedStreams => _streams.Evicted;

    /// <summary>Tells whether a stream's state is held.</summary>
    /// <param name="streamKey">The stream key.</param>
    /// <returns>True when held.</returns>
    public bool HasStream(string streamKey) => _streams.Contains(streamKey);

    /// <summary>Tells whether a sample rate is accepted (16 kHz, or 8..48 kHz with a reduced ratio of at most 1000 phases to 16 kHz).</summary>
    /// <param name="sampleRate">The rate in Hz.</param>
    /// <returns>True when windows at that rate can be processed.</returns>
    public static bool IsSupportedSampleRate(int sampleRate) =>
        sampleRate == FeatureConstants.SampleRate
        || (sampleRate is >= MinSampleRate and <= MaxSampleRate
            && FeatureConstants.SampleRate / (int)BigInteger.GreatestCommonDivisor(sampleRate, FeatureConstants.SampleRate) <= MaxResamplingPhases);

    /// <inheritdoc />
    /// <exception cref="ArgumentException">An instance has an unsupported sample rate; nothing of the batch was processed.</exception>
    public Task<IReadOnlyList<InferencePrediction>> InferAsync(IReadOnlyList<InferenceInstance> instances, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instances);
        for (int i = 0; i < instances.Count; i++)
        {
            if (!IsSupportedSampleRate(instances[i].SampleRate))
            {
                throw new ArgumentException($"instance {i} ('{instances[i].Id}'): sample rate {instances[i].SampleRate} Hz is not supported (16000 Hz, or 8000..48000 Hz resampled)", nameof(instances));
            }
        }
        // The model runs on the thread pool rather than in the caller: the worker's InferenceBatcher calls this from its
        // dispatch loop, which must go on filling the next batch (and may start a second one) while this one computes.
        return Task.Run(() => InferAll(instances, cancellationToken), cancellationToken);
    }

    private IReadOnlyList<InferencePrediction> InferAll(IReadOnlyList<InferenceInstance> instances, CancellationToken cancellationToken)
    {
        var predictions = new InferencePrediction[instances.Count];
        for (int i = 0; i < instances.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            predictions[i] = Infer(instances[i]);
        }
        SweepIdle();
        return predictions;
    }

    /// <summary>Forgets a stream's state (for example when its lease is released).</summary>
    /// <param name="streamKey">The stream key.</param>
    /// <returns>True when a state was held.</returns>
    public bool RemoveStream(string streamKey) => _streams.Remove(streamKey);

    private InferencePrediction Infer(InferenceInstance instance)
    {
        var pcm = instance.SampleRate == FeatureConstants.SampleRate
            ? instance.Pcm
            : Resampler.ResampleAll(instance.Pcm.Span, instance.SampleRate, FeatureConstants.SampleRate);
        if (instance.StreamKey is null)
        {
            return new InferencePrediction { Id = instance.Id, FrameRate = _model.FrameRate, Frames = _model.ProcessClip(pcm.Span), FirstFrame = 0 };
        }
        var state = _streams.GetOrAdd(instance.StreamKey, _time.GetTimestamp());
        lock (state)
        {
            state.LastUsedTimestamp = _time.GetTimestamp();
            long first = state.NextFrameIndex;
            var frames = new VisemeFrame[_model.GetMaxFrameCount(pcm.Length)];
            int n = _model.Process(pcm.Span, state, frames);
            return new InferencePrediction { Id = instance.Id, FrameRate = _model.FrameRate, Frames = n == frames.Length ? frames : frames[..n], FirstFrame = first };
        }
    }

    private void SweepIdle()
    {
        long now = _time.GetTimestamp();
        long last = Interlocked.Read(ref _lastSweep);
        // Sweep at most once a second; a full scan of the dictionary is cheap at that rate.
        if (_time.GetElapsedTime(last, now) < TimeSpan.FromSeconds(1) || Interlocked.CompareExchange(ref _lastSweep, now, last) != last) return;
        _streams.SweepIdle(_time, now, IdleTimeout);
    }
}
