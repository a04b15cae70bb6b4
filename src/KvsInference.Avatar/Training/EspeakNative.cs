using System.Runtime.InteropServices;

namespace KvsInference.Avatar.Training;

/// <summary>
/// P/Invoke binding of the few libespeak-ng calls training needs (Debian package libespeak-ng1).
/// Layouts and constants from espeak-ng/speak_lib.h (1.51).
/// </summary>
internal static unsafe partial class EspeakNative
{
    private const string Library = "libespeak-ng.so.1";

    public const int AudioOutputSynchronous = 2;
    public const int InitializePhonemeEvents = 0x0001;
    public const int InitializePhonemeIpa = 0x0002;
    public const int InitializeDontExit = 0x8000;
    public const int PositionCharacter = 1;
    public const uint CharsUtf8 = 1;
    public const int ParameterRate = 1;
    public const int ParameterPitch = 3;
    public const int ParameterRange = 4;

    public const int EventListTerminated = 0;
    public const int EventPhoneme = 7;

    /// <summary>espeak_EVENT (40 bytes on 64-bit Linux).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Event
    {
        public int Type;
        public uint UniqueIdentifier;
        public int TextPosition;
        public int Length;
        public int AudioPositionMs;
        public int Sample;          // the event's position in output samples
        public nint UserData;
        public fixed byte Id[8];    // phoneme name (UTF-8), zero-terminated unless 8 bytes long
    }

    [LibraryImport(Library, EntryPoint = "espeak_Initialize", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Initialize(int output, int bufferLengthMs, string? path, int options);

    [LibraryImport(Library, EntryPoint = "espeak_SetSynthCallback")]
    public static partial void SetSynthCallback(delegate* unmanaged[Cdecl]<short*, int, Event*, int> callback);

    [LibraryImport(Library, EntryPoint = "espeak_SetVoiceByName", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SetVoiceByName(string name);

    [LibraryImport(Library, EntryPoint = "espeak_SetParameter")]
    public static partial int SetParameter(int parameter, int value, int relative);

    [LibraryImport(Library, EntryPoint = "espeak_Synth")]
    public static partial int Synth(byte* text, nuint size, uint position, int positionType, uint endPosition, uint flags, uint* uniqueIdentifier, void* userData);

    /// <summary>libc srand: espeak-ng draws noise (fricatives, breath) from rand() and seeds it from the clock.</summary>
    [LibraryImport("libc.so.6", EntryPoint = "srand")]
    public static partial void SeedLibcRandom(uint seed);

    [LibraryImport(Library, EntryPoint = "espeak_Synchronize")]
    public static partial int Synchronize();
}
