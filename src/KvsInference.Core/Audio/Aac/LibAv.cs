using System.Runtime.InteropServices;

namespace KvsInference.Audio.Aac;

/// <summary>
/// The few libavcodec / libavutil / libswresample calls the AAC decoder needs (FFmpeg 5.1, as Debian 12 ships it).
/// </summary>
/// <remarks>
/// Library names carry the ABI major version (libavcodec.so.59, libavutil.so.57, libswresample.so.4): the struct
/// offsets below are those of exactly these majors, so a different major must not be picked up by accident.
/// Only the runtime .so files are needed, not the -dev packages.
/// Struct fields are read at offsets checked against the FFmpeg 5.1 headers (offsetof on x86-64 and arm64, LP64);
/// <see cref="AacDecoder"/> also sanity-checks every frame it reads, so a layout mismatch becomes an error, not garbage.
/// </remarks>
internal static unsafe partial class LibAv
{
    public const string AvCodec = "libavcodec.so.59";
    public const string AvUtil = "libavutil.so.57";
    public const string SwResample = "libswresample.so.4";

    public const int AvCodecMajor = 59;
    public const int AvUtilMajor = 57;
    public const int SwResampleMajor = 4;

    /// <summary>AV_CODEC_ID_AAC.</summary>
    public const int CodecIdAac = 0x15002;
    /// <summary>AVMEDIA_TYPE_AUDIO.</summary>
    public const int MediaTypeAudio = 1;
    /// <summary>AV_SAMPLE_FMT_S16 (interleaved signed 16-bit).</summary>
    public const int SampleFormatS16 = 1;
    /// <summary>Highest AVSampleFormat value in libavutil 57 (AV_SAMPLE_FMT_S64P); used to sanity-check frames.</summary>
    public const int SampleFormatMax = 11;
    /// <summary>AV_INPUT_BUFFER_PADDING_SIZE: zeroed bytes every input buffer needs past its end (bit readers over-read).</summary>
    public const int InputBufferPaddingSize = 64;
    /// <summary>AVERROR(EAGAIN) on Linux.</summary>
    public const int ErrorAgain = -11;
    /// <summary>AVERROR_EOF.</summary>
    public const int ErrorEof = -0x20464F45;
    /// <summary>AV_LOG_FATAL: keeps libav's own stderr logging for real failures only; errors reach callers as exceptions.</summary>
    public const int LogLevelFatal = 8;

    // AVFrame (libavutil 57.28, FFmpeg 5.1): offsets from offsetof() on the 5.1 headers.
    public const int FrameExtendedData = 96;
    public const int FrameNbSamples = 112;
    public const int FrameFormat = 116;
    public const int FrameSampleRate = 208;
    public const int FrameChLayout = 448;

    // AVPacket: buf at 0, data at 24, size at 32.
    public const int PacketBuf = 0;
    public const int PacketData = 24;
    public const int PacketSize = 32;

    // AVCodecParameters: codec_type at 0, codec_id at 4, extradata at 16, extradata_size at 24 (stable since FFmpeg 3.1).
    public const int ParCodecType = 0;
    public const int ParCodecId = 4;
    public const int ParExtradata = 16;
    public const int ParExtradataSize = 24;

    /// <summary>AVChannelLayout (24 bytes): order, nb_channels, u.mask, opaque.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ChannelLayout
    {
        public int Order;
        public int NbChannels;
        public ulong Mask;
        public nint Opaque;
    }

    // libavutil
    [LibraryImport(AvUtil, EntryPoint = "avutil_version")]
    public static partial uint AvUtilVersion();

    [LibraryImport(AvUtil, EntryPoint = "av_mallocz")]
    public static partial nint Mallocz(nuint size);

    [LibraryImport(AvUtil, EntryPoint = "av_strerror")]
    public static partial int StrError(int errnum, byte* buffer, nuint size);

    [LibraryImport(AvUtil, EntryPoint = "av_frame_alloc")]
    public static partial nint FrameAlloc();

    [LibraryImport(AvUtil, EntryPoint = "av_frame_free")]
    public static partial void FrameFree(nint* frame);

    [LibraryImport(AvUtil, EntryPoint = "av_frame_unref")]
    public static partial void FrameUnref(nint frame);

    [LibraryImport(AvUtil, EntryPoint = "av_buffer_is_writable")]
    public static partial int BufferIsWritable(nint buffer);

    [LibraryImport(AvUtil, EntryPoint = "av_channel_layout_default")]
    public static partial void ChannelLayoutDefault(ChannelLayout* layout, int channels);

    [LibraryImport(AvUtil, EntryPoint = "av_log_set_level")]
    public static partial void LogSetLevel(int level);

    // libavcodec
    [LibraryImport(AvCodec, EntryPoint = "avcodec_version")]
    public static partial uint AvCodecVersion();

    [LibraryImport(AvCodec, EntryPoint = "avcodec_find_decoder")]
    public static partial nint FindDecoder(int codecId);

    [LibraryImport(AvCodec, EntryPoint = "avcodec_alloc_context3")]
    public static partial nint AllocContext(nint codec);

    [LibraryImport(AvCodec, EntryPoint = "avcodec_free_context")]
    public static partial void FreeContext(nint* context);

    [LibraryImport(AvCodec, EntryPoint = "avcodec_parameters_alloc")]
    public static partial nint ParametersAlloc();

    [LibraryImport(AvCodec, EntryPoint = "avcodec_parameters_free")]
    public static partial void ParametersFree(nint* parameters);

    [LibraryImport(AvCodec, EntryPoint = "avcodec_parameters_to_context")]
    public static partial int ParametersToContext(nint context, nint parameters);

    [LibraryImport(AvCodec, EntryPoint = "avcodec_open2")]
    public static partial int Open(nint context, nint codec, nint options);

    [LibraryImport(AvCodec, EntryPoint = "avcodec_send_packet")]
    public static partial int SendPacket(nint context, nint packet);

    [LibraryImport(AvCodec, EntryPoint = "avcodec_receive_frame")]
    public static partial int ReceiveFrame(nint context, nint frame);

    [LibraryImport(AvCodec, EntryPoint = "avcodec_flush_buffers")]
    public static partial void FlushBuffers(nint context);

    [LibraryImport(AvCodec, EntryPoint = "av_packet_alloc")]
    public static partial nint PacketAlloc();

    [LibraryImport(AvCodec, EntryPoint = "av_packet_free")]
    public static partial void PacketFree(nint* packet);

    [LibraryImport(AvCodec, EntryPoint = "av_packet_unref")]
    public static partial void PacketUnref(nint packet);

    [LibraryImport(AvCodec, EntryPoint = "av_new_packet")]
    public static partial int NewPacket(nint packet, int size);

    // libswresample
    [LibraryImport(SwResample, EntryPoint = "swresample_version")]
    public static partial uint SwResampleVersion();

    [LibraryImport(SwResample, EntryPoint = "swr_alloc_set_opts2")]
    public static partial int SwrAllocSetOpts2(nint* swr, ChannelLayout* outLayout, int outFormat, int outRate,
        void* inLayout, int inFormat, int inRate, int logOffset, nint logContext);

    [LibraryImport(SwResample, EntryPoint = "swr_init")]
    public static partial int SwrInit(nint swr);

    [LibraryImport(SwResample, EntryPoint = "swr_free")]
    public static partial void SwrFree(nint* swr);

    [LibraryImport(SwResample, EntryPoint = "swr_convert")]
    public static partial int SwrConvert(nint swr, byte** output, int outCount, byte** input, int inCount);

    [LibraryImport(SwResample, EntryPoint = "swr_inject_silence")]
    public static partial int SwrInjectSilence(nint swr, int count);

    /// <summary>The text of a libav error code (av_strerror), with the code.</summary>
    public static string ErrorText(int error)
    {
        byte* buffer = stackalloc byte[128];
        if (StrError(error, buffer, 128) < 0) return $"libav error {error}";
        return $"{Marshal.PtrToStringUTF8((nint)buffer)} ({error})";
    }

    /// <summary>Formats a libav version number (major &lt;&lt; 16 | minor &lt;&lt; 8 | micro).</summary>
    public static string VersionText(uint version) => $"{version >> 16}.{(version >> 8) & 0xFF}.{version & 0xFF}";
}
