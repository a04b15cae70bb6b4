using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using KvsInference.Audio;
using KvsInference.Avatar.Model;
using KvsInference.Avatar.Rendering;
using KvsInference.Avatar.Serving;
using KvsInference.Inference;
using KvsInference.Meeting.Streaming;
using KvsInference.Sinks;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Streaming;

/// <summary>Records from the in-process model on espeak-ng speech, rendered and pushed to a local nginx-rtmp server.</summary>
public sealed class AvatarVideoSourceTests
{
    private const string Stream = "avatar-test";

    /// <summary>About 2.4 s of speech at 16 kHz followed by 0.6 s of silence, and its records (200 ms windows, one record each).</summary>
    private static async Task<(short[] Pcm, List<InferenceRecord> Records)> SpeechAndRecordsAsync()
    {
        var wav22k = AvatarSpeech.Wav("The avatar speaks to the meeting through Zoom.");
        var wav16k = Path.Combine(TestPaths.Scratch, "avatar-stream-16k.wav");
        ProcessRunner.Ffmpeg("-y", "-i", wav22k, "-ar", "16000", "-ac", "1", wav16k);
        var speech = WavReader.ReadFile(wav16k).Samples;
        var pcm = new short[speech.Length + 9600];
        speech.CopyTo(pcm, 0);

        var client = new LocalVisemeInferenceClient(VisemeModel.LoadDefault());
        var records = new List<InferenceRecord>();
        const int window = 3200;
        for (int offset = 0; offset < pcm.Length; offset += window)
        {
            var instance = new InferenceInstance
            {
                Id = $"w{offset}", StreamKey = Stream, SampleRate = 16000,
                Pcm = pcm.AsMemory(offset, Math.Min(window, pcm.Length - offset)),
            };
            var prediction = (await client.InferAsync([instance], CancellationToken.None))[0];
            double startMs = offset / 16.0;
            records.Add(new InferenceRecord
            {
                StreamName = Stream, FragmentNumber = "1", StartOffsetMs = startMs, FrameRate = prediction.FrameRate,
                Frames = prediction.Frames, Model = client.ModelName, RecordId = InferenceRecord.MakeRecordId(Stream, "1", startMs),
            });
        }
        return (pcm, records);
    }

    private static async IAsyncEnumerable<T> AsAsync<T>(IEnumerable<T> items)
    {
        foreach (var item in items)
        {
            await Task.Yield();
            yield return item;
        }
    }

    private static async IAsyncEnumerable<AvFrame> Tee(IAsyncEnumerable<AvFrame> frames, List<AvFrame> copy,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var frame in frames.WithCancellation(ct))
        {
            copy.Add(frame);
            yield return frame;
        }
    }

    private static int MouthPixelsDiffering(FaceRenderer layout, ReadOnlyMemory<byte> a, ReadOnlyMemory<byte> b)
    {
        var r = layout.MouthRegion;
        int differing = 0;
        for (int y = r.Top; y < r.Bottom; y++)
        {
            for (int x = r.Left; x < r.Right; x++)
            {
                int i = (y * layout.Width + x) * 4;
                if (Math.Abs(a.Span[i] - b.Span[i]) + Math.Abs(a.Span[i + 1] - b.Span[i + 1]) + Math.Abs(a.Span[i + 2] - b.Span[i + 2]) > 30) differing++;
            }
        }
        return differing;
    }

    [Fact]
    public async Task FramesAsync_SpeechRecordsPushedToNginx_H264AacAtSizeRateAndAudioDurationWithMovingMouth()
    {
        Assert.True(NginxRtmpServer.IsInstalled, "nginx and libnginx-mod-rtmp are required (scripts/setup installs them)");
        var (pcm, records) = await SpeechAndRecordsAsync();
        // Through the JSON-lines file, as the avatar-stream command reads them (plus another stream's record to skip).
        var file = Path.Combine(TestPaths.Scratch, $"avatar-records-{Guid.NewGuid():N}.jsonl");
        await using (var sink = new JsonLinesFileSink(file, flushToDisk: false))
        {
            var other = records[0];
            await sink.WriteAsync([.. records.Take(3), new InferenceRecord
            {
                StreamName = "other", FragmentNumber = "9", StartOffsetMs = 0, FrameRate = other.FrameRate,
                Frames = other.Frames, Model = other.Model, RecordId = "other/9/0",
            }, .. records.Skip(3)], CancellationToken.None);
        }

        using var nginx = new NginxRtmpServer();
        nginx.Start();
        var options = new RtmpPublisherOptions { Url = nginx.LiveUrl("avatar"), Width = 640, Height = 480, FrameRate = 25, AudioSampleRate = 48000 };
        var frames = new List<AvFrame>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var source = new AvatarVideoSource(options, realTime: true);
        var started = DateTime.UtcNow;
        await new RtmpPublisher(options).RunAsync(
            Tee(source.FramesAsync(RecordFiles.ReadAsync(file, Stream, timeout.Token), pcm, 16000, timeout.Token), frames, timeout.Token),
            timeout.Token);
        var elapsed = DateTime.UtcNow - started;

        double audioSeconds = pcm.Length / 16000.0;
        Assert.Equal((int)Math.Ceiling(audioSeconds * 25), frames.Count);
        Assert.True(elapsed.TotalSeconds >= audioSeconds - 0.2, $"paced in real time: {elapsed.TotalSeconds:F2} s for {audioSeconds:F2} s");

        var recording = Assert.Single(nginx.Recordings());
        var probe = await ProbeAsync(recording, audioSeconds - 0.5);
        Assert.Equal(["aac", "h264"], probe.Codecs);
        Assert.Equal((640, 480), (probe.Width, probe.Height));
        Assert.Equal("25/1", probe.FrameRate);
        Assert.InRange(probe.Duration, audioSeconds - 0.5, audioSeconds + 0.5);

        // The mouth moves with the speech: the loudest-jaw frame differs from the final silence in the mouth region.
        var visemes = records.SelectMany(r => r.Frames).ToList();
        int loudest = visemes.IndexOf(visemes.MaxBy(f => f.JawOpen));
        Assert.True(visemes[loudest].JawOpen > 0.3f, $"the model opened the jaw to only {visemes[loudest].JawOpen}");
        var speechFrame = frames[(int)Math.Round(loudest / records[0].FrameRate * 25)];
        var silenceFrame = frames[^1];
        using var layout = new FaceRenderer();
        int differing = MouthPixelsDiffering(layout, speechFrame.Rgba, silenceFrame.Rgba);
        Assert.True(differing > 300, $"only {differing} mouth pixels differ between speech and silence");
        // Audio rides along: the speech frame carries sound, the last (appended silence) none.
        Assert.Contains(speechFrame.Pcm.ToArray(), b => b != 0);
        Assert.All(silenceFrame.Pcm.ToArray(), b => Assert.Equal(0, b));
        Assert.All(frames, f => Assert.Equal(options.FrameBytes, f.Rgba.Length));
        Assert.NotSame(MemoryMarshalArray(frames[0].Rgba), MemoryMarshalArray(frames[1].Rgba));
    }

    [Fact]
    public async Task FramesAsync_NoAudio_LastsAsLongAsTheVisemesInterpolatedToVideoRate()
    {
        // 30 record frames at 60 fps (0.5 s) ramping the jaw from 0 to 1 -> 15 video frames at 30 fps.
        var ramp = Enumerable.Range(0, 30).Select(i => new VisemeFrame(i / 29f, 0, 0, 0, 0, i / 29f, 1 - i / 29f)).ToList();
        var record = new InferenceRecord { StreamName = Stream, FragmentNumber = "1", StartOffsetMs = 0, FrameRate = 60, Frames = ramp, Model = "m", RecordId = "r" };
        var options = new RtmpPublisherOptions { Url = new Uri("rtmp://127.0.0.1/live/x"), FrameRate = 30, AudioSampleRate = 48000 };
        var frames = new List<AvFrame>();
        await foreach (var f in new AvatarVideoSource(options, realTime: false).FramesAsync(AsAsync([record]), ReadOnlyMemory<short>.Empty, 48000)) frames.Add(f);
        Assert.Equal(15, frames.Count);
        Assert.All(frames, f => Assert.True(f.Pcm.ToArray().All(b => b == 0)));
        using var layout = new FaceRenderer();
        Assert.True(MouthPixelsDiffering(layout, frames[0].Rgba, frames[^1].Rgba) > 300);
    }

    [Fact]
    public async Task FramesAsync_RecordFrameRateChanges_ThrowsInvalidData()
    {
        var frame = new VisemeFrame(0, 0, 0, 0, 0, 0, 1);
        InferenceRecord Make(double rate) => new() { StreamName = Stream, FragmentNumber = "1", StartOffsetMs = 0, FrameRate = rate, Frames = [frame, frame], Model = "m", RecordId = "r" };
        var options = new RtmpPublisherOptions { Url = new Uri("rtmp://127.0.0.1/live/x") };
        var e = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var _ in new AvatarVideoSource(options, realTime: false).FramesAsync(AsAsync([Make(60), Make(50)]), ReadOnlyMemory<short>.Empty, 48000))
            {
            }
        });
        Assert.Contains("differs", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadRecordsAsync_BadLine_ThrowsInvalidDataNamingTheLine()
    {
        var file = Path.Combine(TestPaths.Scratch, $"bad-{Guid.NewGuid():N}.jsonl");
        await File.WriteAllLinesAsync(file, ["", "{not json"]);
        var e = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var _ in RecordFiles.ReadAsync(file, Stream))
            {
            }
        });
        Assert.Contains("line 2", e.Message, StringComparison.Ordinal);
    }

    private static byte[]? MemoryMarshalArray(ReadOnlyMemory<byte> m) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(m, out var segment) ? segment.Array : null;

    private sealed record Probe(string[] Codecs, int Width, int Height, string FrameRate, double Duration);

    private static async Task<Probe> ProbeAsync(string file, double minimumSeconds)
    {
        // nginx-rtmp closes the recording when the publisher disconnects; give it a moment.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            try
            {
                var json = ProcessRunner.Run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type,codec_name,width,height,r_frame_rate:format=duration",
                    "-of", "json", file], TimeSpan.FromSeconds(20));
                using var doc = JsonDocument.Parse(json);
                var streams = doc.RootElement.GetProperty("streams").EnumerateArray().ToList();
                var video = streams.First(s => s.GetProperty("codec_type").GetString() == "video");
                var probe = new Probe(streams.Select(s => s.GetProperty("codec_name").GetString()!).Order(StringComparer.Ordinal).ToArray(),
                    video.GetProperty("width").GetInt32(), video.GetProperty("height").GetInt32(), video.GetProperty("r_frame_rate").GetString()!,
                    double.Parse(doc.RootElement.GetProperty("format").GetProperty("duration").GetString()!, CultureInfo.InvariantCulture));
                if (probe.Duration >= minimumSeconds || DateTime.UtcNow > deadline) return probe;
            }
            catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or JsonException or FormatException)
            {
                if (DateTime.UtcNow > deadline) throw;
            }
            await Task.Delay(100);
        }
    }
}
