using KvsInference.Audio;
using KvsInference.Audio.Opus;
using KvsInference.TestSupport;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace KvsInference.Tests.Audio.Opus;

public class MultistreamOpusTests(ITestOutputHelper output)
{
    private static readonly Lazy<string> s_surround = new(() =>
    {
        var path = Path.Combine(TestPaths.Scratch, "surround51.webm");
        // Six different tones; libopus encodes 5.1 with channel mapping family 1 (4 streams, 2 coupled).
        ProcessRunner.Ffmpeg("-f", "lavfi", "-i",
            "aevalsrc=0.3*sin(2*PI*220*t)|0.3*sin(2*PI*330*t)|0.3*sin(2*PI*440*t)|0.3*sin(2*PI*80*t)|0.3*sin(2*PI*550*t)|0.3*sin(2*PI*660*t):s=48000:d=1.01:c=5.1",
            "-c:a", "libopus", "-b:a", "192k", path);
        return path;
    });

    [Fact]
    public void Decode_Family1FiveOneAt48k_MatchesFfmpegLibopusBitExact()
    {
        var file = WebmTestFile.Read(s_surround.Value);
        var head = OpusHead.Parse(file.Tracks[0].CodecPrivate);
        Assert.Equal(1, head.MappingFamily);
        Assert.Equal(6, head.Channels);

        var samples = Decode(file, OpusBackend.Native, 48000, mono: false, out int channels);
        Assert.Equal(6, channels);
        var reference = AudioTestMedia.ReferenceDecode(s_surround.Value);
        Assert.Equal(reference.Length, samples.Length);
        Assert.Equal(48480 * 6, samples.Length);
        // We keep Opus's (Vorbis) channel order; ffmpeg reorders to its own layout order: output ch = Vorbis channel Offsets[ch].
        Assert.True(reference.AsSpan().SequenceEqual(ToFfmpegOrder(samples)));
    }

    [Fact]
    public void Decode_Family1WithConcentus_IsWithin40DbOfLibopus()
    {
        var file = WebmTestFile.Read(s_surround.Value);
        var managed = Decode(file, OpusBackend.Managed, 48000, mono: false, out _);
        var native = Decode(file, OpusBackend.Native, 48000, mono: false, out _);
        double snr = AudioTestMedia.SnrDb(native, managed);
        output.WriteLine($"5.1 Concentus vs libopus: {snr:F1} dB");
        Assert.True(snr >= 40, $"{snr:F1} dB");
    }

    [Fact]
    public void Decode_Family1ToMono16k_AveragesAllChannels()
    {
        var file = WebmTestFile.Read(s_surround.Value);
        var six = Decode(file, OpusBackend.Native, 48000, mono: false, out _);
        var mono = Decode(file, OpusBackend.Native, 16000, mono: true, out int channels);
        Assert.Equal(1, channels);
        Assert.Equal(48480 / 3, mono.Length);
        var average = new short[six.Length / 6];
        AudioTrackDecoder.Downmix(six, 6, average);
        var (snr, lag) = AudioTestMedia.BestAlignedSnrDb48To16(average, mono, 6);
        output.WriteLine($"5.1 -> mono 16 kHz vs average of 48 kHz channels resampled: {snr:F1} dB (lag {lag})");
        Assert.True(snr >= 30, $"{snr:F1} dB");
    }

    [Fact]
    public void TryCreate_NativeBackend_LogsTheLibopusVersionOnce()
    {
        var logger = new ListLogger();
        var factory = new AudioDecoderFactory(logger, OpusBackend.Native);
        var track = WebmTestFile.Read(s_surround.Value).Tracks[0].ToTrackInfo();
        for (int i = 0; i < 3; i++)
        {
            Assert.True(factory.TryCreate(track, 16000, true, out var decoder, out var error), error);
            decoder!.Dispose();
        }
        var line = Assert.Single(logger.Lines);
        output.WriteLine(line);
        Assert.StartsWith("Opus decoder: native libopus 1.", line);
    }

    private static readonly int[] VorbisToFfmpeg51 = [0, 2, 1, 5, 3, 4];

    private static short[] ToFfmpegOrder(short[] vorbisOrder)
    {
        var result = new short[vorbisOrder.Length];
        for (int f = 0; f < vorbisOrder.Length / 6; f++)
        {
            for (int c = 0; c < 6; c++) result[f * 6 + c] = vorbisOrder[f * 6 + VorbisToFfmpeg51[c]];
        }
        return result;
    }

    private static short[] Decode(WebmTestFile file, OpusBackend backend, int rate, bool mono, out int channels)
    {
        var track = file.Tracks[0].ToTrackInfo();
        var sink = new AudioTestMedia.CollectingSink();
        int ch = 0;
        Assert.True(AudioTrackDecoder.TryCreate(track, new AudioTrackOptions { OutputSampleRate = rate, Mono = mono },
            (r, c) => { ch = c; return sink; }, new AudioDecoderFactory(opusBackend: backend), out var decoder, out var error), error);
        using (decoder)
        {
            foreach (var f in file.Frames) decoder!.Decode(f.TimestampNs, f.Data, f.DiscardPaddingNs);
            decoder!.Complete();
        }
        channels = ch;
        return [.. sink.Samples];
    }

    private sealed class ListLogger : ILogger<AudioDecoderFactory>
    {
        public List<string> Lines { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}
