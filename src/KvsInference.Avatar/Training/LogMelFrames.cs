using KvsInference.Avatar.Features;

namespace KvsInference.Avatar.Training;

/// <summary>Offline log-mel frames on the model's exact grid (frame j = the 25 ms window ending at sample (j + 1) x 160, zeros before the start).</summary>
internal static class LogMelFrames
{
    /// <summary>Computes floor(length / 160) frames of <see cref="FeatureConstants.MelBands"/> raw log-mel values each, frame-major, and each window's mean-square level.</summary>
    public static (float[] LogMel, float[] MeanSquare) Compute(ReadOnlySpan<short> pcm)
    {
        int hop = FeatureConstants.HopSamples, win = FeatureConstants.WindowSamples, bands = FeatureConstants.MelBands;
        int count = pcm.Length / hop;
        var result = new float[count * bands];
        var levels = new float[count];
        var window = new float[win];
        var scratch = new LogMelSpectrogram.Scratch();
        for (int j = 0; j < count; j++)
        {
            long start = (long)(j + 1) * hop - win;
            for (int i = 0; i < win; i++)
            {
                long s = start + i;
                window[i] = s < 0 ? 0 : pcm[(int)s] * (1f / 32768f);
            }
            levels[j] = LogMelSpectrogram.Shared.Compute(window, scratch, result.AsSpan(j * bands, bands));
        }
        return (result, levels);
    }
}
