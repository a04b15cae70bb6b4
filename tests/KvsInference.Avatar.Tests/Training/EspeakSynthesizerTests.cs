using KvsInference.Avatar.Model;
using KvsInference.Avatar.Training;

namespace KvsInference.Tests.Training;

public class EspeakSynthesizerTests
{
    [Fact]
    public void Speak_Sentence_GivesOrderedPhonemeEventsInsideTheAudio()
    {
        var speech = EspeakSynthesizer.Speak("Hello world, how are you?", new SpeechVoice("en-us", 175, 50));
        Assert.Equal(22050, speech.SampleRate);
        Assert.InRange(speech.Samples.Length, 22050, 22050 * 4);
        Assert.True(speech.Phonemes.Count > 10);
        Assert.Contains(speech.Phonemes, p => p.Name == "oʊ");
        for (int i = 1; i < speech.Phonemes.Count; i++) Assert.True(speech.Phonemes[i].StartSample >= speech.Phonemes[i - 1].StartSample);
        Assert.All(speech.Phonemes, p => Assert.InRange(p.StartSample, 0, speech.Samples.Length));
    }

    [Fact]
    public void Synthesize_LeadSilence_IsLabelledSilenceAndSpeechIsNot()
    {
        var speech = LabelledSpeech.Synthesize("Father calls", new SpeechVoice("en-us", 175, 50), leadSamples: 8000);
        Assert.Equal(VisemeClass.Silence, speech.LabelAt(4000));
        var labels = Enumerable.Range(0, speech.Pcm.Length / 160).Select(i => speech.LabelAt(i * 160L)).ToHashSet();
        Assert.Contains(VisemeClass.Aa, labels);
        Assert.Contains(VisemeClass.Ih, labels);
        Assert.Equal(0, speech.UnknownPhonemes);
    }

    [Fact]
    public void Speak_UnknownVoice_ThrowsNamingIt()
    {
        var e = Assert.Throws<InvalidOperationException>(() => EspeakSynthesizer.Speak("hi", new SpeechVoice("xx-nonexistent", 175, 50)));
        Assert.Contains("xx-nonexistent", e.Message);
    }
}
