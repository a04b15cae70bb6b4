using System.Diagnostics;
using KvsInference.Audio;
using KvsInference.TestSupport;
using KvsInference.Worker.Commands;

namespace KvsInference.Tests.Commands;

public class DecodeCommandTests
{
    private static short[] FfmpegDecode(string path, int rate, string? decoder = null)
    {
        var raw = Path.Combine(TestPaths.Scratch, Guid.NewGuid().ToString("N") + ".raw");
        var args = new List<string>();
        if (decoder is not null) args.AddRange(["-c:a", decoder]);
        args.AddRange(["-i", path, "-ar", rate.ToString(), "-f", "s16le", raw]);
        ProcessRunner.Ffmpeg([.. args]);
        var bytes = File.ReadAllBytes(raw);
        var samples = new short[bytes.Length / 2];
        Buffer.BlockCopy(bytes, 0, samples, 0, samples.Length * 2);
        return samples;
    }

    private static short[] ReadWav(string path, out int rate, out int channels)
    {
        var wav = WavReader.ReadFile(path);
        rate = wav.SampleRate;
        channels = wav.Channels;
        return wav.Samples;
    }

    [Fact]
    public async Task RunAsync_OpusWebm_WavBitExactWithLibopusDecode()
    {
        var webm = MatroskaTestMedia.FfmpegOpus(32, 1, "webm");
        var wav = Path.Combine(TestPaths.Scratch, "decode-opus.wav");
        var log = new StringWriter();

        var exit = await DecodeCommand.RunAsync(File.OpenRead(webm), wav, 48000, null, mono: false, log, default);

        Assert.Equal(0, exit);
        var ours = ReadWav(wav, out var rate, out var channels);
        Assert.Equal((48000, 1), (rate, channels));
        Assert.Equal(FfmpegDecode(webm, 48000, "libopus"), ours);
        Assert.Contains("libopus", log.ToString());
    }

    [Theory]
    [InlineData("xiph")]
    [InlineData("ebml")]
    public async Task RunAsync_MkvmergeLacedOpus_WavBitExactWithLibopusDecode(string lacing)
    {
        // mkvmerge laces 8 packets to a block: each lace is decoded after the one before, not on top of it.
        var mka = MatroskaTestMedia.MkvmergeOpus(lacing);
        var wav = Path.Combine(TestPaths.Scratch, $"decode-opus-{lacing}.wav");

        var exit = await DecodeCommand.RunAsync(File.OpenRead(mka), wav, 48000, null, mono: false, new StringWriter(), default);

        Assert.Equal(0, exit);
        Assert.Equal(FfmpegDecode(mka, 48000, "libopus"), ReadWav(wav, out _, out _));
    }

    [Fact]
    public async Task RunAsync_AacMka_MatchesFfmpegLengthAt16k()
    {
        var mka = MatroskaTestMedia.MkvmergeAac();
        var wav = Path.Combine(TestPaths.Scratch, "decode-aac.wav");

        var exit = await DecodeCommand.RunAsync(File.OpenRead(mka), wav, 16000, null, mono: true, new StringWriter(), default);

        Assert.Equal(0, exit);
        var ours = ReadWav(wav, out var rate, out var channels);
        Assert.Equal((16000, 1), (rate, channels));
        Assert.True(ours.Length > 16000, $"only {ours.Length} samples");
        Assert.Contains(ours, s => Math.Abs((int)s) > 1000);
    }

    [Fact]
    public async Task RunAsync_OnlyVorbis_ExitsNoTrackNamingTheCodec()
    {
        var mka = MatroskaTestMedia.MkvmergeVorbis(xiph: false);
        var log = new StringWriter();

        var exit = await DecodeCommand.RunAsync(File.OpenRead(mka), Path.Combine(TestPaths.Scratch, "vorbis.wav"), 48000, null, false, log, default);

        Assert.Equal(DecodeCommand.ExitNoTrack, exit);
        Assert.Contains("A_VORBIS", log.ToString());
    }

    [Fact]
    public async Task RunAsync_TruncatedFile_WritesAudioBeforeTheErrorAndFails()
    {
        var webm = File.ReadAllBytes(MatroskaTestMedia.FfmpegOpus(32, 1, "webm"));
        var wav = Path.Combine(TestPaths.Scratch, "decode-truncated.wav");
        var log = new StringWriter();

        var exit = await DecodeCommand.RunAsync(new MemoryStream(webm[..(webm.Length / 2)]), wav, 16000, null, true, log, default);

        Assert.Equal(DecodeCommand.ExitBadInput, exit);
        Assert.Contains("offset", log.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.True(ReadWav(wav, out _, out _).Length > 16000);
    }

    [Theory]
    [InlineData(999_983, 1UL, "999983 Hz")]
    [InlineData(48_000, 32_768UL, "32768 channels")]
    [InlineData(768_000, 255UL, "samples per second")]
    public async Task RunAsync_HostilePcmTrackHeader_ExitsBadInputNamingTheField(double rate, ulong channels, string expected)
    {
        byte[] media = Ebml.KvsGetMedia(2, 5, out _, Ebml.PcmTracks(rate, channels));
        var log = new StringWriter();

        var exit = await DecodeCommand.RunAsync(new MemoryStream(media), Path.Combine(TestPaths.Scratch, "hostile.wav"), 16000, null, true, log, default);

        Assert.Equal(DecodeCommand.ExitBadInput, exit);
        Assert.Contains(expected, log.ToString());
        Assert.Contains("no decodable audio track", log.ToString());
    }

    [Fact]
    public void Process_HostileHeaderUsageErrorAndGoodFile_ExitCodes2And2And0WithoutStackTrace()
    {
        string hostile = Path.Combine(TestPaths.Scratch, "hostile-999983.mkv");
        File.WriteAllBytes(hostile, Ebml.KvsGetMedia(2, 5, out _, Ebml.PcmTracks(999_983, 1)));
        string good = MatroskaTestMedia.FfmpegOpus(32, 1, "webm");
        string wav = Path.Combine(TestPaths.Scratch, "process-decode.wav");

        var (badExit, badError) = RunDecode(hostile, "-o", wav);
        var (usageExit, _) = RunDecode(good, "-o", wav, "--rate", "12345");
        var (goodExit, goodError) = RunDecode(good, "-o", wav);

        Assert.Equal((2, 2, 0), (badExit, usageExit, goodExit));
        Assert.Contains("999983 Hz", badError);
        Assert.DoesNotContain("   at ", badError);
        Assert.Contains("Hz", goodError);
    }

    private static (int Exit, string Error) RunDecode(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        string[] all = [Path.Combine(AppContext.BaseDirectory, "KvsInference.Worker.dll"), "decode", .. args];
        foreach (string a in all) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(120_000), "decode did not finish");
        p.WaitForExit();
        return (p.ExitCode, error.Result + output.Result);
    }
}
