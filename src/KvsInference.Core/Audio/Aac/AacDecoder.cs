using System.Runtime.InteropServices;
using KvsInference.Matroska;

namespace KvsInference.Audio.Aac;

/// <summary>
/// Decodes AAC (LC, Main, LTP, HE-AAC v1/v2 with SBR and PS) to interleaved 16-bit PCM at a chosen rate through
/// FFmpeg's libavcodec (Debian 12's libavcodec59) and libswresample, loaded dynamically.
/// </summary>
/// <remarks>
/// <para>Native dependency: libavcodec.so.59, libavutil.so.57 and libswresample.so.4 (Debian packages libavcodec59 and
/// libswresample4). When they are missing only AAC tracks fail, with the message of <see cref="UnavailableReason"/>;
/// nothing else in the library loads them. See docs/media.md, "AAC audio (libavcodec)", for the licence.</para>
/// <para>Thread safety: an instance is not thread-safe. Use one decoder per track and call it from one thread at a
/// time (calls may move between threads); <see cref="Dispose"/> must not race a <see cref="Decode"/>. Different
/// instances are independent and may run in parallel.</para>
/// <para>Steady state allocates nothing managed per packet: the AVPacket (with a padded native buffer), the AVFrame and
/// the resampler are reused. libavcodec itself takes one small native reference (av_buffer_ref) per packet sent.</para>
/// <para>Corrupt packets: libavcodec has no packet-loss concealment for AAC, so a packet it rejects throws
/// <see cref="AudioDecodeException"/> naming libav's error text and the decoder stays usable. A caller that wants
/// continuous audio then calls <see cref="Decode"/> with an empty packet, which outputs silence of one frame's length
/// (through the resampler, so timing stays exact).</para>
/// <para>Output: the resampler (libswresample defaults, the same ffmpeg's command line uses) converts to s16 at
/// <see cref="OutputSampleRate"/> and downmixes to mono on request. Resampling delays a few samples, which stay in the
/// resampler until the next packet; <see cref="Drain"/> returns them at the end of a stream. Codec priming (the first
/// 1024 samples of an LC encoder's output) is not trimmed here: that is container timing, the caller's job.</para>
/// </remarks>
public sealed unsafe class AacDecoder : IAudioDecoder
{
    /// <summary>Extra output room per packet for samples the resampler holds back from one packet and emits with the next.</summary>
    private const int ResamplerSlack = 256;
    private const int MaxOutputChannels = 8;
    private const int MaxFramesPerPacket = 16;
    private const int InitialPacketCapacity = 8192;

    private static readonly Lazy<string?> LoadError = new(() => Probe(LibAv.AvCodec, LibAv.AvUtil, LibAv.SwResample));

    private readonly byte[] _audioSpecificConfig;
    private readonly nint _codec;
    private AvCodecContextHandle _context;
    private readonly AvFrameHandle _frame;
    private readonly AvPacketHandle _packet;
    private SwrContextHandle? _swr;
    private int _packetCapacity;
    private int _swrFormat = -1, _swrRate, _swrChannels, _swrOrder;
    private ulong _swrMask;
    private int _lastInputFrameSamples;
    private bool _disposed;

    private AacDecoder(AudioSpecificConfig config, ReadOnlySpan<byte> audioSpecificConfig, int outputSampleRate, bool mono)
    {
        Config = config;
        OutputSampleRate = outputSampleRate;
        // libavcodec outputs stereo for a mono SBR stream, since PS may be signalled implicitly inside the frames;
        // keep that stereo rather than fold it back, so nothing PS carries is lost.
        OutputChannels = mono ? 1 : config.Sbr && config.Channels == 1 ? 2 : config.OutputChannels;
        if (OutputChannels > MaxOutputChannels)
        {
            throw new AudioDecodeException($"AAC stream has {OutputChannels} channels; at most {MaxOutputChannels} are supported (ask for mono).");
        }
        // One access unit lasts FrameLength / core rate seconds with or without SBR (SBR doubles samples and rate).
        MaxSamplesPerPacket = (int)Math.Ceiling((double)config.FrameLength * outputSampleRate / config.SamplingFrequency) + ResamplerSlack;
        _lastInputFrameSamples = config.OutputFrameLength;

        _audioSpecificConfig = audioSpecificConfig.ToArray();
        _codec = LibAv.FindDecoder(LibAv.CodecIdAac);
        if (_codec == 0) throw new AudioDecodeException("libavcodec has no AAC decoder (avcodec_find_decoder(AV_CODEC_ID_AAC) returned NULL).");
        _context = new AvCodecContextHandle(LibAv.AllocContext(_codec));
        _frame = new AvFrameHandle(LibAv.FrameAlloc());
        _packet = new AvPacketHandle(LibAv.PacketAlloc());
        try
        {
            if (_context.IsInvalid || _frame.IsInvalid || _packet.IsInvalid) throw new OutOfMemoryException("libav could not allocate the AAC decoder.");
            Configure(_context);
            AllocatePacket(InitialPacketCapacity);
            Name = $"libavcodec {LibAv.VersionText(LibAv.AvCodecVersion())} aac ({config})";
        }
        catch
        {
            DisposeHandles();
            throw;
        }
    }

    /// <summary>Gets a value indicating whether the native libraries are present and of the expected ABI.</summary>
    /// <value>Probed once per process with <see cref="NativeLibrary.TryLoad(string, out nint)"/>.</value>
    public static bool IsAvailable => LoadError.Value is null;

    /// <summary>Gets why AAC decoding is not available, or null when it is.</summary>
    /// <value>A message naming the missing library and the Debian packages to install.</value>
    public static string? UnavailableReason => LoadError.Value;

    /// <summary>Gets the configuration the decoder was opened with.</summary>
    /// <value>The parsed AudioSpecificConfig.</value>
    public AudioSpecificConfig Config { get; }

    /// <inheritdoc/>
    public string Name { get; } = "";

    /// <inheritdoc/>
    public int OutputSampleRate { get; }

    /// <inheritdoc/>
    public int OutputChannels { get; }

    /// <inheritdoc/>
    public int MaxSamplesPerPacket { get; }

    /// <summary>Creates a decoder for a Matroska AAC track, or says why it cannot.</summary>
    /// <param name="track">The track (<c>A_AAC</c> with CodecPrivate, or an old <c>A_AAC/MPEG2|MPEG4/...</c> codec ID).</param>
    /// <param name="outputSampleRate">The PCM rate wanted, for example 48000 or 16000.</param>
    /// <param name="mono">Whether to downmix to one channel.</param>
    /// <param name="decoder">The decoder, or null.</param>
    /// <param name="error">Why there is no decoder (libraries missing, bad configuration), or null.</param>
    /// <returns><see langword="true"/> when a decoder was created.</returns>
    public static bool TryCreate(MkvTrackInfo track, int outputSampleRate, bool mono, out IAudioDecoder? decoder, out string? error)
    {
        ArgumentNullException.ThrowIfNull(track);
        decoder = null;
        error = null;
        try
        {
            decoder = Create(AudioSpecificConfig.FromTrack(track), outputSampleRate, mono);
            return true;
        }
        catch (AudioDecodeException e)
        {
            error = e.Message;
            return false;
        }
        catch (ArgumentOutOfRangeException e)
        {
            error = e.Message;
            return false;
        }
    }

    /// <summary>Creates a decoder from an AudioSpecificConfig.</summary>
    /// <param name="audioSpecificConfig">The AudioSpecificConfig (Matroska CodecPrivate, MP4 esds, or built from ADTS).</param>
    /// <param name="outputSampleRate">The PCM rate wanted, 8000 to 192000 Hz.</param>
    /// <param name="mono">Whether to downmix to one channel.</param>
    /// <returns>The decoder.</returns>
    /// <exception cref="AudioDecodeException">The libraries are missing (message of <see cref="UnavailableReason"/>), the configuration is not valid, or libavcodec refused it.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outputSampleRate"/> is out of range.</exception>
    public static AacDecoder Create(ReadOnlySpan<byte> audioSpecificConfig, int outputSampleRate, bool mono)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputSampleRate, 8000);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(outputSampleRate, 192000);
        var config = AudioSpecificConfig.Parse(audioSpecificConfig);
        if (LoadError.Value is { } reason) throw new AudioDecodeException(reason);
        return new AacDecoder(config, audioSpecificConfig, outputSampleRate, mono);
    }

    /// <inheritdoc/>
    /// <remarks>An empty packet outputs silence of one frame (the last frame's length), for lost or rejected packets.</remarks>
    public int Decode(ReadOnlySpan<byte> packet, Span<short> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (output.Length < MaxSamplesPerPacket * OutputChannels)
        {
            throw new ArgumentException($"output holds {output.Length} samples; {MaxSamplesPerPacket} x {OutputChannels} are needed.", nameof(output));
        }
        if (packet.IsEmpty) return Conceal(output);

        nint pkt = _packet.DangerousGetHandle();
        nint ctx = _context.DangerousGetHandle();
        CopyIntoPacket(pkt, packet);
        int ret = LibAv.SendPacket(ctx, pkt);
        if (ret < 0)
        {
            // The AAC decoder decodes inside send_packet, so bitstream errors mostly surface here.
            throw new AudioDecodeException($"libavcodec could not decode an AAC packet of {packet.Length} bytes: {LibAv.ErrorText(ret)}.");
        }

        int written = 0, error = 0, frames = 0;
        bool overflow = false;
        while (true)
        {
            ret = LibAv.ReceiveFrame(ctx, _frame.DangerousGetHandle());
            if (ret == LibAv.ErrorAgain || ret == LibAv.ErrorEof) break;
            if (++frames > MaxFramesPerPacket)
            {
                // A garbage packet that keeps yielding frames or errors: drop what is left of it.
                LibAv.FlushBuffers(ctx);
                overflow = true;
                break;
            }
            if (ret < 0)
            {
                if (error == 0) error = ret;
                continue;
            }
            try
            {
                int n = ConvertFrame(output[(written * OutputChannels)..], out bool full);
                written += n;
                overflow |= full;
            }
            finally
            {
                LibAv.FrameUnref(_frame.DangerousGetHandle());
            }
        }

        if (error != 0)
        {
            throw new AudioDecodeException($"libavcodec could not decode an AAC packet of {packet.Length} bytes: {LibAv.ErrorText(error)}.");
        }
        if (overflow)
        {
            throw new AudioDecodeException($"An AAC packet of {packet.Length} bytes decoded to more than {MaxSamplesPerPacket} samples (several frames in one packet?); it was dropped.");
        }
        return written;
    }

    /// <summary>
    /// Returns the samples the resampler still holds (its filter delay) at the end of a stream, and resets it.
    /// </summary>
    /// <param name="output">Receives interleaved PCM; <see cref="MaxSamplesPerPacket"/> × <see cref="OutputChannels"/> samples are enough.</param>
    /// <returns>The number of samples per channel written.</returns>
    /// <exception cref="ObjectDisposedException">The decoder is disposed.</exception>
    public int Drain(Span<short> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_swr is null) return 0;
        int channels = OutputChannels;
        int written = 0;
        fixed (short* o = output)
        {
            while (written < output.Length / channels)
            {
                byte* outPtr = (byte*)(o + written * channels);
                // A null input flushes swr's buffered samples.
                int n = LibAv.SwrConvert(_swr.DangerousGetHandle(), &outPtr, output.Length / channels - written, null, 0);
                if (n <= 0) break;
                written += n;
            }
        }
        ResetResampler();
        return written;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Opens a new codec context from the AudioSpecificConfig rather than only flushing: in-band data (a program
    /// config element, implicit SBR/PS) can reconfigure libavcodec, and a reset must forget that too.
    /// </remarks>
    /// <exception cref="AudioDecodeException">libavcodec refused to reopen the configuration.</exception>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var context = new AvCodecContextHandle(LibAv.AllocContext(_codec));
        try
        {
            if (context.IsInvalid) throw new OutOfMemoryException("avcodec_alloc_context3 failed.");
            Configure(context);
        }
        catch
        {
            context.Dispose();
            throw;
        }
        _context.Dispose();
        _context = context;
        ResetResampler();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        DisposeHandles();
    }

    /// <summary>Loads the three libraries and checks their major versions; returns null or the error for AAC streams.</summary>
    internal static string? Probe(string avcodec, string avutil, string swresample)
    {
        string? missing = null;
        foreach (var name in new[] { avcodec, avutil, swresample })
        {
            if (!NativeLibrary.TryLoad(name, out _)) missing = missing is null ? name : missing + ", " + name;
        }
        const string Install = "Debian packages libavcodec59 and libswresample4 (which bring libavutil57): `apt-get install libavcodec59 libswresample4`";
        if (missing is not null)
        {
            return $"AAC decoding needs {LibAv.AvCodec}, {LibAv.AvUtil} and {LibAv.SwResample} ({Install}); not found: {missing}. Opus streams are not affected.";
        }
        try
        {
            uint c = LibAv.AvCodecVersion(), u = LibAv.AvUtilVersion(), s = LibAv.SwResampleVersion();
            if (c >> 16 != LibAv.AvCodecMajor || u >> 16 != LibAv.AvUtilMajor || s >> 16 != LibAv.SwResampleMajor)
            {
                return $"AAC decoding needs FFmpeg 5.x libraries (libavcodec 59, libavutil 57, libswresample 4); found libavcodec {LibAv.VersionText(c)}, libavutil {LibAv.VersionText(u)}, libswresample {LibAv.VersionText(s)}.";
            }
            // Errors reach callers as exceptions; keep libav from also printing them for every corrupt packet.
            LibAv.LogSetLevel(LibAv.LogLevelFatal);
            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return $"AAC decoding needs {LibAv.AvCodec}, {LibAv.AvUtil} and {LibAv.SwResample} ({Install}): {e.Message}";
        }
    }

    private void Configure(AvCodecContextHandle context)
    {
        ReadOnlySpan<byte> audioSpecificConfig = _audioSpecificConfig;
        // AVCodecParameters carries the extradata so that we never write into AVCodecContext's (large, changing) layout.
        nint par = LibAv.ParametersAlloc();
        if (par == 0) throw new OutOfMemoryException("avcodec_parameters_alloc failed.");
        try
        {
            byte* p = (byte*)par;
            *(int*)(p + LibAv.ParCodecType) = LibAv.MediaTypeAudio;
            *(int*)(p + LibAv.ParCodecId) = LibAv.CodecIdAac;
            nint extradata = LibAv.Mallocz((nuint)(audioSpecificConfig.Length + LibAv.InputBufferPaddingSize));
            if (extradata == 0) throw new OutOfMemoryException("av_mallocz failed.");
            audioSpecificConfig.CopyTo(new Span<byte>((void*)extradata, audioSpecificConfig.Length));
            *(nint*)(p + LibAv.ParExtradata) = extradata; // owned by par from here on
            *(int*)(p + LibAv.ParExtradataSize) = audioSpecificConfig.Length;
            int ret = LibAv.ParametersToContext(context.DangerousGetHandle(), par);
            if (ret < 0) throw new AudioDecodeException($"avcodec_parameters_to_context failed: {LibAv.ErrorText(ret)}.");
        }
        finally
        {
            LibAv.ParametersFree(&par);
        }
        int open = LibAv.Open(context.DangerousGetHandle(), _codec, 0);
        if (open < 0)
        {
            throw new AudioDecodeException($"libavcodec refused the AAC configuration ({Config}): {LibAv.ErrorText(open)}.");
        }
    }

    private void AllocatePacket(int capacity)
    {
        nint pkt = _packet.DangerousGetHandle();
        LibAv.PacketUnref(pkt);
        // av_new_packet zeroes the padding past `capacity`; a refcounted buffer lets send_packet take a reference
        // instead of copying the data.
        int ret = LibAv.NewPacket(pkt, capacity);
        if (ret < 0) throw new OutOfMemoryException($"av_new_packet({capacity}) failed: {LibAv.ErrorText(ret)}.");
        _packetCapacity = capacity;
    }

    private void CopyIntoPacket(nint pkt, ReadOnlySpan<byte> packet)
    {
        byte* p = (byte*)pkt;
        // The decoder has released its reference once it returned EAGAIN; if it still held one we must not write.
        if (packet.Length > _packetCapacity || LibAv.BufferIsWritable(*(nint*)(p + LibAv.PacketBuf)) == 0)
        {
            AllocatePacket(Math.Max(packet.Length, _packetCapacity * 2));
        }
        byte* data = *(byte**)(p + LibAv.PacketData);
        packet.CopyTo(new Span<byte>(data, packet.Length));
        // The bit reader may read past the end: the padding must be zero, also after a longer earlier packet.
        new Span<byte>(data + packet.Length, LibAv.InputBufferPaddingSize).Clear();
        *(int*)(p + LibAv.PacketSize) = packet.Length;
    }

    private int ConvertFrame(Span<short> output, out bool full)
    {
        byte* f = (byte*)_frame.DangerousGetHandle();
        int samples = *(int*)(f + LibAv.FrameNbSamples);
        int format = *(int*)(f + LibAv.FrameFormat);
        int rate = *(int*)(f + LibAv.FrameSampleRate);
        var layout = (LibAv.ChannelLayout*)(f + LibAv.FrameChLayout);
        if (samples is < 0 or > 16384 || format is < 0 or > LibAv.SampleFormatMax || rate is < 1000 or > 768000 || layout->NbChannels is < 1 or > 64)
        {
            // Offsets are those of libavutil 57 (FFmpeg 5.1); anything else means the library does not match them.
            throw new AudioDecodeException($"libavcodec returned a frame that does not look like FFmpeg 5.1's AVFrame (nb_samples {samples}, format {format}, sample_rate {rate}, channels {layout->NbChannels}); the library's ABI does not match.");
        }
        full = false;
        if (samples == 0) return 0;
        EnsureResampler(format, rate, layout);
        _lastInputFrameSamples = samples;
        int capacity = output.Length / OutputChannels;
        fixed (short* o = output)
        {
            byte* outPtr = (byte*)o;
            byte** input = *(byte***)(f + LibAv.FrameExtendedData);
            int n = LibAv.SwrConvert(_swr!.DangerousGetHandle(), &outPtr, capacity, input, samples);
            if (n < 0) throw new AudioDecodeException($"swr_convert failed: {LibAv.ErrorText(n)}.");
            full = n == capacity;
            return n;
        }
    }

    private int Conceal(Span<short> output)
    {
        if (_swr is null)
        {
            // Nothing decoded yet: silence at the output rate, of one nominal frame.
            int n = Math.Min(Config.FrameLength * OutputSampleRate / Config.SamplingFrequency, MaxSamplesPerPacket);
            output[..(n * OutputChannels)].Clear();
            return n;
        }
        nint swr = _swr.DangerousGetHandle();
        int ret = LibAv.SwrInjectSilence(swr, _lastInputFrameSamples);
        if (ret < 0) throw new AudioDecodeException($"swr_inject_silence failed: {LibAv.ErrorText(ret)}.");
        fixed (short* o = output)
        {
            byte* outPtr = (byte*)o;
            byte* dummy = null;
            // A non-null input array with zero samples converts what is buffered without flushing the filter.
            int n = LibAv.SwrConvert(swr, &outPtr, output.Length / OutputChannels, &dummy, 0);
            if (n < 0) throw new AudioDecodeException($"swr_convert failed: {LibAv.ErrorText(n)}.");
            return n;
        }
    }

    private void EnsureResampler(int format, int rate, LibAv.ChannelLayout* inLayout)
    {
        if (_swr is not null && format == _swrFormat && rate == _swrRate && inLayout->NbChannels == _swrChannels
            && inLayout->Order == _swrOrder && inLayout->Mask == _swrMask)
        {
            return;
        }
        // First frame, or the stream changed (implicit SBR/PS found, new configuration): a new resampler.
        _swr?.Dispose();
        _swr = null;
        LibAv.ChannelLayout outLayout;
        LibAv.ChannelLayoutDefault(&outLayout, OutputChannels);
        nint swr = 0;
        int ret = LibAv.SwrAllocSetOpts2(&swr, &outLayout, LibAv.SampleFormatS16, OutputSampleRate, inLayout, format, rate, 0, 0);
        if (ret < 0 || swr == 0) throw new AudioDecodeException($"swr_alloc_set_opts2 failed: {LibAv.ErrorText(ret)}.");
        var handle = new SwrContextHandle(swr);
        ret = LibAv.SwrInit(swr);
        if (ret < 0)
        {
            handle.Dispose();
            throw new AudioDecodeException($"swr_init failed for {inLayout->NbChannels} ch {rate} Hz format {format} -> {OutputChannels} ch {OutputSampleRate} Hz: {LibAv.ErrorText(ret)}.");
        }
        _swr = handle;
        _swrFormat = format;
        _swrRate = rate;
        _swrChannels = inLayout->NbChannels;
        _swrOrder = inLayout->Order;
        _swrMask = inLayout->Mask;
    }

    private void ResetResampler()
    {
        // Re-created from the next frame: swr has no public way to clear its history other than swr_init.
        _swr?.Dispose();
        _swr = null;
        _swrFormat = -1;
    }

    private void DisposeHandles()
    {
        _swr?.Dispose();
        _packet.Dispose();
        _frame.Dispose();
        _context.Dispose();
    }
}
