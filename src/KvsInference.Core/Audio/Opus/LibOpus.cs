using System.Runtime.InteropServices;

namespace KvsInference.Audio.Opus;

/// <summary>
/// P/Invoke declarations of the native libopus decoder API (libopus.so.0, the runtime package's soname,
/// not the libopus.so symlink that only the -dev package installs).
/// </summary>
/// <remarks>
/// The <c>*_ctl</c> functions are variadic in C. They are declared here with one <c>int</c> argument: on the
/// System V x86-64 and AArch64 Linux ABIs an integer variadic argument travels exactly like a fixed one.
/// </remarks>
internal static unsafe partial class LibOpus
{
    public const string LibraryName = "libopus.so.0";

    public const int OpusOk = 0;
    public const int OpusResetState = 4028;
    public const int OpusSetGainRequest = 4034;
    public const int OpusGetLastPacketDurationRequest = 4039;

    private static readonly Lazy<bool> s_available = new(() =>
    {
        if (!NativeLibrary.TryLoad(LibraryName, typeof(LibOpus).Assembly, null, out var handle)) return false;
        // Keep the handle loaded for the life of the process: the P/Invoke stubs resolve to the same library.
        return handle != IntPtr.Zero;
    });

    /// <summary>Gets whether libopus.so.0 can be loaded (probed once per process).</summary>
    public static bool IsAvailable => s_available.Value;

    [LibraryImport(LibraryName)]
    public static partial OpusDecoderSafeHandle opus_decoder_create(int fs, int channels, out int error);

    [LibraryImport(LibraryName)]
    public static partial int opus_decode(OpusDecoderSafeHandle st, byte* data, int len, short* pcm, int frameSize, int decodeFec);

    [LibraryImport(LibraryName)]
    public static partial int opus_decoder_ctl(OpusDecoderSafeHandle st, int request, int value);

    [LibraryImport(LibraryName)]
    public static partial int opus_decoder_ctl(OpusDecoderSafeHandle st, int request, int* value);

    [LibraryImport(LibraryName)]
    public static partial void opus_decoder_destroy(IntPtr st);

    [LibraryImport(LibraryName)]
    public static partial OpusMultistreamDecoderSafeHandle opus_multistream_decoder_create(
        int fs, int channels, int streams, int coupledStreams, byte* mapping, out int error);

    [LibraryImport(LibraryName)]
    public static partial int opus_multistream_decode(OpusMultistreamDecoderSafeHandle st, byte* data, int len, short* pcm, int frameSize, int decodeFec);

    [LibraryImport(LibraryName)]
    public static partial int opus_multistream_decoder_ctl(OpusMultistreamDecoderSafeHandle st, int request, int value);

    [LibraryImport(LibraryName)]
    public static partial int opus_multistream_decoder_ctl(OpusMultistreamDecoderSafeHandle st, int request, int* value);

    [LibraryImport(LibraryName)]
    public static partial void opus_multistream_decoder_destroy(IntPtr st);

    [LibraryImport(LibraryName)]
    public static partial byte* opus_get_version_string();

    [LibraryImport(LibraryName)]
    public static partial byte* opus_strerror(int error);

    [LibraryImport(LibraryName)]
    public static partial int opus_packet_get_nb_samples(byte* packet, int len, int fs);

    [LibraryImport(LibraryName)]
    public static partial int opus_packet_get_nb_channels(byte* packet);

    /// <summary>Gets the libopus version string, for example "libopus 1.3.1".</summary>
    public static string VersionString() => Marshal.PtrToStringUTF8((IntPtr)opus_get_version_string()) ?? "libopus";

    /// <summary>Gets the text libopus gives for an error code, with the code.</summary>
    public static string ErrorText(int error) =>
        $"{Marshal.PtrToStringUTF8((IntPtr)opus_strerror(error)) ?? "unknown error"} ({ErrorName(error)}, {error})";

    private static string ErrorName(int error) => error switch
    {
        -1 => "OPUS_BAD_ARG",
        -2 => "OPUS_BUFFER_TOO_SMALL",
        -3 => "OPUS_INTERNAL_ERROR",
        -4 => "OPUS_INVALID_PACKET",
        -5 => "OPUS_UNIMPLEMENTED",
        -6 => "OPUS_INVALID_STATE",
        -7 => "OPUS_ALLOC_FAIL",
        _ => "OPUS_UNKNOWN",
    };
}

/// <summary>Owns a native <c>OpusDecoder*</c>.</summary>
internal sealed class OpusDecoderSafeHandle : SafeHandle
{
    public OpusDecoderSafeHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LibOpus.opus_decoder_destroy(handle);
        return true;
    }
}

/// <summary>Owns a native <c>OpusMSDecoder*</c>.</summary>
internal sealed class OpusMultistreamDecoderSafeHandle : SafeHandle
{
    public OpusMultistreamDecoderSafeHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LibOpus.opus_multistream_decoder_destroy(handle);
        return true;
    }
}
