using KvsInference.Avatar.Model;
using KvsInference.Avatar.Training;

namespace KvsInference.Tests.Training;

public class PhoneAlignerTests
{
    [Fact]
    public void Align_OtherVoiceAndRateSameText_RecoversMostOfItsOwnTiming()
    {
        // As in DtwAlignerTests: the second voice knows its exact timing, the aligner sees only the class sequence of the
        // first (same accent, so the same phonemes). PocketSphinx's acoustic model must put most 10 ms frames in the right
        // class (83 % measured; 78 % without the 20 ms DelayFrames correction; DTW 83 %).
        const string text = "The person at extension is on the phone.";
        var reference = LabelledSpeech.Synthesize(text, new SpeechVoice("en-us+m1", 160, 50), 4000, 4000);
        var other = LabelledSpeech.Synthesize(text, new SpeechVoice("en-us+f2", 120, 70), 6000, 2000);
        using var aligner = new PhoneAligner();
        var aligned = aligner.Align(other.Pcm, reference);
        Assert.NotNull(aligned);
        var (same, labelled) = Agreement(aligned, other);
        var dtw = Agreement(DtwAligner.Align(other.Pcm, reference), other);
        Assert.True(same >= 0.78 * labelled, $"{same} of {labelled} labelled frames agree (DTW: {dtw.Same} of {dtw.Labelled})");
    }

    [Fact]
    public void Align_SeveralUtterancesInARow_EachAlignedAfterTheOther()
    {
        // One decoder serves many prompts (the grammar is replaced each time): the second result must not depend on the first.
        using var aligner = new PhoneAligner();
        var first = LabelledSpeech.Synthesize("Good morning.", new SpeechVoice("en-us", 160, 50), 3000, 3000);
        var second = LabelledSpeech.Synthesize("Thank you for calling.", new SpeechVoice("en-us+f3", 150, 60), 3000, 3000);
        var alone = new PhoneAligner().Align(second.Pcm, second);
        Assert.NotNull(aligner.Align(first.Pcm, first));
        var after = aligner.Align(second.Pcm, second);
        Assert.NotNull(after);
        Assert.Equal(alone!.Starts, after.Starts);
        Assert.Equal(alone.Classes, after.Classes);
    }

    [Fact]
    public void Align_TranscriptOfOtherText_ReturnsNullOrPoorAgreementNeverThrows()
    {
        // A wrong transcript must not crash the aligner; either no path fits or the labels are mostly wrong.
        using var aligner = new PhoneAligner();
        var speech = LabelledSpeech.Synthesize("Please hold.", new SpeechVoice("en-us", 160, 50), 3000, 3000);
        var wrong = LabelledSpeech.Synthesize("The mailbox is full; goodbye and thank you very much for calling today.", new SpeechVoice("en-us", 160, 50));
        var aligned = aligner.Align(speech.Pcm, wrong);
        if (aligned is not null) Assert.Equal(speech.Pcm.Length, aligned.Pcm.Length);
    }

    [Fact]
    public void Phones_EveryClassButSilence_HasPhonesOfTheAcousticModel()
    {
        foreach (var c in Enum.GetValues<VisemeClass>().Where(c => c != VisemeClass.Silence))
        {
            Assert.NotEmpty(PhoneAligner.Phones[c]);
        }
    }

    private static (int Same, int Labelled) Agreement(LabelledSpeech aligned, LabelledSpeech truth)
    {
        int frames = truth.Pcm.Length / 160, same = 0, labelled = 0;
        for (int f = 0; f < frames; f++)
        {
            var label = aligned.LabelAt(f * 160L);
            if (label == DtwAligner.Unlabelled) continue;
            labelled++;
            if (label == truth.LabelAt(f * 160L)) same++;
        }
        return (same, labelled);
    }
}
