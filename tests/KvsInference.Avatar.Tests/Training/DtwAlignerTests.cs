using KvsInference.Avatar.Training;

namespace KvsInference.Tests.Training;

public class DtwAlignerTests
{
    [Fact]
    public void Align_OtherVoiceAndRateSameText_RecoversMostOfItsOwnTiming()
    {
        // Two espeak-ng voices at different rates both know their exact timing: aligning the second onto the first's
        // timing must land most 10 ms frames in the right class (the alignment that labels the recorded speakers). Stop
        // closures of 80 ms or more become silence by the level check, so about a third may differ.
        const string text = "Please enter your mailbox number followed by the pound key.";
        int quarter = 4000;
        var reference = LabelledSpeech.Synthesize(text, new SpeechVoice("en-us", 160, 50), quarter, quarter);
        var other = LabelledSpeech.Synthesize(text, new SpeechVoice("en-gb-x-rp+f2", 120, 70), 6000, 2000);
        var aligned = DtwAligner.Align(other.Pcm, reference);
        int frames = other.Pcm.Length / 160, same = 0, unlabelled = 0;
        for (int f = 0; f < frames; f++)
        {
            if (aligned.LabelAt(f * 160L) == DtwAligner.Unlabelled) unlabelled++;
            else if (aligned.LabelAt(f * 160L) == other.LabelAt(f * 160L)) same++;
        }
        Assert.True(unlabelled < 0.1 * frames, $"{unlabelled} of {frames} frames unlabelled");
        Assert.True(same >= 0.65 * (frames - unlabelled), $"{same} of {frames - unlabelled} labelled frames agree");
        // Without the warp (timings copied as they are) the rates differ and far fewer agree.
        var unwarped = LabelledSpeech.FromTimings(other.Pcm, [.. reference.Starts], [.. reference.Classes]);
        int copied = Enumerable.Range(0, frames).Count(f => unwarped.LabelAt(f * 160L) == other.LabelAt(f * 160L));
        Assert.True(copied < same - frames / 10, $"copied timing agrees on {copied}, aligned on {same}");
    }
}
