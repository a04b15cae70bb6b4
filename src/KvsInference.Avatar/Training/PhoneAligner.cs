using System.Runtime.InteropServices;
using System.Text;
using KvsInference.Avatar.Features;
using KvsInference.Avatar.Model;

namespace KvsInference.Avatar.Training;

/// <summary>
/// Forced alignment with PocketSphinx's US English acoustic model (trained on recorded speech, not by this project):
/// the viseme classes of espeak-ng's phonemes of the transcript become a grammar of phone alternatives (each class
/// may be any CMU phone that makes its mouth shape, so French or Italian phonemes find their nearest English
/// phones), silence may come between any two, and the Viterbi path gives each class its frames in the recording.
/// </summary>
/// <remarks>One decoder per instance; not thread-safe. Needs pocketsphinx-en-us, libpocketsphinx3 (scripts/setup).</remarks>
internal sealed unsafe class PhoneAligner : IDisposable
{
    /// <summary>The acoustic model directory of Debian's pocketsphinx-en-us.</summary>
    public const string AcousticModel = "/usr/share/pocketsphinx/model/en-us/en-us";

    /// <summary>The CMU phones (of the acoustic model) that make each class's mouth shape.</summary>
    internal static readonly IReadOnlyDictionary<VisemeClass, string[]> Phones = new Dictionary<VisemeClass, string[]>
    {
        [VisemeClass.Aa] = ["AA", "AE", "AH", "AY", "AW"],
        [VisemeClass.Ih] = ["IH", "AH", "ER"],
        [VisemeClass.Ou] = ["UW", "UH", "W"],
        [VisemeClass.Ee] = ["EH", "EY", "IY", "Y"],
        [VisemeClass.Oh] = ["OW", "AO", "OY"],
        [VisemeClass.Pp] = ["P", "B", "M"],
        [VisemeClass.Ff] = ["F", "V"],
        [VisemeClass.Th] = ["TH", "DH"],
        [VisemeClass.Dd] = ["T", "D"],
        [VisemeClass.Kk] = ["K", "G", "NG", "HH"],
        [VisemeClass.Ch] = ["SH", "ZH", "CH", "JH"],
        [VisemeClass.Ss] = ["S", "Z"],
        [VisemeClass.Nn] = ["N", "L"],
        [VisemeClass.Rr] = ["R", "ER"],
    };

    /// <summary>
    /// PocketSphinx's segment frames come out ahead of the phoneme boundaries: 2 to 3 frames on espeak-ng speech of
    /// known timing (PhoneAlignerTests), so every boundary is moved 2 frames (20 ms) later.
    /// </summary>
    internal const int DelayFrames = 2;

    private const string SearchName = "align";
    private readonly string _dictionary;
    private nint _decoder;

    /// <summary>Loads the acoustic model.</summary>
    /// <exception cref="InvalidOperationException">PocketSphinx or its US English model is not installed.</exception>
    public PhoneAligner()
    {
        if (!Directory.Exists(AcousticModel)) throw new InvalidOperationException($"the PocketSphinx acoustic model {AcousticModel} is missing (apt-get install pocketsphinx-en-us libpocketsphinx3)");
        // Each phone is a word of its own; fillers (silence, noise) come from the model's noise dictionary.
        _dictionary = Path.GetTempFileName();
        File.WriteAllLines(_dictionary, Phones.Values.SelectMany(p => p).Distinct().Order(StringComparer.Ordinal).Select(p => $"{p} {p}"));
        string[] args =
        [
            // argv[0] is the program name, as in main().
            "kvsinference", "-hmm", AcousticModel, "-dict", _dictionary, "-logfn", "/dev/null",
            // Keep every frame (no VAD dropping silence: frame numbers must be times) and no spectral subtraction.
            "-remove_silence", "no", "-remove_noise", "no", "-bestpath", "no", "-cmn", "batch",
            "-beam", "1e-60", "-pbeam", "1e-60", "-wbeam", "1e-40",
        ];
        try
        {
            var config = Parse(args);
            if (config == 0) throw new InvalidOperationException("PocketSphinx refused its configuration");
            _decoder = PocketSphinxNative.Init(config);
            if (_decoder == 0) throw new InvalidOperationException($"PocketSphinx could not load the acoustic model {AcousticModel}");
        }
        catch (DllNotFoundException e)
        {
            File.Delete(_dictionary);
            throw new InvalidOperationException("libpocketsphinx.so.3 is not installed (apt-get install libpocketsphinx3 pocketsphinx-en-us)", e);
        }
    }

    /// <summary>
    /// Aligns <paramref name="recording"/> with the classes of <paramref name="transcript"/> (espeak-ng's speech of the
    /// same text: only its class sequence is used, not its timing).
    /// </summary>
    /// <returns>The labelled recording, or null when no path through the grammar fits the recording.</returns>
    public LabelledSpeech? Align(short[] recording, LabelledSpeech transcript)
    {
        ObjectDisposedException.ThrowIf(_decoder == 0, this);
        var items = new List<VisemeClass>();
        foreach (var c in transcript.Classes)
        {
            if (c == VisemeClass.Silence || c == DtwAligner.Unlabelled) continue;
            // Repeats of a class are one mouth shape; one item keeps the grammar fitting fast speech (3 frames a phone).
            if (items.Count > 0 && items[^1] == c) continue;
            items.Add(c);
        }
        if (items.Count == 0 || recording.Length < FeatureConstants.WindowSamples) return null;
        var grammar = new StringBuilder("#JSGF V1.0;\ngrammar align;\npublic <s> =");
        foreach (var c in items) grammar.Append(" (").Append(string.Join(" | ", Phones[c])).Append(')');
        grammar.Append(";\n");
        if (PocketSphinxNative.SetJsgfString(_decoder, SearchName, grammar.ToString()) != 0) return null;
        if (PocketSphinxNative.SetSearch(_decoder, SearchName) != 0) return null;
        if (PocketSphinxNative.StartUtterance(_decoder) < 0) return null;
        fixed (short* p = recording)
        {
            if (PocketSphinxNative.ProcessRaw(_decoder, p, (nuint)recording.Length, 0, 1) < 0)
            {
                PocketSphinxNative.EndUtterance(_decoder);
                return null;
            }
        }
        if (PocketSphinxNative.EndUtterance(_decoder) < 0) return null;
        int score;
        if (PocketSphinxNative.GetHypothesis(_decoder, &score) == 0) return null;

        var starts = new List<long>();
        var classes = new List<VisemeClass>();
        int next = 0;
        for (var seg = PocketSphinxNative.SegmentIterator(_decoder, &score); seg != 0; seg = PocketSphinxNative.SegmentNext(seg))
        {
            var word = Marshal.PtrToStringUTF8(PocketSphinxNative.SegmentWord(seg)) ?? "";
            int startFrame, endFrame;
            PocketSphinxNative.SegmentFrames(seg, &startFrame, &endFrame);
            VisemeClass label;
            if (word.StartsWith('<') || word.StartsWith('['))
            {
                // <sil>, <s>, </s>: silence; [NOISE], [SPEECH] (breath, clicks): not a phone of the transcript.
                label = word.StartsWith('[') ? DtwAligner.Unlabelled : VisemeClass.Silence;
            }
            else
            {
                if (next >= items.Count) return null;
                label = items[next++];
            }
            long start = (long)(startFrame + DelayFrames) * FeatureConstants.HopSamples;
            if (starts.Count > 0 && start <= starts[^1])
            {
                classes[^1] = label;
                continue;
            }
            if (starts.Count > 0 && classes[^1] == label) continue;
            starts.Add(start);
            classes.Add(label);
        }
        // A path that ends early (the search did not reach the grammar's final state) is no alignment.
        if (next != items.Count || starts.Count == 0) return null;
        if (starts[0] > 0)
        {
            starts.Insert(0, 0);
            classes.Insert(0, VisemeClass.Silence);
        }
        return LabelledSpeech.FromTimings(recording, [.. starts], [.. classes]);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_decoder != 0)
        {
            PocketSphinxNative.Free(_decoder);
            _decoder = 0;
        }
        File.Delete(_dictionary);
    }

    private static nint Parse(string[] args)
    {
        var handles = args.Select(a => Marshal.StringToCoTaskMemUTF8(a)).ToArray();
        try
        {
            fixed (nint* argv = handles)
            {
                return PocketSphinxNative.ParseConfig(0, PocketSphinxNative.Args(), handles.Length, (byte**)argv, 1);
            }
        }
        finally
        {
            foreach (var h in handles) Marshal.FreeCoTaskMem(h);
        }
    }
}
