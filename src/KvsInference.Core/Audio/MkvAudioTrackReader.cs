using System.Globalization;
using KvsInference.Matroska;

namespace KvsInference.Audio;

/// <summary>
/// Decodes one audio track of an MKV/WebM stream (Opus, AAC, PCM) into an <see cref="IPcmSink"/>: the one place
/// that chooses the track, notices a codec change, swaps the decoder, dispatches the frames and applies the
/// decode-error policy. The <c>decode</c> command, <c>animate</c> (through <see cref="ReadAllAsync"/>), the
/// pipeline's stream processor and the live avatar's audio feed are all built on it.
/// </summary>
/// <remarks>
/// <para>Track choice: the first audio track that can be decoded, or the wanted track number; the choice then stays
/// with that track number. Parse with <see cref="CreateParser"/>, whose frame timing (<see cref="AudioFrameTiming"/>)
/// places each frame of a laced block at its own time.</para>
/// <para>Codec change: Kinesis Video Streams repeats the Tracks element in every fragment. A repeated header of the
/// chosen track with the same codec ID, codec data, rate, channels and bit depth keeps the decoder (Opus pre-skip
/// applies once). A different one completes the old decoder (the samples its resampler holds reach the sink), disposes
/// it and decodes on with a new one; when the new samples do not follow the old ones the sink gets
/// <see cref="IPcmSink.OnDiscontinuity"/>, never <see cref="IPcmSink.OnEndOfStream"/>, which comes only from
/// <see cref="Complete"/>. The sink is made once: a new header whose output format differs from it is skipped.</para>
/// <para>Errors: a track that cannot be decoded (unsupported codec, invalid header or codec data) is reported once
/// per header as <see cref="AudioTrackProblemKind.TrackSkipped"/> and skipped; when it is the chosen track's new
/// header, the old decoder is completed and that track's frames are ignored until a decodable header comes. A frame
/// that fails to decode is reported as <see cref="AudioTrackProblemKind.FrameFailed"/>; decoding goes on. Call
/// <see cref="Complete"/> when the input has ended (also after an error) to flush the decoder and end the sink.</para>
/// </remarks>
public sealed class MkvAudioTrackReader : IMkvHandler, IDisposable
{
    private readonly AudioDecoderFactory _factory;
    private readonly AudioTrackOptions _options;
    private readonly Func<int, int, IPcmSink> _createSink;
    private readonly ulong? _wantedTrack;
    private readonly Action<AudioTrackProblem> _report;
    private readonly HashSet<(ulong Number, string CodecId)> _reported = new();
    private readonly long _toleranceNs;
    private JoiningSink? _sink;
    private MkvTrackInfo? _header;      // the chosen track's header that the current decoder was made from
    private bool _completed;

    /// <summary>Creates the reader.</summary>
    /// <param name="factory">Makes the codec decoders.</param>
    /// <param name="options">Output rate and channel layout.</param>
    /// <param name="createSink">Makes the sink once the output format (rate in Hz, channels) is known; called once.</param>
    /// <param name="trackNumber">The track to decode; null for the first audio track that can be decoded.</param>
    /// <param name="report">Receives skipped tracks and frames that failed to decode; null to ignore them.</param>
    /// <exception cref="ArgumentNullException">A required argument is null.</exception>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are not valid.</exception>
    public MkvAudioTrackReader(AudioDecoderFactory factory, AudioTrackOptions options, Func<int, int, IPcmSink> createSink,
        ulong? trackNumber = null, Action<AudioTrackProblem>? report = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(createSink);
        options.Validate();
        _factory = factory;
        _options = options;
        _createSink = createSink;
        _wantedTrack = trackNumber;
        _report = report ?? (_ => { });
        _toleranceNs = (long)options.GapTolerance.TotalNanoseconds;
    }

    /// <summary>Creates the reader around a sink made already (its format must be the options' rate, and mono when
    /// <see cref="AudioTrackOptions.Mono"/> is set).</summary>
    /// <param name="factory">Makes the codec decoders.</param>
    /// <param name="options">Output rate and channel layout.</param>
    /// <param name="sink">Receives the PCM.</param>
    /// <param name="trackNumber">The track to decode; null for the first audio track that can be decoded.</param>
    /// <param name="report">Receives skipped tracks and frames that failed to decode; null to ignore them.</param>
    /// <exception cref="ArgumentNullException">A required argument is null.</exception>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are not valid.</exception>
    public MkvAudioTrackReader(AudioDecoderFactory factory, AudioTrackOptions options, IPcmSink sink,
        ulong? trackNumber = null, Action<AudioTrackProblem>? report = null)
        : this(factory, options, SinkOf(sink), trackNumber, report)
    {
    }

    /// <summary>Gets the decoder of the chosen track, once a decodable header of it has been read.</summary>
    /// <value>Null until a decodable audio track (or the wanted one) was seen, and while the chosen track's current
    /// header cannot be decoded.</value>
    public AudioTrackDecoder? Decoder { get; private set; }

    /// <summary>Gets the number of the track being decoded.</summary>
    /// <value>0 until a track was chosen.</value>
    public ulong TrackNumber { get; private set; }

    /// <summary>Gets the number of audio track headers skipped although their codec is supported: their header or
    /// codec data is invalid (for example 0 or 40000 channels, or a rate that cannot be converted).</summary>
    /// <value>Starts at 0.</value>
    public int InvalidTracks { get; private set; }

    /// <summary>Gets the number of times the chosen track's codec changed and its decoder was swapped.</summary>
    /// <value>Starts at 0.</value>
    public int DecoderSwaps { get; private set; }

    /// <summary>Gets the number of interleaved channels of the sink's PCM.</summary>
    /// <value>0 until the sink was made (with the first decoder).</value>
    public int OutputChannels => _sink?.Channels ?? 0;

    /// <summary>Gets the number of frames (blocks) of the chosen track handed to the decoder.</summary>
    /// <value>Starts at 0.</value>
    public long Frames { get; private set; }

    /// <summary>Gets the number of packets that failed to decode, over every decoder of the stream.</summary>
    /// <value>Starts at 0.</value>
    public long FramesFailed { get; private set; }

    /// <summary>Creates the parser to feed this reader (or any handler that forwards to it): its frame timing gives
    /// each frame of a laced block its own timestamp.</summary>
    /// <returns>A new parser.</returns>
    public static MkvStreamParser CreateParser() => new(frameTiming: AudioFrameTiming.Instance);

    /// <summary>Parses the whole of <paramref name="input"/> and decodes the chosen track into the sink.</summary>
    /// <param name="input">The MKV/WebM bytes.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>A task that completes at the end of the input.</returns>
    /// <exception cref="MkvFormatException">The input is not valid Matroska; audio before that point was delivered.</exception>
    /// <exception cref="IOException">Reading the input failed.</exception>
    public async Task ReadAsync(Stream input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        await CreateParser().ParseAsync(input, this, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Decodes the first decodable audio track of an MKV/WebM file into one buffer of interleaved 16-bit PCM
    /// (mono at 16 kHz with the default options). Gaps in the track's timestamps are closed up, as in the
    /// <c>decode</c> command's WAV output.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Output rate and channels; null for 16 kHz mono (the model's input).</param>
    /// <param name="factory">Makes the codec decoders; null for a default <see cref="AudioDecoderFactory"/>.</param>
    /// <param name="warn">Receives skipped tracks and frames that failed to decode; null to ignore them.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The samples and their rate.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="MkvFormatException">The file is not valid Matroska.</exception>
    /// <exception cref="InvalidDataException">The file has no audio track that can be decoded (the message names the skipped codecs).</exception>
    public static async Task<(short[] Samples, int SampleRate)> ReadAllAsync(string path, AudioTrackOptions? options = null,
        AudioDecoderFactory? factory = null, Action<string>? warn = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new AudioTrackOptions { OutputSampleRate = AudioConstants.ModelSampleRate, Mono = true };
        var sink = new BufferSink();
        var skipped = new List<string>();
        using var reader = new MkvAudioTrackReader(factory ?? new AudioDecoderFactory(), options, (rate, _) =>
        {
            sink.SampleRate = rate;
            return sink;
        }, report: problem =>
        {
            if (problem.Kind == AudioTrackProblemKind.TrackSkipped) skipped.Add(problem.Message);
            warn?.Invoke(problem.Message);
        });
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous))
        {
            try
            {
                await reader.ReadAsync(file, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                reader.Complete();
            }
        }
        if (reader.TrackNumber == 0)
        {
            throw new InvalidDataException(skipped.Count == 0 ? $"{path} has no audio track" : $"{path} has no audio track that can be decoded: {string.Join("; ", skipped)}");
        }
        return (sink.ToArray(), sink.SampleRate);
    }

    /// <summary>Gets whether a frame of this track number is decoded (it belongs to the chosen track, and that track's
    /// current header can be decoded).</summary>
    /// <param name="trackNumber">The frame's track number.</param>
    /// <returns>True when <see cref="Decode"/> would hand the frame to a decoder.</returns>
    public bool IsDecoding(ulong trackNumber) => Decoder is not null && trackNumber == TrackNumber;

    /// <inheritdoc />
    public void OnTrack(MkvTrackInfo track)
    {
        ArgumentNullException.ThrowIfNull(track);
        if (track.Type != MkvTrackType.Audio) return;
        if (_wantedTrack is { } wanted && track.Number != wanted) return;
        if (TrackNumber != 0 && track.Number != TrackNumber) return;
        if (_header is not null && SameCodec(_header, track)) return;   // KVS repeats Tracks in every fragment.

        AudioTrackDecoder? decoder;
        string? error;
        try
        {
            if (!AudioTrackDecoder.TryCreate(track, _options, SinkFor, _factory, out decoder, out error)) decoder = null;
        }
        catch (SinkFormatException e)
        {
            (decoder, error) = (null, e.Message);
        }
        if (decoder is null)
        {
            // Reported once per header; the chosen track's decoder, now fed another codec's frames, is retired.
            if (_reported.Add((track.Number, track.CodecId)))
            {
                if (_factory.IsSupported(track.CodecId)) InvalidTracks++;
                _report(new AudioTrackProblem(AudioTrackProblemKind.TrackSkipped, track.Number, null, $"{error}; the track is skipped"));
            }
            if (track.Number == TrackNumber) Retire();
            return;
        }
        if (Decoder is not null) DecoderSwaps++;
        Retire();
        Decoder = decoder;
        TrackNumber = track.Number;
        _header = track;
    }

    /// <inheritdoc />
    void IMkvHandler.OnFrame(in MkvFrame frame) => Decode(frame);

    /// <summary>Decodes a frame of the chosen track; frames of other tracks are ignored.</summary>
    /// <param name="frame">The frame.</param>
    /// <returns>True when the frame was decoded; false when it is not decoded (<see cref="IsDecoding"/> is false) or
    /// failed to decode (reported as <see cref="AudioTrackProblemKind.FrameFailed"/>).</returns>
    public bool Decode(in MkvFrame frame)
    {
        if (Decoder is null || frame.TrackNumber != TrackNumber) return false;
        Frames++;
        try
        {
            if (frame.IsPayloadContiguous) Decoder.Decode(frame.TimestampNs, frame.PayloadSpan, frame.DiscardPaddingNs);
            else Decoder.Decode(frame.TimestampNs, frame.PayloadSequence, frame.DiscardPaddingNs);
            return true;
        }
        catch (AudioDecodeException e)
        {
            FramesFailed++;
            string ms = (frame.TimestampNs / 1_000_000.0).ToString("0.###", CultureInfo.InvariantCulture);
            _report(new AudioTrackProblem(AudioTrackProblemKind.FrameFailed, frame.TrackNumber, frame.TimestampNs,
                $"frame at {ms} ms of track {frame.TrackNumber} not decoded: {e.Message}"));
            return false;
        }
    }

    /// <summary>Flushes the decoder and ends the sink (once; later calls do nothing).</summary>
    public void Complete()
    {
        if (_completed) return;
        _completed = true;
        Decoder?.Complete();
    }

    /// <summary>Releases the codec decoder.</summary>
    public void Dispose()
    {
        Decoder?.Dispose();
        Decoder = null;
    }

    /// <summary>Completes and disposes the current decoder without ending the sink: a new decoder may follow.</summary>
    private void Retire()
    {
        _header = null;
        if (Decoder is null) return;
        try
        {
            _sink!.Swapping = true;
            Decoder.Complete();
        }
        finally
        {
            _sink!.Swapping = false;
            _sink.CheckJoin = true;
            Decoder.Dispose();
            Decoder = null;
        }
    }

    private static bool SameCodec(MkvTrackInfo a, MkvTrackInfo b) =>
        a.CodecId == b.CodecId && a.Channels == b.Channels && a.SamplingFrequency == b.SamplingFrequency && a.BitDepth == b.BitDepth
        && (a.CodecPrivate ?? []).AsSpan().SequenceEqual(b.CodecPrivate ?? []);

    private static Func<int, int, IPcmSink> SinkOf(IPcmSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return (_, _) => sink;
    }

    /// <summary>The sink every decoder writes to: the caller's, made once, behind a <see cref="JoiningSink"/>.</summary>
    private IPcmSink SinkFor(int rate, int channels)
    {
        if (_sink is null)
        {
            _sink = new JoiningSink(_createSink(rate, channels), rate, channels, _toleranceNs);
        }
        else if (channels != _sink.Channels)
        {
            throw new SinkFormatException($"{channels}-channel output for the new header of track {TrackNumber}, but the output has {_sink.Channels}");
        }
        return _sink;
    }

    /// <summary>Keeps one stream for the caller's sink across decoder swaps: a retired decoder's end of stream is not
    /// passed on, and a new decoder's first samples are announced as a discontinuity when they do not follow.</summary>
    private sealed class JoiningSink(IPcmSink sink, int rate, int channels, long toleranceNs) : IPcmSink
    {
        private long? _endNs;   // the time just after the last sample given to the sink

        public int Channels { get; } = channels;

        public bool Swapping { get; set; }

        public bool CheckJoin { get; set; }

        public void OnPcm(ReadOnlySpan<short> samples, long timestampNs)
        {
            if (CheckJoin)
            {
                // A new decoder restarts timing from its first block: say so when its samples do not follow the old ones.
                CheckJoin = false;
                if (_endNs is { } end && Math.Abs(timestampNs - end) > toleranceNs) sink.OnDiscontinuity(end, timestampNs);
            }
            sink.OnPcm(samples, timestampNs);
            _endNs = timestampNs + samples.Length / Channels * AudioConstants.NanosPerSecond / rate;
        }

        public void OnDiscontinuity(long endNs, long nextStartNs) => sink.OnDiscontinuity(endNs, nextStartNs);

        public void OnEndOfStream()
        {
            if (!Swapping) sink.OnEndOfStream();
        }
    }

    /// <summary>A new header would need a sink of another format than the one made.</summary>
    private sealed class SinkFormatException(string message) : Exception(message);

    /// <summary>Collects the PCM in memory, back to back.</summary>
    private sealed class BufferSink : IPcmSink
    {
        private short[] _buffer = new short[AudioConstants.ModelSampleRate];
        private int _length;

        public int SampleRate { get; set; }

        public void OnPcm(ReadOnlySpan<short> samples, long timestampNs)
        {
            if (_length + samples.Length > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + samples.Length));
            samples.CopyTo(_buffer.AsSpan(_length));
            _length += samples.Length;
        }

        public void OnDiscontinuity(long endNs, long nextStartNs)
        {
            // Written back to back, like the decode command's WAV file.
        }

        public void OnEndOfStream()
        {
        }

        public short[] ToArray() => _buffer[.._length];
    }
}
