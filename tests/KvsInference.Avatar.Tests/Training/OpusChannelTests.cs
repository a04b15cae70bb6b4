using KvsInference.Avatar.Training;

namespace KvsInference.Tests.Training;

public class OpusChannelTests
{
    [Theory]
    [InlineData(16000)]
    [InlineData(32000)]
    public void Apply_Speech_SameLengthAlignedAndAudible(int bitrate)
    {
        var speech = LabelledSpeech.Synthesize("Opus carries the meeting's voice.", new SpeechVoice("en-us", 175, 50), 1600, 1600).Pcm;
        var heard = OpusChannel.Apply(speech, bitrate);
        Assert.Equal(speech.Length, heard.Length);
        // The best match of the two lies at lag 0 (the encoder's look-ahead is taken off): within a sample or two.
        int best = 0;
        double bestR = double.MinValue;
        for (int lag = -80; lag <= 80; lag++)
        {
            double r = Correlation(speech, heard, lag);
            if (r > bestR) (best, bestR) = (lag, r);
        }
        Assert.InRange(best, -2, 2);
        Assert.True(bestR > 0.8, $"r {bestR:F3} at lag {best}");
    }

    [Fact]
    public void Apply_BitrateOutsideOpus_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => OpusChannel.Apply(new short[320], 5000));
    }

    // Pearson correlation of a[i] and b[i + lag] over the overlap.
    private static double Correlation(short[] a, short[] b, int lag)
    {
        double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        int n = 0;
        for (int i = Math.Max(0, -lag); i < a.Length && i + lag < b.Length; i++)
        {
            double x = a[i], y = b[i + lag];
            sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y;
            n++;
        }
        double cov = sab - sa * sb / n, va = saa - sa * sa / n, vb = sbb - sb * sb / n;
        return cov / Math.Sqrt(va * vb);
    }
}
