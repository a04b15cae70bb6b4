using KvsInference.Audio;
using KvsInference.TestSupport;
using Xunit.Abstractions;

namespace KvsInference.Tests.Audio;

/// <summary>Whole files made by mkvmerge (which laces audio by default) decoded and compared with ffmpeg's decode of the same file.</summary>
public class MkvAudioTrackReaderTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("xiph")]
    [InlineData("ebml")]
    public async Task ReadAllAsync_MkvmergeLacedOpus_MatchesLibopus(string lacing)
    {
        string path = MatroskaTestMedia.MkvmergeOpus(lacing);
        short[] reference = AudioTestMedia.ReferenceDecode(path, "libopus");
        var warnings = new List<string>();

        var (samples, rate) = await MkvAudioTrackReader.ReadAllAsync(path, new AudioTrackOptions { OutputSampleRate = 48000, Mono = true }, warn: warnings.Add);

        Assert.Equal(48000, rate);
        Assert.Empty(warnings);
        var (snr, lag) = AudioTestMedia.BestAlignedSnrDb(reference, samples, 48);
        output.WriteLine($"{lacing}: {samples.Length} samples, reference {reference.Length}; SNR vs libopus {snr:F1} dB at lag {lag}");
        Assert.InRange(samples.Length, reference.Length - 960, reference.Length + 960);
        Assert.True(snr >= 50, $"SNR {snr:F1} dB");
    }

    [Fact]
    public async Task ReadAllAsync_MkvmergeLacedAac_MatchesFfmpeg()
    {
        string path = MatroskaTestMedia.MkvmergeAac();
        short[] reference = AudioTestMedia.ReferenceDecode(path, "aac");

        var (samples, rate) = await MkvAudioTrackReader.ReadAllAsync(path, new AudioTrackOptions { OutputSampleRate = 22050, Mono = true });

        Assert.Equal(22050, rate);
        var (snr, lag) = AudioTestMedia.BestAlignedSnrDb(reference, samples, 48);
        output.WriteLine($"AAC: {samples.Length} samples, reference {reference.Length}; SNR vs ffmpeg {snr:F1} dB at lag {lag}");
        Assert.True(snr >= 40, $"SNR {snr:F1} dB");
    }

    [Fact]
    public async Task ReadAllAsync_MkvmergeFixedLacedPcm_SamplesOfTheWav()
    {
        string path = MatroskaTestMedia.MkvmergePcm();
        short[] reference = AudioTestMedia.ReferenceDecode(path, decoder: null);

        var (samples, _) = await MkvAudioTrackReader.ReadAllAsync(path, new AudioTrackOptions { OutputSampleRate = 22050, Mono = true });

        Assert.Equal(reference, samples);
    }
}
