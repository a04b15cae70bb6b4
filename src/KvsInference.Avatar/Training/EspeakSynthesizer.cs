using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace KvsInference.Avatar.Training;

/// <summary>One phoneme of synthesized speech: its IPA name and where it starts, in output samples.</summary>
/// <param name="Name">The IPA name as espeak-ng reports it (empty for a pause).</param>
/// <param name="StartSample">The first sample of the phoneme at the synthesizer's sample rate.</param>
internal readonly record struct PhonemeEvent(string Name, int StartSample);

/// <summary>Synthesized speech with its exact phoneme timing.</summary>
/// <param name="Samples">Mono 16-bit samples.</param>
/// <param name="SampleRate">The sample rate (22050 Hz for espeak-ng).</param>
/// <param name="Phonemes">The phonemes in time order.</param>
internal sealed record SynthesizedSpeech(short[] Samples, int SampleRate, IReadOnlyList<PhonemeEvent> Phonemes);

/// <summary>A voice setting for synthesis.</summary>
/// <param name="Voice">An espeak-ng voice name, optionally with a variant ("en-us+f3").</param>
/// <param name="WordsPerMinute">Speaking rate (80..450; 175 is normal).</param>
/// <param name="Pitch">Base pitch 0..100 (50 is normal).</param>
internal readonly record struct SpeechVoice(string Voice, int WordsPerMinute, int Pitch)
{
    public override string ToString() => $"{Voice}@{WordsPerMinute}wpm/p{Pitch}";
}

/// <summary>
/// Speaks text with libespeak-ng in synchronous mode and collects both the audio and the phoneme events
/// (espeakEVENT_PHONEME with IPA names), so every phoneme's start sample is known exactly.
/// </summary>
/// <remarks>libespeak-ng is a process-wide singleton: every call is serialised by one lock.</remarks>
internal static unsafe class EspeakSynthesizer
{
    private static readonly Lock Gate = new();
    private static int _sampleRate;
    // Collected by the callback during one Synth call (under Gate).
    private static List<short>? _samples;
    private static List<PhonemeEvent>? _events;

    /// <summary>Synthesizes <paramref name="text"/> with <paramref name="voice"/>.</summary>
    /// <exception cref="InvalidOperationException">libespeak-ng is missing, or refuses the voice or the text.</exception>
    public static SynthesizedSpeech Speak(string text, SpeechVoice voice)
    {
        lock (Gate)
        {
            EnsureInitialized();
            if (EspeakNative.SetVoiceByName(voice.Voice) != 0) throw new InvalidOperationException($"espeak-ng has no voice '{voice.Voice}'");
            EspeakNative.SetParameter(EspeakNative.ParameterRate, voice.WordsPerMinute, 0);
            EspeakNative.SetParameter(EspeakNative.ParameterPitch, voice.Pitch, 0);
            _samples = new List<short>(_sampleRate * 4);
            _events = [];
            // Same text and voice, same samples: training must be reproducible byte for byte.
            EspeakNative.SeedLibcRandom(1);
            var bytes = Encoding.UTF8.GetBytes(text + "\0");
            fixed (byte* p = bytes)
            {
                int rc = EspeakNative.Synth(p, (nuint)bytes.Length, 0, EspeakNative.PositionCharacter, 0, EspeakNative.CharsUtf8, null, null);
                if (rc != 0) throw new InvalidOperationException($"espeak_Synth failed with status {rc}");
            }
            EspeakNative.Synchronize();
            var result = new SynthesizedSpeech([.. _samples], _sampleRate, _events);
            _samples = null;
            _events = null;
            return result;
        }
    }

    private static void EnsureInitialized()
    {
        if (_sampleRate != 0) return;
        int rate;
        try
        {
            rate = EspeakNative.Initialize(EspeakNative.AudioOutputSynchronous, 200, null,
                EspeakNative.InitializePhonemeEvents | EspeakNative.InitializePhonemeIpa | EspeakNative.InitializeDontExit);
        }
        catch (DllNotFoundException e)
        {
            throw new InvalidOperationException("libespeak-ng.so.1 is not installed (apt-get install libespeak-ng1 espeak-ng)", e);
        }
        if (rate <= 0) throw new InvalidOperationException($"espeak_Initialize failed ({rate})");
        EspeakNative.SetSynthCallback(&OnSynth);
        _sampleRate = rate;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnSynth(short* wav, int count, EspeakNative.Event* events)
    {
        var samples = _samples;
        var list = _events;
        if (samples is null || list is null) return 1;
        for (var e = events; e->Type != EspeakNative.EventListTerminated; e++)
        {
            if (e->Type != EspeakNative.EventPhoneme) continue;
            int length = 0;
            while (length < 8 && e->Id[length] != 0) length++;
            list.Add(new PhonemeEvent(Encoding.UTF8.GetString(e->Id, length), e->Sample));
        }
        if (wav is not null && count > 0) samples.AddRange(new ReadOnlySpan<short>(wav, count));
        return 0; // continue synthesis
    }
}
