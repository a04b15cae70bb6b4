using KvsInference.Avatar.Model;
using KvsInference.Avatar.Training;

namespace KvsInference.Tests.Training;

public class TrainingRecipeTests
{
    /// <summary>The held-out espeak-ng voices are unseen: no training voice has their variant (the voice's character),
    /// and two of their three accents are in no training voice at all.</summary>
    [Fact]
    public void TrainVoices_HeldOutVoices_ShareNoVariantAndNotTheirAccents()
    {
        static (string Accent, string Variant) Split(SpeechVoice v) => v.Voice.Split('+') is [var accent, var variant] ? (accent, variant) : (v.Voice, "");
        var train = TrainingRecipe.TrainVoices.Select(Split).ToList();
        var unseenAccents = 0;
        foreach (var held in TrainingRecipe.EvalVoices.Select(Split))
        {
            Assert.DoesNotContain(train, t => string.Equals(t.Variant, held.Variant, StringComparison.OrdinalIgnoreCase));
            if (!train.Any(t => t.Accent == held.Accent)) unseenAccents++;
        }
        Assert.Equal(2, unseenAccents);
        Assert.Equal(TrainingRecipe.TrainVoices.Count, TrainingRecipe.TrainVoices.Select(v => v.Voice).Distinct().Count());
    }

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

    [Fact]
    public void KLettresSpeakers_EachEspeakVoice_ReadsASyllableWithMappedPhonemes()
    {
        // The alignment reads each language's texts with its espeak-ng voice: the voice must exist and the phoneme table
        // must map what it says (klettres-data itself is only installed for training, scripts/setup-training).
        AssertEachReadsLips(TrainingRecipe.KLettresSpeakers.Select(k => (k.Name, k.EspeakVoice)).ToList(), "ma");
        TrainingRecipe.CheckSourceNames(["klettres_ru", "klettres_uk"]);
    }

    [Fact]
    public void FilletsSpeakers_EachEspeakVoice_ReadsAWordWithMappedPhonemes()
    {
        // As for KLettres (the game's data are only installed for training); each voice can be held out by name.
        AssertEachReadsLips(TrainingRecipe.FilletsSpeakers.Select(f => (f.Name, f.EspeakVoice)).ToList(), "mama");
        TrainingRecipe.CheckSourceNames(TrainingRecipe.FilletsSpeakers.Select(f => f.Name));
    }

    /// <summary>Asserts distinct names, and that each voice reads <paramref name="text"/> with every phoneme mapped and a /p b m/ in its labels.</summary>
    private static void AssertEachReadsLips(IReadOnlyList<(string Name, string EspeakVoice)> sources, string text)
    {
        Assert.Equal(sources.Count, sources.Select(s => s.Name).Distinct().Count());
        foreach (var (name, espeakVoice) in sources)
        {
            var speech = LabelledSpeech.FromSpeech(EspeakSynthesizer.Speak(text, new SpeechVoice(espeakVoice, 160, 50)));
            Assert.True(speech.UnknownPhonemes == 0, $"{name} ({espeakVoice}): {speech.UnknownPhonemes} phonemes without a viseme in \"{text}\"");
            var labels = Enumerable.Range(0, speech.Pcm.Length / 160).Select(i => speech.LabelAt(i * 160L)).ToHashSet();
            Assert.Contains(VisemeClass.Pp, labels);
        }
    }
}
