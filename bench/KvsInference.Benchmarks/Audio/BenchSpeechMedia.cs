using KvsInference.Matroska;
using KvsInference.TestSupport;

namespace KvsInference.Benchmarks.Audio;

/// <summary>The benchmark's input: 60 s of espeak-ng speech encoded by ffmpeg's libopus at 32 kbps in WebM,
/// made once and cached in the temp folder.</summary>
internal static class BenchSpeechMedia
{
    public const double DurationSeconds = 60;

    public static (MkvTrackInfo Track, WebmTestFrame[] Frames) Load()
    {
        var dir = Path.Combine(Path.GetTempPath(), "kvsi-bench");
        Directory.CreateDirectory(dir);
        var webm = Path.Combine(dir, "speech60-32k.webm");
        if (!File.Exists(webm))
        {
            var speech = Path.Combine(dir, "speech.wav");
            ProcessRunner.Run("espeak-ng", ["-w", speech, "-s", "160",
                "A meeting master speaks, and the audio lands in a Kinesis video stream as Matroska fragments with Opus inside. " +
                "A fleet of workers leases the streams, parses the fragments, decodes the audio and sends short windows to a model " +
                "that returns lip sync frames for the avatar."]);
            ProcessRunner.Ffmpeg("-stream_loop", "-1", "-i", speech, "-t", DurationSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-ar", "48000", "-ac", "1", "-c:a", "libopus", "-b:a", "32k", webm + ".tmp.webm");
            File.Move(webm + ".tmp.webm", webm);
        }
        var file = WebmTestFile.Read(webm);
        var t = file.Tracks[0];
        var track = t.ToTrackInfo();
        return (track, file.FramesOf(t.Number).ToArray());
    }

    /// <summary>A sink that only counts, so the figures measure decoding.</summary>
    internal sealed class CountingSink : KvsInference.Audio.IPcmSink
    {
        public long Samples;
        public void OnPcm(ReadOnlySpan<short> samples, long timestampNs) => Samples += samples.Length;
        public void OnDiscontinuity(long endNs, long nextStartNs) { }
        public void OnEndOfStream() { }
    }
}
