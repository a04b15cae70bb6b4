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
        Assert.Equal(TrainingRecipe.KLettresSpeakers.Count, TrainingRecipe.KLettresSpeakers.Select(k => k.Name).Distinct().Count());
        foreach (var speaker in TrainingRecipe.KLettresSpeakers)
        {
            var speech = LabelledSpeech.FromSpeech(EspeakSynthesizer.Speak("ma", new SpeechVoice(speaker.EspeakVoice, 160, 50)));
            Assert.True(speech.UnknownPhonemes == 0, $"{speaker.Name} ({speaker.EspeakVoice}): {speech.UnknownPhonemes} phonemes without a viseme in \"ma\"");
            var labels = Enumerable.Range(0, speech.Pcm.Length / 160).Select(i => speech.LabelAt(i * 160L)).ToHashSet();
            Assert.Contains(VisemeClass.Pp, labels);
        }
        TrainingRecipe.CheckSourceNames(["klettres_ru", "klettres_uk"]);
    }

    [Fact]
    public void FilletsSpeakers_EachEspeakVoice_ReadsALineWithMappedPhonemes()
    {
        // As for KLettres: each voice's texts are read by its language's espeak-ng voice for the alignment (the game's data
        // are only installed for training), and each voice can be held out by name.
        Assert.Equal(TrainingRecipe.FilletsSpeakers.Count, TrainingRecipe.FilletsSpeakers.Select(f => f.Name).Distinct().Count());
        foreach (var speaker in TrainingRecipe.FilletsSpeakers)
        {
            var speech = LabelledSpeech.FromSpeech(EspeakSynthesizer.Speak("mama", new SpeechVoice(speaker.EspeakVoice, 160, 50)));
            Assert.True(speech.UnknownPhonemes == 0, $"{speaker.Name} ({speaker.EspeakVoice}): {speech.UnknownPhonemes} phonemes without a viseme in \"mama\"");
            var labels = Enumerable.Range(0, speech.Pcm.Length / 160).Select(i => speech.LabelAt(i * 160L)).ToHashSet();
            Assert.Contains(VisemeClass.Pp, labels);
        }
        TrainingRecipe.CheckSourceNames(TrainingRecipe.FilletsSpeakers.Select(f => f.Name));
    }
}
