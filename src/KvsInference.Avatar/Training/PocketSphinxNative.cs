using System.Runtime.InteropServices;

namespace KvsInference.Avatar.Training;

/// <summary>
/// P/Invoke binding of the few libpocketsphinx calls the phone aligner needs (Debian packages libpocketsphinx3,
/// libsphinxbase3 and the acoustic model pocketsphinx-en-us; API of pocketsphinx 5prealpha).
/// </summary>
internal static unsafe partial class PocketSphinxNative
{
    private const string Library = "libpocketsphinx.so.3";
    private const string BaseLibrary = "libsphinxbase.so.3";

    [LibraryImport(Library, EntryPoint = "ps_args")]
    public static partial nint Args();

    [LibraryImport(BaseLibrary, EntryPoint = "cmd_ln_parse_r")]
    public static partial nint ParseConfig(nint existing, nint definitions, int argc, byte** argv, int strict);

    [LibraryImport(Library, EntryPoint = "ps_init")]
    public static partial nint Init(nint config);

    [LibraryImport(Library, EntryPoint = "ps_free")]
    public static partial int Free(nint decoder);

    [LibraryImport(Library, EntryPoint = "ps_set_jsgf_string", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SetJsgfString(nint decoder, string name, string jsgf);

    [LibraryImport(Library, EntryPoint = "ps_set_search", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SetSearch(nint decoder, string name);

    [LibraryImport(Library, EntryPoint = "ps_start_utt")]
    public static partial int StartUtterance(nint decoder);

    [LibraryImport(Library, EntryPoint = "ps_process_raw")]
    public static partial int ProcessRaw(nint decoder, short* data, nuint samples, int noSearch, int fullUtterance);

    [LibraryImport(Library, EntryPoint = "ps_end_utt")]
    public static partial int EndUtterance(nint decoder);

    [LibraryImport(Library, EntryPoint = "ps_get_hyp")]
    public static partial nint GetHypothesis(nint decoder, int* bestScore);

    // 5prealpha takes the decoder only; older releases also wrote the best score through a second pointer, which
    // is passed (and ignored by 5prealpha) so that either signature is called safely.
    [LibraryImport(Library, EntryPoint = "ps_seg_iter")]
    public static partial nint SegmentIterator(nint decoder, int* bestScore);

    [LibraryImport(Library, EntryPoint = "ps_seg_next")]
    public static partial nint SegmentNext(nint segment);

    [LibraryImport(Library, EntryPoint = "ps_seg_word")]
    public static partial nint SegmentWord(nint segment);

    [LibraryImport(Library, EntryPoint = "ps_seg_frames")]
    public static partial void SegmentFrames(nint segment, int* startFrame, int* endFrame);
}
