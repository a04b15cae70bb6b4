using KvsInference.Avatar.Training;

namespace KvsInference.Tests.Training;

public class SpeechAugmenterTests
{
    [Fact]
    public void Augment_CodecShareOne_SameRoomAndLengthHeardThroughOpus()
    {
        var speech = LabelledSpeech.Synthesize("A meeting voice.", new SpeechVoice("en-us", 175, 50), 1600, 1600).Pcm;
        var (plain, plainLead) = SpeechAugmenter.Augment(speech, [speech], new Random(7));
        var (coded, codedLead) = SpeechAugmenter.Augment(speech, [speech], new Random(7), codecShare: 1);
        // The codec is drawn after everything else: the same room, gain and lead, then Opus on top.
        Assert.Equal(plainLead, codedLead);
        Assert.Equal(plain.Length, coded.Length);
        Assert.NotEqual(plain, coded);
        double energyPlain = plain.Sum(s => (double)s * s), energyCoded = coded.Sum(s => (double)s * s);
        Assert.InRange(energyCoded / energyPlain, 0.5, 2.0);
    }
}
