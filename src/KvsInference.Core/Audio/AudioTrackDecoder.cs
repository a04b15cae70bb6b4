using System.Buffers;
using System.Diagnostics;
using KvsInference.Audio.Opus;
using KvsInference.Matroska;

namespace KvsInference.Audio;

/// <summary>
/// Turns the frames of one audio track into exact, timed PCM for an <see cref="IPcmSink"/>: decodes, drops the
/// codec delay (Opus pre-skip) at the start and each block's discard padding, mixes down to mono on request,
/// resamples when the decoder's rate is not the wanted one, and stamps every sample with its container time.
/// </summary>
/// <remarks>
/// <para>Time: a block's timestamp minus the track's CodecDelay is the time of its first decoded sample (Matroska
/// shifts Opus timestamps by the pre-skip). Output times are counted in samples from an anchor, so there is no
/// rounding drift; the anchor is the first block, and again the first block after a discontinuity.</para>
/// <para>Discontinuity: when a block's timestamp differs from the time the decoded samples predict by more than
/// <see cref="AudioTrackOptions.GapTolerance"/> (a lost or corrupt packet, a gap in the stream, a jump back), the
/// resampler's tail is flushed, the sink gets <see cref="IPcmSink.OnDiscontinuity"/>, and timing restarts at the
/// new block. A jump back also resets the decoder; a jump forward does not, since decoding on after a lost packet
/// sounds better than starting cold.</para>
/// <para>Keep one instance for the whole stream, across KVS fragments (each repeats the track header): pre-skip
/// applies once, at the start.</para>
/// <para>No allocation per packet: all buffers are sized from <see cref="IAudioDecoder.MaxSamplesPerPacket"/>.</para>
/// </remarks>
public sealed class AudioTrackDecoder : IDisposable
{
    private readonly IAudioDecoder _decoder;
    private readonly IPcmSink _sink;
    private readonly long _codecDelayNs;
    private readonly int _preSkipSamples;
    private readonly long _toleranceNs;
    private readonly int _decoderChannels;
    private readonly short[] _decoded;
    private readonly short[]? _mixed;
    private readonly Resampler? _resampler;
    private readonly short[]? _resampled;
    private byte[] _packetCopy = [];

    private bool _started;
    private int _skipRemaining;
    private long _anchorNs;              // time of decoded sample 0 of the anchor block
    private long _decodedSinceAnchor;    // decoded samples (decoder rate) since the anchor block
    private bool _segmentHasOutput;
    private long _segmentStartNs;        // time of the first output sample of the segment
    private long _segmentOutputSamples;  // output samples (output rate) since the segment start

    /// <summary>Creates a track decoder around a decoder.</summary>
    /// <param name="decoder">The codec decoder; owned (disposed) by this instance.</param>
    /// <param name="preSkipSamples">Samples per channel at the decoder's rate to drop at the start of the stream.</param>
    /// <param name="codecDelayNs">The track's CodecDelay in ns: subtracted from every block timestamp.</param>
    /// <param name="options">Output format and tolerance.</param>
    /// <param name="sink">Receives the PCM.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are not valid.</exception>
    public AudioTrackDecoder(IAudioDecoder decoder, int preSkipSamples, long codecDelayNs, AudioTrackOptions options, IPcmSink sink)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentOutOfRangeException.ThrowIfNegative(preSkipSamples);
        options.Validate();
        _decoder = decoder;
        _sink = sink;
        _preSkipSamples = preSkipSamples;
        _skipRemaining = preSkipSamples;
        _codecDelayNs = codecDelayNs;
        _toleranceNs = (long)options.GapTolerance.TotalNanoseconds;
        _decoderChannels = decoder.OutputChannels;
        OutputChannels = options.Mono ? 1 : decoder.OutputChannels;
        OutputSampleRate = options.OutputSampleRate;
        _decoded = new short[decoder.MaxSamplesPerPacket * _decoderChannels];
        if (options.Mono && _decoderChannels > 1) _mixed = new short[decoder.MaxSamplesPerPacket];
        if (decoder.OutputSampleRate != OutputSampleRate)
        {
            _resampler = new Resampler(decoder.OutputSampleRate, OutputSampleRate, OutputChannels);
            _resampled = new short[_resampler.GetMaxOutputFrames(decoder.MaxSamplesPerPacket) * OutputChannels];
        }
    }

    /// <summary>Creates the track decoder for a Matroska track, or says why not (unsupported codec, bad codec data).</summary>
    /// <param name="track">The track.</param>
    /// <param name="options">Output format and tolerance.</param>
    /// <param name="sink">Receives the PCM.</param>
    /// <param name="factory">Makes the codec decoder.</param>
    /// <param name="decoder">The track decoder, when the result is true.</param>
    /// <param name="error">Otherwise the reason, naming the codec (<c>unsupported codec A_VORBIS (track 2)</c>).</param>
    /// <returns>Whether the track can be decoded.</returns>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are not valid.</exception>
    public static bool TryCreate(MkvTrackInfo track, AudioTrackOptions options, IPcmSink sink, AudioDecoderFactory factory,
        out AudioTrackDecoder? decoder, out string? error)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return TryCreate(track, options, (_, _) => sink, factory, out decoder, out error);
    }

    /// <summary>Creates the track decoder for a Matroska track, making the sink once the output format is known
    /// (the channel count of a track kept in stereo depends on its codec data), or says why not.</summary>
    /// <param name="track">The track.</param>
    /// <param name="options">Output format and tolerance.</param>
    /// <param name="createSink">Makes the sink from the output rate (Hz) and channel count, for example
    /// <c>(rate, channels) => WavWriter.Create(path, rate, channels)</c>. Not called when the result is false.</param>
    /// <param name="factory">Makes the codec decoder.</param>
    /// <param name="decoder">The track decoder, when the result is true.</param>
    /// <param name="error">Otherwise the reason, naming the codec (<c>unsupported codec A_VORBIS (track 2)</c>).</param>
    /// <returns>Whether the track can be decoded.</returns>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are not valid.</exception>
    public static bool TryCreate(MkvTrackInfo track, AudioTrackOptions options, Func<int, int, IPcmSink> createSink, AudioDecoderFactory factory,
        out AudioTrackDecoder? decoder, out string? error)
    {
        ArgumentNullException.ThrowIfNull(track);
        ArgumentNullException.ThrowIfNull(createSink);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(factory);
        options.Validate();
        decoder = null;
        if (!factory.TryCreate(track, options.OutputSampleRate, options.Mono, out var codec, out error)) return false;
        Debug.Assert(codec is not null);
        int rate = codec.OutputSampleRate;
        long codecDelayNs = (long)Math.Min(track.CodecDelayNs, long.MaxValue);
        int preSkip;
        if (track.CodecId == AudioConstants.CodecOpus && AudioDecoderFactory.TryGetOpusHead(track, out var head, out _))
        {
            // OpusHead's pre-skip (48 kHz samples) is exact; CodecDelay is the same amount in ns, maybe rounded.
            preSkip = (int)((long)head.PreSkip * rate / AudioConstants.OpusInternalSampleRate);
            if (codecDelayNs == 0) codecDelayNs = head.PreSkip * AudioConstants.NanosPerSecond / AudioConstants.OpusInternalSampleRate;
        }
        else
        {
            preSkip = (int)Math.Round((double)codecDelayNs * rate / AudioConstants.NanosPerSecond);
        }
        int channels = options.Mono ? 1 : codec.OutputChannels;
        IPcmSink sink;
        try
        {
            sink = createSink(options.OutputSampleRate, channels);
        }
        catch
        {
            codec.Dispose();
            throw;
        }
        decoder = new AudioTrackDecoder(codec, preSkip, codecDelayNs, options, sink);
        return true;
    }

    /// <summary>Gets the name of the codec decoder, for logs.</summary>
    public string DecoderName => _decoder.Name;

    /// <summary>Gets the rate of the PCM given to the sink, in Hz.</summary>
    public int OutputSampleRate { get; }

    /// <summary>Gets the number of interleaved channels given to the sink.</summary>
    public int OutputChannels { get; }

    /// <summary>Gets the number of samples per channel given to the sink so far.</summary>
    public long OutputSamples { get; private set; }

    /// <summary>Gets the number of packets decoded (including empty ones, concealed).</summary>
    public long PacketsDecoded { get; private set; }

    /// <summary>Gets the number of packets that failed to decode.</summary>
    public long PacketsFailed { get; private set; }

    /// <summary>Gets the number of discontinuities seen.</summary>
    public long Discontinuities { get; private set; }

    /// <summary>Decodes one frame of the track.</summary>
    /// <param name="timestampNs">The block's absolute timestamp in ns, as the container gives it.</param>
    /// <param name="packet">The frame's bytes; an empty frame asks the codec for concealment.</param>
    /// <param name="discardPaddingNs">The block's DiscardPadding in ns: positive drops that much from the end of the
    /// decoded frame, negative from its start.</param>
    /// <exception cref="AudioDecodeException">The packet is corrupt. Nothing was given to the sink for it; the
    /// decoder stays usable, and the next block's timestamp shows the hole as a discontinuity.</exception>
    public void Decode(long timestampNs, ReadOnlySpan<byte> packet, long discardPaddingNs = 0)
    {
        long packetStartNs = timestampNs - _codecDelayNs;
        if (!_started)
        {
            _started = true;
            StartSegment(packetStartNs);
        }
        else
        {
            long expectedNs = _anchorNs + SamplesToNs(_decodedSinceAnchor, _decoder.OutputSampleRate);
            if (Math.Abs(packetStartNs - expectedNs) > _toleranceNs)
            {
                Discontinuity(expectedNs, packetStartNs);
            }
        }

        int frames;
        try
        {
            frames = _decoder.Decode(packet, _decoded);
        }
        catch (AudioDecodeException)
        {
            PacketsFailed++;
            throw;
        }
        PacketsDecoded++;
        long firstSampleIndex = _decodedSinceAnchor;
        _decodedSinceAnchor += frames;

        int start = 0, end = frames;
        if (_skipRemaining > 0)
        {
            start = Math.Min(_skipRemaining, frames);
            _skipRemaining -= start;
        }
        if (discardPaddingNs > 0)
        {
            end = Math.Max(start, frames - NsToSamples(discardPaddingNs, _decoder.OutputSampleRate));
        }
        else if (discardPaddingNs < 0)
        {
            start = Math.Min(end, Math.Max(start, NsToSamples(-discardPaddingNs, _decoder.OutputSampleRate)));
        }
        if (end <= start) return;

        if (!_segmentHasOutput)
        {
            _segmentHasOutput = true;
            _segmentStartNs = _anchorNs + SamplesToNs(firstSampleIndex + start, _decoder.OutputSampleRate);
            _segmentOutputSamples = 0;
        }
        Emit(_decoded.AsSpan(start * _decoderChannels, (end - start) * _decoderChannels));
    }

    /// <summary>Decodes one frame held in a possibly multi-segment buffer (copied once when it is split).</summary>
    /// <param name="timestampNs">The block's absolute timestamp in ns.</param>
    /// <param name="packet">The frame's bytes.</param>
    /// <param name="discardPaddingNs">The block's DiscardPadding in ns.</param>
    /// <exception cref="AudioDecodeException">The packet is corrupt; the decoder stays usable.</exception>
    public void Decode(long timestampNs, in ReadOnlySequence<byte> packet, long discardPaddingNs = 0)
    {
        if (packet.IsSingleSegment)
        {
            Decode(timestampNs, packet.FirstSpan, discardPaddingNs);
            return;
        }
        if (_packetCopy.Length < packet.Length)
        {
            // Grows to the largest packet seen, so steady state does not allocate.
            _packetCopy = new byte[Math.Max((int)packet.Length, 2 * _packetCopy.Length)];
        }
        packet.CopyTo(_packetCopy);
        Decode(timestampNs, _packetCopy.AsSpan(0, (int)packet.Length), discardPaddingNs);
    }

    /// <summary>Ends the stream: gives the sink the samples the resampler still holds, then
    /// <see cref="IPcmSink.OnEndOfStream"/>. A later <see cref="Decode(long, ReadOnlySpan{byte}, long)"/> starts a new
    /// stream (decoder reset, pre-skip again).</summary>
    public void Complete()
    {
        FlushResampler();
        _sink.OnEndOfStream();
        _decoder.Reset();
        _started = false;
        _segmentHasOutput = false;
        _skipRemaining = _preSkipSamples;
    }

    /// <inheritdoc />
    public void Dispose() => _decoder.Dispose();

    private void StartSegment(long packetStartNs)
    {
        _anchorNs = packetStartNs;
        _decodedSinceAnchor = 0;
        _segmentHasOutput = false;
    }

    private void Discontinuity(long expectedNs, long packetStartNs)
    {
        Discontinuities++;
        FlushResampler();
        long endNs = _segmentHasOutput ? _segmentStartNs + SamplesToNs(_segmentOutputSamples, OutputSampleRate) : expectedNs;
        _sink.OnDiscontinuity(endNs, packetStartNs);
        // Predictions from before a jump back would be wrong; a gap forward is left to the codec's own recovery.
        if (packetStartNs < expectedNs) _decoder.Reset();
        StartSegment(packetStartNs);
    }

    private void Emit(ReadOnlySpan<short> decoded)
    {
        ReadOnlySpan<short> pcm = decoded;
        if (_mixed is not null)
        {
            int frames = decoded.Length / _decoderChannels;
            Downmix(decoded, _decoderChannels, _mixed.AsSpan(0, frames));
            pcm = _mixed.AsSpan(0, frames);
        }
        if (_resampler is not null)
        {
            int written = _resampler.Process(pcm, _resampled);
            pcm = _resampled.AsSpan(0, written * OutputChannels);
        }
        Deliver(pcm);
    }

    private void FlushResampler()
    {
        if (_resampler is null) return;
        int written = _resampler.Flush(_resampled);
        if (_segmentHasOutput) Deliver(_resampled.AsSpan(0, written * OutputChannels));
    }

    private void Deliver(ReadOnlySpan<short> pcm)
    {
        if (pcm.IsEmpty) return;
        _sink.OnPcm(pcm, _segmentStartNs + SamplesToNs(_segmentOutputSamples, OutputSampleRate));
        int frames = pcm.Length / OutputChannels;
        _segmentOutputSamples += frames;
        OutputSamples += frames;
    }

    internal static void Downmix(ReadOnlySpan<short> interleaved, int channels, Span<short> mono)
    {
        if (channels == 2)
        {
            for (int i = 0, s = 0; i < mono.Length; i++, s += 2)
            {
                // Average, rounding half away from zero.
                int sum = interleaved[s] + interleaved[s + 1];
                mono[i] = (short)((sum + (sum >= 0 ? 1 : -1)) / 2);
            }
            return;
        }
        for (int i = 0, s = 0; i < mono.Length; i++, s += channels)
        {
            int sum = 0;
            for (int c = 0; c < channels; c++) sum += interleaved[s + c];
            mono[i] = (short)((sum + (sum >= 0 ? channels / 2 : -channels / 2)) / channels);
        }
    }

    /// <summary>Converts a sample count to ns, rounding down, exactly and without overflow (whole seconds first).</summary>
    private static long SamplesToNs(long samples, int rate) =>
        samples / rate * AudioConstants.NanosPerSecond + samples % rate * AudioConstants.NanosPerSecond / rate;

    /// <summary>Converts a duration to whole samples, rounding down: a padding of 2.4 samples drops 2, so a stream of N
    /// samples at 48 kHz keeps ceil(N / 3) at 16 kHz, the same count the resampler gives. The 1/1000-sample slack
    /// absorbs the rounding of durations to whole nanoseconds.</summary>
    private static int NsToSamples(long ns, int rate)
    {
        Int128 samples = (ns * (Int128)rate + AudioConstants.NanosPerSecond / 1000) / AudioConstants.NanosPerSecond;
        return samples > int.MaxValue ? int.MaxValue : (int)samples;
    }
}
