using KvsInference.Avatar.Features;
using KvsInference.Avatar.Training;

namespace KvsInference.Tests.Features;

public class LevelNormaliserTests
{
    private static (float[] Features, float[] RelativeDb) Stream(short[] pcm, int noiseFloorDb = 0)
    {
        var (logMel, meanSquare) = LogMelFrames.Compute(pcm);
        var speechMean = new float[FeatureConstants.MelBands];
        var speechVariance = Enumerable.Repeat(1f, FeatureConstants.MelBands).ToArray();
        var state = new LevelNormaliser.State();
        LevelNormaliser.Reset(state, speechMean, speechVariance);
        var relative = new float[meanSquare.Length];
        for (int f = 0; f < meanSquare.Length; f++)
        {
            relative[f] = LevelNormaliser.Apply(state, logMel.AsSpan(f * FeatureConstants.MelBands, FeatureConstants.MelBands), meanSquare[f], speechMean, speechVariance, noiseFloorDb);
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

    [Fact]
    public void Apply_NoiseFloor_QuietCopyWithQuantisationNoiseComesCloserToTheLoudCopy()
    {
        // Clean speech at -3 and at -40 dBFS peak: int16 rounding adds noise about 55 dB under the quiet copy's speech, in
        // the bands where speech is faint, which a gain change does not cancel. White noise 55 dB under the speech level
        // covers it in both copies.
        var speech = LabelledSpeech.Synthesize("Some very quiet speech, then more.", new SpeechVoice("en-us", 175, 50), 4000, 4000).Pcm;
        var loud = VisemeEvaluator.Scale(speech, -3);
        var quiet = VisemeEvaluator.Scale(speech, -40);
        double ShareFarApart(int noiseFloorDb)
        {
            var (a, ra) = Stream(loud, noiseFloorDb);
            var (b, _) = Stream(quiet, noiseFloorDb);
            int far = 0, n = 0;
            for (int f = 0; f < ra.Length; f++)
            {
                if (ra[f] < -30) continue;
                for (int band = 0; band < FeatureConstants.MelBands; band++, n++)
                {
                    if (Math.Abs(a[f * FeatureConstants.MelBands + band] - b[f * FeatureConstants.MelBands + band]) > 0.5) far++;
                }
            }
            return (double)far / n;
        }
        double without = ShareFarApart(0), with = ShareFarApart(55);
        Assert.True(with < 0.25 * without, $"band values more than 0.5 apart: {with:P2} with the floor, {without:P2} without");
    }

    [Fact]
    public void Apply_BandsSwingingTwiceAsWide_GiveTheSameFeaturesAfterASecondOfSpeech()
    {
        // Two voices whose bands swing around the same spectrum, one twice as wide: variance normalisation maps both to
        // the training speech's spread (variance 0.25 here), so the classifier sees the same features.
        int bands = FeatureConstants.MelBands;
        var speechMean = Enumerable.Range(0, bands).Select(b => (float)(b % 3)).ToArray();
        var speechVariance = Enumerable.Repeat(0.25f, bands).ToArray();
        float[] Last(float swing)
        {
            var state = new LevelNormaliser.State();
            LevelNormaliser.Reset(state, speechMean, speechVariance);
            var frame = new float[bands];
            for (int f = 0; f < 400; f++)
            {
                for (int b = 0; b < bands; b++) frame[b] = (f % 2 == 0 ? swing : -swing) + (b % 3);
                // Mean square 1 (0 dBFS) is a level of 0 nepers: the bands are their own level-normalised values.
                LevelNormaliser.Apply(state, frame, meanSquare: 1, speechMean, speechVariance, noiseFloorDb: 0);
            }
            return frame;
        }
        var narrow = Last(1);
        var wide = Last(2);
        for (int b = 0; b < bands; b++)
        {
            Assert.InRange(wide[b] - narrow[b], -0.05f, 0.05f);
            Assert.InRange(Math.Abs(narrow[b] - speechMean[b]), 0.45f, 0.55f);
        }
    }

    [Fact]
    public void Apply_FreshStream_PassesTheTrainingSpeechUnchanged()
    {
        // A fresh stream's mean and variance are the training speech's: a window at that mean comes out as it went in.
        int bands = FeatureConstants.MelBands;
        var speechMean = Enumerable.Range(0, bands).Select(b => -0.1f * b).ToArray();
        var speechVariance = Enumerable.Repeat(2f, bands).ToArray();
        var state = new LevelNormaliser.State();
        LevelNormaliser.Reset(state, speechMean, speechVariance);
        // Mean square 1 is 0 dBFS, a level of 0 nepers, so the window's bands are its level-normalised values.
        var frame = (float[])speechMean.Clone();
        LevelNormaliser.Apply(state, frame, meanSquare: 1, speechMean, speechVariance, noiseFloorDb: 0);
        for (int b = 0; b < bands; b++) Assert.Equal(speechMean[b], frame[b], 1e-4f);
    }
}
