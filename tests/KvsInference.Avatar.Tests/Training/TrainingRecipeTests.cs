using KvsInference.Avatar.Model;
using KvsInference.Avatar.Training;

namespace KvsInference.Tests.Training;

public class TrainingRecipeTests
{
    [Fact]
    public void LanguageVoices_EachCorpusSentence_IsSpokenWithMappedPhonemesAndVowels()
    {
        // Every voice of the opt-in language recipe exists in espeak-ng, its corpus is embedded, and the table maps the
        // phonemes of its language (a sentence whose phonemes all fell back to the previous class would teach nothing).
        foreach (var (voice, corpusName) in TrainingRecipe.LanguageVoices)
        {
            var corpus = LabelledSpeech.LoadCorpus(corpusName);
            Assert.True(corpus.Count >= 30, $"{corpusName}: {corpus.Count} sentences");
            var speech = LabelledSpeech.FromSpeech(EspeakSynthesizer.Speak(corpus[0], voice));
            Assert.True(speech.UnknownPhonemes <= 1, $"{voice}: {speech.UnknownPhonemes} phonemes without a viseme in \"{corpus[0]}\"");
            var labels = Enumerable.Range(0, speech.Pcm.Length / 160).Select(i => speech.LabelAt(i * 160L)).ToHashSet();
            Assert.True(labels.Count(l => l < VisemeClass.Silence) >= 3, $"{voice}: vowel classes {string.Join(", ", labels)}");
        }
    }
}
