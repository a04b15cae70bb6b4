using KvsInference.Avatar.Features;
using KvsInference.Avatar.Training;

namespace KvsInference.Tests.Features;

public class LevelNormaliserTests
{
    private static (float[] Features, float[] RelativeDb) Stream(short[] pcm)
    {
        var (logMel, meanSquare) = LogMelFrames.Compute(pcm);
        var speechMean = new float[FeatureConstants.MelBands];
        var state = new LevelNormaliser.State();
        LevelNormaliser.Reset(state, speechMean);
        var relative = new float[meanSquare.Length];
        for (int f = 0; f < meanSquare.Length; f++)
        {
            relative[f] = LevelNormaliser.Apply(state, logMel.AsSpan(f * FeatureConstants.MelBands, FeatureConstants.MelBands), meanSquare[f], speechMean);
        }
        return (logMel, relative);
    }

    [Fact]
    public void Apply_SameSpeechTwentyDbQuieter_GivesTheSameFeaturesAndRelativeLevels()
    {
        var speech = LabelledSpeech.Synthesize("Say it quietly, then loudly.", new SpeechVoice("en-us", 175, 50), 4000, 4000).Pcm;
        // Noise well above int16 rounding and above the level floor (-75 dBFS) in both copies, so that only the gain differs.
        var rng = new Random(1);
        var loud = speech.Select(s => 0.5 * s + 300 * (rng.NextDouble() - 0.5)).ToArray();
        var (a, ra) = Stream(loud.Select(v => (short)Math.Round(v)).ToArray());
        var (b, rb) = Stream(loud.Select(v => (short)Math.Round(v / 10)).ToArray());
        int speechFrames = 0, close = 0;
        for (int f = 0; f < ra.Length; f++)
        {
            if (ra[f] < -30) continue;
            speechFrames++;
            if (Math.Abs(ra[f] - rb[f]) < 1.5) close++;
            for (int band = 0; band < FeatureConstants.MelBands; band++)
            {
                Assert.InRange(b[f * FeatureConstants.MelBands + band] - a[f * FeatureConstants.MelBands + band], -0.5f, 0.5f);
            }
        }
        Assert.True(speechFrames > 50);
        Assert.True(close >= 0.95 * speechFrames, $"{close} of {speechFrames}");
    }
}
