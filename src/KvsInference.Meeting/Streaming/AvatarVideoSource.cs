using System.Runtime.CompilerServices;
using System.Text.Json;
using KvsInference.Audio;
using KvsInference.Avatar.Rendering;
using KvsInference.Inference;
using KvsInference.Sinks;

namespace KvsInference.Meeting.Streaming;

/// <summary>
/// Turns the inference records of one stream (in order) and the matching speech into the frames of an
/// <see cref="RtmpPublisher"/>: the viseme frames are resampled from the records' rate to the video rate by linear
/// interpolation, each frame is drawn by <see cref="FaceRenderer"/> into a fresh buffer (the publisher keeps a frame's
/// memory until ffmpeg has read it), and each carries the audio that plays during it.
/// </summary>
/// <remarks>
/// The records are placed by their timestamps (<see cref="VisemeTimeline"/>): the first frame of the first record is time
/// zero, a gap between records (the stream paused, a record is missing) is drawn as the resting face, and records
/// without timestamps continue where the previous one ended. The output lasts as long as the longer of the visemes and
/// the audio (the face rests after the last record; silence plays when the audio is shorter or absent). For a live
/// stream, <see cref="LiveAvatarSource"/> does the same against the clock.
/// The publisher's ffmpeg reads as fast as it is fed, so with <c>realTime</c> the source itself paces the frames at
/// the video rate, which a live RTMP ingest (Zoom) expects.
/// </remarks>
public sealed class AvatarVideoSource
{
    private readonly RtmpPublisherOptions _options;
    private readonly bool _realTime;
    private readonly TimeProvider _time;

    /// <summary>Creates a source for a publisher's frame size, frame rate and audio format.</summary>
    /// <param name="options">The publisher's options (Width, Height, FrameRate, AudioSampleRate, AudioChannels are used); validated here.</param>
    /// <param name="realTime">True to yield frame n no earlier than n / FrameRate after the first one.</param>
    /// <param name="time">The clock of the pacing.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public AvatarVideoSource(RtmpPublisherOptions options, bool realTime = true, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _realTime = realTime;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Produces the frames until both the records and the audio are exhausted.</summary>
    /// <param name="records">The records of one stream, in order; all with the same frame rate.</param>
    /// <param name="pcm">Mono 16-bit speech that starts with the first record, or empty for silence.</param>
    /// <param name="pcmSampleRate">The rate of <paramref name="pcm"/> in Hz (8..96 kHz); resampled to the publisher's rate.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The frames, in presentation order.</returns>
    /// <exception cref="InvalidDataException">A record's frame rate is not positive or differs from the first record's.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pcmSampleRate"/> is out of range.</exception>
    public async IAsyncEnumerable<AvFrame> FramesAsync(IAsyncEnumerable<InferenceRecord> records, ReadOnlyMemory<short> pcm, int pcmSampleRate,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentOutOfRangeException.ThrowIfLessThan(pcmSampleRate, 8000);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pcmSampleRate, 96000);
        var o = _options;
        var audio = Resampler.ResampleAll(pcm.Span, pcmSampleRate, o.AudioSampleRate);
        int samplesPerFrame = o.AudioSampleRate / o.FrameRate;
        long audioFrames = (audio.Length + samplesPerFrame - 1) / samplesPerFrame;

        using var renderer = new FaceRenderer(new FaceRendererOptions { Width = o.Width, Height = o.Height, FrameRate = o.FrameRate });
        await using var source = records.GetAsyncEnumerator(cancellationToken);
        var visemes = new VisemeTimeline();
        double? recordRate = null;
        double? originMs = null;
        bool recordsDone = false;
        long start = _time.GetTimestamp();

        for (long n = 0; ; n++)
        {
            double frameMs = n * 1000.0 / o.FrameRate;
            // Pull records until the one after this frame's moment is known (or there are no more): a record that starts
            // later leaves a gap, where the face rests.
            while (!recordsDone && (originMs is null || !(visemes.EndMs > originMs + frameMs + 1000 / recordRate!.Value)))
            {
                if (!await source.MoveNextAsync())
                {
                    recordsDone = true;
                    break;
                }
                var record = source.Current;
                if (recordRate is { } rate && record.FrameRate != rate)
                {
                    throw new InvalidDataException($"record {record.RecordId}: frame rate {record.FrameRate} differs from the stream's {rate}");
                }
                visemes.Add(record);
                recordRate = record.FrameRate;
                originMs ??= visemes.StartMs;
            }
            double t = (originMs ?? 0) + frameMs;
            if (recordsDone && !(visemes.EndMs > t) && n >= audioFrames) yield break;

            var face = visemes.Sample(t);
            visemes.DropBefore(t - 1000);

            long first = Math.Min(n * samplesPerFrame, audio.Length);
            var frame = AvFrame.Draw(renderer, face, n, audio.AsSpan((int)first, (int)Math.Min(samplesPerFrame, audio.Length - first)), o);

            if (_realTime)
            {
                var due = TimeSpan.FromMilliseconds(frameMs) - _time.GetElapsedTime(start);
                if (due > TimeSpan.Zero) await Task.Delay(due, _time, cancellationToken);
            }
            cancellationToken.ThrowIfCancellationRequested();
            yield return frame;
        }
    }
}
