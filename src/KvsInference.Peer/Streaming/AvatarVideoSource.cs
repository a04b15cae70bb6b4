using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using KvsInference.Audio;
using KvsInference.Avatar.Rendering;
using KvsInference.Inference;
using KvsInference.Sinks;

namespace KvsInference.Peer.Streaming;

/// <summary>
/// Turns the inference records of one stream (in order) and the matching speech into the frames of an
/// <see cref="RtmpPublisher"/>: the viseme frames are resampled from the records' rate to the video rate by linear
/// interpolation, each frame is drawn by <see cref="FaceRenderer"/> into a fresh buffer (the publisher keeps a frame's
/// memory until ffmpeg has read it), and each carries the audio that plays during it.
/// </summary>
/// <remarks>
/// The records are taken as contiguous: the first frame of the first record is time zero and each record continues
/// where the previous one ended, as the worker writes them per stream. The output lasts as long as the longer of the
/// visemes and the audio (the face rests after the last record; silence plays when the audio is shorter or absent).
/// The publisher's ffmpeg reads as fast as it is fed, so with <c>realTime</c> the source itself paces the frames at
/// the video rate, which a live RTMP ingest (Zoom) expects.
/// </remarks>
public sealed class AvatarVideoSource
{
    private static readonly VisemeFrame Rest = new(0, 0, 0, 0, 0, 0, 1);
    private static readonly JsonSerializerOptions RecordJson = new(JsonSerializerDefaults.Web);

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
        var audio = ToRate(pcm.Span, pcmSampleRate, o.AudioSampleRate);
        int samplesPerFrame = o.AudioSampleRate / o.FrameRate;
        long audioFrames = (audio.Length + samplesPerFrame - 1) / samplesPerFrame;

        using var renderer = new FaceRenderer(new FaceRendererOptions { Width = o.Width, Height = o.Height, FrameRate = o.FrameRate });
        await using var source = records.GetAsyncEnumerator(cancellationToken);
        // Viseme frames received and not yet passed: _visemes[0] is the frame at index `dropped` of the stream.
        var visemes = new List<VisemeFrame>();
        long dropped = 0;
        double recordRate = 0;
        bool recordsDone = false;
        long start = _time.GetTimestamp();

        for (long n = 0; ; n++)
        {
            double t = (double)n / o.FrameRate;
            // Pull records until the two viseme frames around t are known (or there are no more).
            while (!recordsDone && (recordRate == 0 || dropped + visemes.Count <= (long)Math.Floor(t * recordRate) + 1))
            {
                if (!await source.MoveNextAsync())
                {
                    recordsDone = true;
                    break;
                }
                var record = source.Current;
                if (!(record.FrameRate > 0) || (recordRate != 0 && record.FrameRate != recordRate))
                {
                    throw new InvalidDataException($"record {record.RecordId}: frame rate {record.FrameRate} " +
                        (recordRate == 0 ? "is not positive" : $"differs from the stream's {recordRate}"));
                }
                recordRate = record.FrameRate;
                visemes.AddRange(record.Frames);
            }
            long visemeCount = dropped + visemes.Count;
            bool visemesLeft = recordRate > 0 && t * recordRate < visemeCount;
            if (!visemesLeft && recordsDone && n >= audioFrames) yield break;

            var face = Rest;
            if (visemesLeft)
            {
                double p = t * recordRate;
                long i = (long)Math.Floor(p);
                var a = visemes[(int)(i - dropped)];
                var b = i + 1 < visemeCount ? visemes[(int)(i + 1 - dropped)] : a;
                face = Lerp(a, b, (float)(p - i));
                // Frames before i are never needed again (t only grows).
                int passed = (int)(i - dropped);
                if (passed > 256)
                {
                    visemes.RemoveRange(0, passed);
                    dropped += passed;
                }
            }

            var rgba = new byte[o.FrameBytes];
            renderer.Render(face, n, rgba);
            var pcmBytes = new byte[o.AudioBytesPerFrame];
            var samples = MemoryMarshal.Cast<byte, short>(pcmBytes.AsSpan());
            long first = n * samplesPerFrame;
            for (int s = 0; s < samplesPerFrame && first + s < audio.Length; s++)
            {
                for (int c = 0; c < o.AudioChannels; c++) samples[s * o.AudioChannels + c] = audio[first + s];
            }

            if (_realTime)
            {
                var due = TimeSpan.FromSeconds(t) - _time.GetElapsedTime(start);
                if (due > TimeSpan.Zero) await Task.Delay(due, _time, cancellationToken);
            }
            cancellationToken.ThrowIfCancellationRequested();
            yield return new AvFrame(rgba, pcmBytes);
        }
    }

    /// <summary>Reads the records of one stream from a JSON-lines file (the shape <see cref="JsonLinesFileSink"/> writes), in file order.</summary>
    /// <param name="path">The file.</param>
    /// <param name="streamName">Only records of this stream are returned.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <returns>The records.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line is not a valid record (the message names the line).</exception>
    public static async IAsyncEnumerable<InferenceRecord> ReadRecordsAsync(string path, string streamName,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(streamName);
        using var reader = new StreamReader(path);
        int lineNumber = 0;
        string? line;
        while ((line = await reader.ReadLineAsync(cancellationToken)) is not null)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            InferenceRecord? record;
            try
            {
                record = JsonSerializer.Deserialize<InferenceRecord>(line, RecordJson);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path} line {lineNumber}: not an inference record: {e.Message}", e);
            }
            if (record is null) throw new InvalidDataException($"{path} line {lineNumber}: null instead of an inference record");
            if (record.StreamName == streamName) yield return record;
        }
    }

    private static short[] ToRate(ReadOnlySpan<short> pcm, int inputRate, int outputRate)
    {
        if (pcm.IsEmpty) return [];
        if (inputRate == outputRate) return pcm.ToArray();
        var resampler = new Resampler(inputRate, outputRate, 1);
        var output = new short[resampler.GetMaxOutputFrames(pcm.Length) + resampler.GetMaxOutputFrames(0) + outputRate];
        int written = resampler.Process(pcm, output);
        written += resampler.Flush(output.AsSpan(written));
        return output[..written];
    }

    private static VisemeFrame Lerp(in VisemeFrame a, in VisemeFrame b, float f) => new(
        a.Aa + (b.Aa - a.Aa) * f, a.Ih + (b.Ih - a.Ih) * f, a.Ou + (b.Ou - a.Ou) * f, a.Ee + (b.Ee - a.Ee) * f,
        a.Oh + (b.Oh - a.Oh) * f, a.JawOpen + (b.JawOpen - a.JawOpen) * f, a.Silence + (b.Silence - a.Silence) * f);
}
