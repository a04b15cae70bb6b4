using System.ComponentModel.DataAnnotations;
using System.Runtime.CompilerServices;
using KvsInference.Avatar.Rendering;
using KvsInference.Sinks;
using KvsInference.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvsInference.Meeting.Streaming;

/// <summary>Settings of <see cref="LiveAvatarSource"/>.</summary>
public sealed class LiveAvatarOptions
{
    /// <summary>
    /// Gets or sets how far behind the live speech the avatar plays. Records arrive after the speech they describe (the
    /// window, the model, the sink: about 0.3-0.7 s end to end locally); anything later than this delay is drawn as rest.
    /// </summary>
    /// <value>The default value is 1.5 s.</value>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:00:30")]
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(1500);

    /// <summary>
    /// Gets or sets how much later than the mouth the voice plays. The model opens the mouth a little late (its analysis
    /// window and smoothing): the live push measured the audio 25 ms ahead of the mouth without this, `animate` 13 ms.
    /// </summary>
    /// <value>The default value is 20 ms.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan AudioLag { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Gets or sets the 3D avatar to draw (rendered by headless Chromium, <see cref="BrowserAvatarRenderer"/>); null draws
    /// the 2D face.
    /// </summary>
    /// <value>The default value is null: the 2D face.</value>
    public BrowserAvatarRendererOptions? Avatar3d { get; set; }

    /// <summary>Gets or sets how long to stream; null to stream until cancelled or both feeds end.</summary>
    /// <value>The default value is null.</value>
    public TimeSpan? Duration { get; set; }

    /// <summary>Validates the options and throws one exception listing every problem.</summary>
    /// <exception cref="ValidationException">A value is out of range.</exception>
    public void Validate()
    {
        var rules = new List<ValidationResult>();
        if (Duration is { } d && d <= TimeSpan.Zero) rules.Add(OptionsValidator.Error(nameof(Duration), $"Duration must be positive, not {d}."));
        // The 3D renderer's options are part of these: their errors are named under Avatar3d.
        var errors = OptionsValidator.FindErrors(this, rules).ToList();
        if (Avatar3d is { } avatar3d) errors.AddRange(OptionsValidator.FindErrors(avatar3d, avatar3d.Rules(), nameof(Avatar3d)));
        OptionsValidator.ThrowIfAny(nameof(LiveAvatarOptions), errors);
    }
}

/// <summary>
/// The avatar of a live stream as publisher frames, paced in real time: the records (from the worker's broadcaster, a
/// followed records file or Kinesis) and the speech (<see cref="KvsAudioFeed"/>) are placed on the producer clock, and
/// every frame shows the face and plays the audio of one moment, a fixed <see cref="LiveAvatarOptions.Delay"/> behind
/// the live speech, so mouth and voice stay aligned however late each arrives within that delay.
/// </summary>
/// <remarks>
/// The producer clock is tied to this machine's clock by the first item received: its lag (now minus the producer time
/// of its end) is taken as the transport delay, so a producer whose clock is off does not shift the avatar. When there
/// is a speech feed, its first piece ties the clock even if a record came first, moving the playhead to it: the records
/// are computed from that speech, so they can only be later, and the first ones may be a backlog (records written while
/// the 3D renderer started, a worker catching up) that would otherwise hold the avatar seconds behind the live voice,
/// whose pieces would then wait ahead of the playhead unheard. Until the tie, and wherever a moment has no record or
/// no audio (silence in the meeting, a lost record, a gap in the stream), the face rests and silence plays: the output
/// never stalls, which an RTMP ingest such as Zoom's needs.
/// </remarks>
public sealed class LiveAvatarSource
{
    // What is kept behind the moment being drawn: records and audio of the past are never needed again.
    private const double KeepBehindMs = 1000;

    // How far the frames may fall behind real time before the past ones are skipped: a second covers a slow draw or a
    // stalled thread on a busy machine; more than that is a push that cannot keep up, which a live avatar must not hide.
    private const double MaxBehindMs = 1000;

    private readonly RtmpPublisherOptions _publisher;
    private readonly LiveAvatarOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _lock = new();
    private readonly VisemeTimeline _visemes = new();
    private readonly PcmTimeline _audio;
    // The producer clock's tie (see the remarks), and whether the speech made it.
    private double? _lagMs;
    private bool _lagFromSpeech;
    private double _playheadMs = double.NegativeInfinity;

    /// <summary>Creates a source.</summary>
    /// <param name="publisher">The publisher's options (Width, Height, FrameRate, AudioSampleRate, AudioChannels are used); validated here.</param>
    /// <param name="options">Delay and duration; validated here.</param>
    /// <param name="time">The clock of the pacing and of the producer-clock estimate.</param>
    /// <param name="logger">Late records and the clock estimate are logged.</param>
    /// <exception cref="ValidationException">The options are invalid.</exception>
    public LiveAvatarSource(RtmpPublisherOptions publisher, LiveAvatarOptions options, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(options);
        publisher.Validate();
        options.Validate();
        _publisher = publisher;
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _audio = new PcmTimeline(publisher.AudioSampleRate);
    }

    /// <summary>Gets what has been received and drawn so far.</summary>
    public LiveAvatarStats Stats { get; } = new();

    /// <summary>Produces frames in real time until the duration is reached, both feeds end, or cancellation.</summary>
    /// <param name="records">The stream's records, as they are written (other streams' records are the caller's to filter).</param>
    /// <param name="audio">The stream's speech on the producer clock at the publisher's audio rate, or null for none.</param>
    /// <param name="cancellationToken">Stops the frames and the feeds.</param>
    /// <returns>The frames, in presentation order.</returns>
    /// <exception cref="InvalidDataException">A record is invalid (its frame rate), or a feed failed with it.</exception>
    public async IAsyncEnumerable<AvFrame> FramesAsync(IAsyncEnumerable<InferenceRecord> records, IAsyncEnumerable<TimedPcm>? audio,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var o = _publisher;
        // The renderer first: the 3D one takes seconds to start, and the feeds' first items tie the producer clock to ours.
        await using var renderer = _options.Avatar3d is { } avatar3d
            ? await BrowserAvatarRenderer.StartAsync(o.Width, o.Height, o.FrameRate, avatar3d, _logger, cancellationToken).ConfigureAwait(false)
            : (IAvatarFrameRenderer)new FaceFrameRenderer(new FaceRenderer(new FaceRendererOptions { Width = o.Width, Height = o.Height, FrameRate = o.FrameRate }));
        await foreach (var frame in FramesAsync(records, audio, renderer, cancellationToken).ConfigureAwait(false)) yield return frame;
    }

    /// <summary>The frames drawn by <paramref name="renderer"/>, which the caller owns (tests give a slow one).</summary>
    internal async IAsyncEnumerable<AvFrame> FramesAsync(IAsyncEnumerable<InferenceRecord> records, IAsyncEnumerable<TimedPcm>? audio,
        IAvatarFrameRenderer renderer, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var o = _publisher;
        int samplesPerFrame = o.AudioSampleRate / o.FrameRate;
        double frameMs = 1000.0 / o.FrameRate;
        long? lastFrame = _options.Duration is { } d ? (long)Math.Ceiling(d.TotalSeconds * o.FrameRate) : null;
        using var feeds = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var recordPump = Task.Run(() => PumpRecordsAsync(records, feeds.Token), CancellationToken.None);
        var audioPump = audio is null ? Task.CompletedTask : Task.Run(() => PumpAudioAsync(audio, feeds.Token), CancellationToken.None);
        var mono = new short[samplesPerFrame];
        long start = _time.GetTimestamp();
        double startMs = NowMs();
        long anchorFrame = 0;
        double? anchorMs = null;
        double? anchoredLag = null; // the tie the playhead follows: a new one moves it
        byte[]? lastRgba = null;
        try
        {
            for (long n = 0; lastFrame is not { } last || n < last; n++)
            {
                var due = TimeSpan.FromMilliseconds(n * frameMs) - _time.GetElapsedTime(start);
                if (due > TimeSpan.Zero) await Task.Delay(due, _time, cancellationToken).ConfigureAwait(false);
                else if (-due.TotalMilliseconds > MaxBehindMs)
                {
                    // The output itself is held back (the publisher or the network): the frames that are past are
                    // dropped with their audio, so the push stays live instead of drifting ever further behind.
                    long now = (long)(_time.GetElapsedTime(start).TotalMilliseconds / frameMs);
                    if (lastFrame is { } end) now = Math.Min(now, end - 1);
                    if (now > n)
                    {
                        if (Stats.FramesSkipped == 0) _logger.LogWarning("live avatar: the push fell {Behind:F0} ms behind real time; skipping to live (frames and their audio are dropped)", -due.TotalMilliseconds);
                        Stats.FramesSkippedBy(now - n);
                        n = now;
                    }
                }
                // A frame due more than one interval ago is shown with the last picture: a renderer slower than the
                // frame rate (the 3D avatar in software WebGL on a busy machine) lowers the picture rate, never the
                // audio's pace. The next picture is drawn on time, so no picture is ever more than one draw old.
                bool repeat = lastRgba is not null && -due.TotalMilliseconds > frameMs;
                cancellationToken.ThrowIfCancellationRequested();
                if (recordPump.IsFaulted) await recordPump.ConfigureAwait(false);
                if (audioPump.IsFaulted) await audioPump.ConfigureAwait(false);

                var face = VisemeTimeline.Rest;
                bool done;
                lock (_lock)
                {
                    // The moment this frame shows: fixed once the producer clock is tied (again if the speech ties it after a
                    // record), then advancing with the frames. It is tied to when the frame is due, not to when the loop got
                    // to it, so a stalled loop catching up does not move the playhead ahead of the delay.
                    if (_lagMs is { } lag && lag != anchoredLag)
                    {
                        double tie = startMs + n * frameMs - lag - _options.Delay.TotalMilliseconds;
                        if (anchorMs is { } anchored)
                        {
                            double shift = tie - (anchored + (n - anchorFrame) * frameMs);
                            Stats.PlayheadMoved(shift);
                            if (Math.Abs(shift) > frameMs) _logger.LogWarning("live avatar: the speech arrived {Lag:F0} ms behind the producer clock, unlike the first record; moving {Shift:F0} ms to it", lag, shift);
                        }
                        else
                        {
                            _logger.LogInformation("live avatar: first media {Lag:F0} ms behind the producer clock; drawing {Delay:F0} ms behind it", lag, _options.Delay.TotalMilliseconds);
                        }
                        anchorMs = tie;
                        anchorFrame = n;
                        anchoredLag = lag;
                    }
                    if (anchorMs is { } anchor)
                    {
                        _playheadMs = anchor + (n - anchorFrame) * frameMs;
                        face = _visemes.Sample(_playheadMs);
                        _audio.Read(_playheadMs - _options.AudioLag.TotalMilliseconds, mono);
                        _visemes.DropBefore(_playheadMs - KeepBehindMs);
                        _audio.DropBefore(_playheadMs - _options.AudioLag.TotalMilliseconds - KeepBehindMs);
                    }
                    else
                    {
                        Array.Clear(mono);
                    }
                    // Both feeds over and everything they brought drawn: the stream has ended.
                    done = recordPump.IsCompleted && audioPump.IsCompleted
                        && (anchorMs is null || (!(_visemes.EndMs > _playheadMs) && !(_audio.EndMs > _playheadMs)));
                }
                if (done) yield break;

                Stats.FrameDrawn(face != VisemeTimeline.Rest, repeat);
                if (!repeat)
                {
                    // A fresh buffer per drawn frame: the publisher keeps a frame's memory until ffmpeg has read it (a
                    // repeated picture shares the buffer, which nobody writes again).
                    lastRgba = new byte[o.FrameBytes];
                    await renderer.RenderAsync(face, n, lastRgba, cancellationToken).ConfigureAwait(false);
                }
                yield return AvFrame.Compose(lastRgba!, mono, o);
            }
        }
        finally
        {
            await feeds.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(recordPump, audioPump).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private double NowMs() => (_time.GetUtcNow() - DateTimeOffset.UnixEpoch).TotalMilliseconds;

    private async Task PumpRecordsAsync(IAsyncEnumerable<InferenceRecord> records, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var record in records.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                lock (_lock)
                {
                    if (!_visemes.Add(record)) continue;
                    Stats.RecordReceived();
                    if (VisemeTimeline.StartOf(record) is { } startMs)
                    {
                        double endMs = startMs + record.Frames.Count * 1000 / record.FrameRate;
                        Observe(endMs, speech: false);
                        Stats.RecordLag(NowMs() - endMs);
                        if (endMs <= _playheadMs) Stats.RecordLate();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task PumpAudioAsync(IAsyncEnumerable<TimedPcm> audio, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var piece in audio.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                lock (_lock)
                {
                    _audio.Add(piece);
                    double endMs = piece.StartMs + piece.Samples.Length * 1000.0 / _audio.SampleRate;
                    Observe(endMs, speech: true);
                    Stats.AudioReceived(endMs <= _playheadMs);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    // The first item's lag ties the producer clock to ours, the speech's first piece even after a record (see the remarks).
    private void Observe(double itemEndMs, bool speech)
    {
        if (_lagFromSpeech || (_lagMs is not null && !speech)) return;
        _lagMs = NowMs() - itemEndMs;
        _lagFromSpeech = speech;
    }
}

/// <summary>Counters of a <see cref="LiveAvatarSource"/>; safe to read while it runs.</summary>
public sealed class LiveAvatarStats
{
    private long _frames;
    private long _speakingFrames;
    private long _repeatedFrames;
    private long _skippedFrames;
    private long _records;
    private long _lateRecords;
    private long _audioPieces;
    private long _lateAudioPieces;
    private readonly object _lagLock = new();
    private double _recordLagSumMs;
    private double _recordLagMaxMs;
    private long _recordLags;
    private double _playheadShiftMs;

    /// <summary>Gets the frames produced.</summary>
    public long Frames => Interlocked.Read(ref _frames);

    /// <summary>Gets the frames whose face came from a record (the rest were drawn resting).</summary>
    public long FramesFromRecords => Interlocked.Read(ref _speakingFrames);

    /// <summary>Gets the frames that showed the previous picture because drawing fell behind (the audio kept its pace).</summary>
    public long FramesRepeated => Interlocked.Read(ref _repeatedFrames);

    /// <summary>Gets the frames skipped, with their audio, because the output fell more than a second behind real time.</summary>
    public long FramesSkipped => Interlocked.Read(ref _skippedFrames);

    /// <summary>Gets how far the playhead moved, in ms, when the speech's first piece tied the producer clock after a record had (positive: forward).</summary>
    /// <value>0 when the speech came first or there is none.</value>
    public double PlayheadShiftMs { get { lock (_lagLock) return _playheadShiftMs; } }

    /// <summary>Gets the records received (repeats not counted).</summary>
    public long Records => Interlocked.Read(ref _records);

    /// <summary>Gets the records that arrived after their moment was drawn (raise the delay if this grows).</summary>
    public long LateRecords => Interlocked.Read(ref _lateRecords);

    /// <summary>Gets the audio pieces received.</summary>
    public long AudioPieces => Interlocked.Read(ref _audioPieces);

    /// <summary>Gets the audio pieces that arrived after their moment was played.</summary>
    public long LateAudioPieces => Interlocked.Read(ref _lateAudioPieces);

    internal void FrameDrawn(bool fromRecord, bool repeated)
    {
        Interlocked.Increment(ref _frames);
        if (fromRecord) Interlocked.Increment(ref _speakingFrames);
        if (repeated) Interlocked.Increment(ref _repeatedFrames);
    }

    internal void FramesSkippedBy(long count) => Interlocked.Add(ref _skippedFrames, count);

    internal void PlayheadMoved(double ms)
    {
        lock (_lagLock) _playheadShiftMs += ms;
    }

    internal void RecordReceived() => Interlocked.Increment(ref _records);

    /// <summary>Gets the mean time from the end of a record's speech (producer clock) to its arrival (this machine's clock), in ms.</summary>
    /// <value>The speaking-to-record latency when both clocks agree (one machine, or NTP); 0 before any record.</value>
    public double MeanRecordLagMs { get { lock (_lagLock) return _recordLags == 0 ? 0 : _recordLagSumMs / _recordLags; } }

    /// <summary>Gets the largest such lag, in ms: <see cref="LiveAvatarOptions.Delay"/> must exceed it.</summary>
    public double MaxRecordLagMs { get { lock (_lagLock) return _recordLagMaxMs; } }

    internal void RecordLate() => Interlocked.Increment(ref _lateRecords);

    internal void RecordLag(double ms)
    {
        lock (_lagLock)
        {
            _recordLagSumMs += ms;
            _recordLagMaxMs = _recordLags == 0 ? ms : Math.Max(_recordLagMaxMs, ms);
            _recordLags++;
        }
    }

    internal void AudioReceived(bool late)
    {
        Interlocked.Increment(ref _audioPieces);
        if (late) Interlocked.Increment(ref _lateAudioPieces);
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{Frames} frames ({FramesFromRecords} from records), {Records} records ({LateRecords} late), {AudioPieces} audio pieces ({LateAudioPieces} late), " +
            $"record lag mean {MeanRecordLagMs:F0} ms, max {MaxRecordLagMs:F0} ms; pictures repeated {FramesRepeated}, frames skipped {FramesSkipped}; playhead moved {PlayheadShiftMs:F0} ms to the speech");
}
