using KvsInference.Matroska;

namespace KvsInference.Audio;

/// <summary>
/// Decodes one audio track of a whole MKV/WebM stream (Opus, AAC, PCM) into a <see cref="IPcmSink"/>: the
/// first decodable audio track, or a chosen track number. The shared path of the <c>decode</c> command (to a WAV
/// file) and of <c>animate</c> (to 16 kHz mono PCM in memory through <see cref="ReadAllAsync"/>).
/// </summary>
/// <remarks>
/// Kinesis Video Streams repeats the Tracks element in every fragment: the decoder of the chosen track is made
/// once and kept. A frame that fails to decode is concealed by the decoder and reported through the warning
/// callback; decoding goes on. Call <see cref="Complete"/> when the input has ended (also after an error) to
/// flush the decoder and end the sink.
/// </remarks>
public sealed class MkvAudioTrackReader : IMkvHandler, IDisposable
{
    private readonly AudioDecoderFactory _factory;
    private readonly AudioTrackOptions _options;
    private readonly Func<int, int, IPcmSink> _createSink;
    private readonly ulong? _wantedTrack;
    private readonly Action<string> _warn;
    private readonly HashSet<ulong> _reported = new();
    private bool _completed;

    /// <summary>Creates the reader.</summary>
    /// <param name="factory">Makes the codec decoders.</param>
    /// <param name="options">Output rate and channel layout.</param>
    /// <param name="createSink">Makes the sink once the output format (rate in Hz, channels) is known.</param>
    /// <param name="trackNumber">The track to decode; null for the first audio track that can be decoded.</param>
    /// <param name="warn">Receives skipped tracks and frames that failed to decode; null to ignore them.</param>
    /// <exception cref="ArgumentNullException">A required argument is null.</exception>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are not valid.</exception>
    public MkvAudioTrackReader(AudioDecoderFactory factory, AudioTrackOptions options, Func<int, int, IPcmSink> createSink,
        ulong? trackNumber = null, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(createSink);
        options.Validate();
        _factory = factory;
        _options = options;
        _createSink = createSink;
        _wantedTrack = trackNumber;
        _warn = warn ?? (_ => { });
    }

    /// <summary>Gets the decoder of the chosen track, once its Tracks element has been read.</summary>
    /// <value>Null until a decodable audio track (or the wanted one) was seen.</value>
    public AudioTrackDecoder? Decoder { get; private set; }

    /// <summary>Gets the number of the track being decoded.</summary>
    /// <value>0 until <see cref="Decoder"/> is set.</value>
    public ulong TrackNumber { get; private set; }

    /// <summary>Gets the number of audio tracks skipped although their codec is supported: their header or codec data
    /// is invalid (for example 0 or 40000 channels, or a rate that cannot be converted), each reported through the
    /// warning callback.</summary>
    /// <value>Starts at 0.</value>
    public int InvalidTracks { get; private set; }

    /// <summary>Gets the number of frames (blocks) of the chosen track handed to the decoder.</summary>
    /// <value>Starts at 0.</value>
    public long Frames { get; private set; }

    /// <summary>Parses the whole of <paramref name="input"/> and decodes the chosen track into the sink.</summary>
    /// <param name="input">The MKV/WebM bytes.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>A task that completes at the end of the input.</returns>
    /// <exception cref="MkvFormatException">The input is not valid Matroska; audio before that point was delivered.</exception>
    /// <exception cref="IOException">Reading the input failed.</exception>
    public async Task ReadAsync(Stream input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        await new MkvStreamParser(frameTiming: AudioFrameTiming.Instance).ParseAsync(input, this, cancellationToken).ConfigureAwait(false);
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
        }, warn: message =>
        {
            skipped.Add(message);
            warn?.Invoke(message);
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
        if (reader.Decoder is null)
        {
            throw new InvalidDataException(skipped.Count == 0 ? $"{path} has no audio track" : $"{path} has no audio track that can be decoded: {string.Join("; ", skipped)}");
        }
        return (sink.ToArray(), sink.SampleRate);
    }

    /// <inheritdoc />
    public void OnTrack(MkvTrackInfo track)
    {
        ArgumentNullException.ThrowIfNull(track);
        if (Decoder is not null || track.Type != MkvTrackType.Audio) return;
        if (_wantedTrack is { } n && track.Number != n) return;
        if (AudioTrackDecoder.TryCreate(track, _options, _createSink, _factory, out var decoder, out var error))
        {
            Decoder = decoder;
            TrackNumber = track.Number;
        }
        else if (_reported.Add(track.Number))
        {
            if (_factory.IsSupported(track.CodecId)) InvalidTracks++;
            _warn($"skipping {error}");
        }
    }

    /// <inheritdoc />
    public void OnFrame(in MkvFrame frame)
    {
        if (Decoder is null || frame.TrackNumber != TrackNumber) return;
        try
        {
            if (frame.IsPayloadContiguous) Decoder.Decode(frame.TimestampNs, frame.PayloadSpan, frame.DiscardPaddingNs);
            else Decoder.Decode(frame.TimestampNs, frame.PayloadSequence, frame.DiscardPaddingNs);
        }
        catch (AudioDecodeException e)
        {
            _warn($"frame at {frame.TimestampNs / 1_000_000.0:0.###} ms: {e.Message}");
        }
        Frames++;
    }

    /// <summary>Flushes the decoder and ends the sink (once; later calls do nothing).</summary>
    public void Complete()
    {
        if (_completed) return;
        _completed = true;
        Decoder?.Complete();
    }

    /// <summary>Releases the codec decoder.</summary>
    public void Dispose() => Decoder?.Dispose();

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
