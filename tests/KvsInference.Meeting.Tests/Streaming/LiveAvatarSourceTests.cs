using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KvsInference.Avatar.Rendering;
using KvsInference.Avatar.Rendering3D;
using KvsInference.Inference;
using KvsInference.Meeting.Streaming;
using KvsInference.Sinks;

namespace KvsInference.Tests.Streaming;

/// <summary>The live source against the real clock: feeds that deliver speech and visemes of "now", frames checked for content.</summary>
public sealed class LiveAvatarSourceTests
{
    private const int Fps = 25;

    // Items delivered at their times after `origin`: both feeds of a test share it, so a pump that starts late on a
    // busy machine catches up instead of shifting its whole feed against the other.
    private static async IAsyncEnumerable<T> Deliver<T>(IEnumerable<(TimeSpan At, T Item)> items, DateTimeOffset origin, [EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var (at, item) in items)
        {
            var wait = at - (DateTimeOffset.UtcNow - origin);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
            yield return item;
        }
    }

    private static InferenceRecord Record(double startMs, int frames, float jaw) => new()
    {
        StreamName = "s", FragmentNumber = "1", ProducerTimestamp = (long)startMs, StartOffsetMs = 0, FrameRate = 50,
        Frames = Enumerable.Repeat(new VisemeFrame(jaw, 0, 0, 0, 0, jaw, 1 - jaw), frames).ToList(), Model = "m", RecordId = $"s/{startMs}",
    };

    [Fact]
    public Task FramesAsync_SpeechAndRecordsArriveLate_MouthOpensExactlyWhileTheSpeechPlays() => MouthOpensWhileSpeechPlaysAsync(avatar3d: false);

    /// <summary>The same with the 3D avatar (headless Chromium), which draws slower than real time on a loaded machine:
    /// picture and sound stay on the same frames.</summary>
    [Fact]
    public Task FramesAsync_3dAvatarSpeechAndRecordsArriveLate_MouthOpensExactlyWhileTheSpeechPlays() => MouthOpensWhileSpeechPlaysAsync(avatar3d: true);

    private static async Task MouthOpensWhileSpeechPlaysAsync(bool avatar3d)
    {
        var publisher = new RtmpPublisherOptions { Url = new Uri("rtmp://127.0.0.1/live/x"), FrameRate = Fps, AudioSampleRate = 48000 };
        // A draw stalled for over a second (software WebGL beside a full test run and a busy loop: one run drew 50 of
        // ~82 frames) makes the source skip to live, dropping frames with their sound, as it must (tested by
        // FramesAsync_StalledMoreThanASecond_SkipsToLiveWithTheSpeech); such a run may have dropped the speech itself,
        // so it is played again.
        var (source, frames) = await PlayAsync(publisher, avatar3d);
        for (int attempt = 2; attempt <= 3 && source.Stats.FramesSkipped > 0; attempt++) (source, frames) = await PlayAsync(publisher, avatar3d);
        Assert.True(source.Stats.FramesSkipped == 0, $"frames were skipped in all three runs; {source.Stats}");

        // Up to the duration, or fewer when the playhead passed everything both feeds brought once they ended.
        // Both feeds end with data up to now+1200 ms, which the playhead (~2.1 s behind) passes after ~3.3 s.
        Assert.InRange(frames.Count, 75, 90);
        Assert.Equal(0, source.Stats.LateRecords);
        using var renderer = new FaceRenderer(new FaceRendererOptions { Width = publisher.Width, Height = publisher.Height, FrameRate = Fps });
        var rest = new byte[publisher.Width * publisher.Height * 4];
        var open = new List<int>();
        var loud = new List<int>();
        var region = AvatarHead.MouthRegion(publisher.Width, publisher.Height);
        var interior = FaceRenderer.MouthInteriorColor;
        // The 3D head moves and blinks: its mouth is open when pixels of the interior's colour show in its mouth region.
        bool Open3d(ReadOnlySpan<byte> rgba)
        {
            int n = 0;
            for (int y = region.Top; y < region.Bottom; y++)
            {
                for (int x = region.Left; x < region.Right; x++)
                {
                    int i = (y * publisher.Width + x) * 4;
                    if (Math.Abs(rgba[i] - interior.Red) <= 40 && Math.Abs(rgba[i + 1] - interior.Green) <= 40 && Math.Abs(rgba[i + 2] - interior.Blue) <= 40) n++;
                }
            }
            return n > 200;
        }
        int drawnAs = 0; // the frame whose picture this frame shows: a repeated picture keeps its frame's blink and idle motion
        for (int n = 0; n < frames.Count; n++)
        {
            if (n == 0 || !SamePicture(frames[n], frames[n - 1])) drawnAs = n;
            renderer.Render(VisemeTimeline.Rest, drawnAs, rest);
            if (avatar3d ? Open3d(frames[n].Rgba.Span) : !frames[n].Rgba.Span.SequenceEqual(rest)) open.Add(n);
            if (MemoryMarshal.Cast<byte, short>(frames[n].Pcm.Span).ToArray().Any(s => s != 0)) loud.Add(n);
        }
        // 400 ms of speech = 10 frames at 25 fps, with mouth and sound on the same frames (one frame of slack at each end
        // for where the clock anchored the playhead between two 20 ms pieces).
        // A renderer slower than the frame rate repeats pictures (the sound keeps its pace), so the mouth may show up to
        // the longest run of repeats later: that is the slack on top of the one frame.
        int slack = 1 + LongestRepeat(frames);
        Assert.True(loud.Count is >= 10 and <= 11, $"sound in frames {string.Join(',', loud)}; mouth open in {string.Join(',', open)}; {source.Stats}");
        Assert.InRange(open.Count, 10 - slack, 10 + slack);
        // A renderer stalled for as long as the whole speech (one CI run: software WebGL beside a full test run) drew no
        // picture of it; the sound above still had to be right, and there is no mouth to compare.
        if (open.Count == 0 && slack >= 10) return;
        Assert.True(Math.Abs(open.First() - loud.First()) <= slack && Math.Abs(open.Last() - loud.Last()) <= slack,
            $"mouth open in frames {string.Join(',', open)}, sound in frames {string.Join(',', loud)}; {source.Stats}");
    }

    // One run of the scenario: speech and its records delivered late against the real clock, every frame kept.
    private static async Task<(LiveAvatarSource Source, List<AvFrame> Frames)> PlayAsync(RtmpPublisherOptions publisher, bool avatar3d)
    {
        var source = new LiveAvatarSource(publisher, new LiveAvatarOptions
        {
            Delay = TimeSpan.FromMilliseconds(2000), AudioLag = TimeSpan.Zero, Duration = TimeSpan.FromSeconds(3.6),
            Avatar3d = avatar3d ? new BrowserAvatarRendererOptions() : null,
        });
        var origin = DateTimeOffset.UtcNow;
        double now = (origin - DateTimeOffset.UnixEpoch).TotalMilliseconds;
        // Speech "spoken" from now+200 ms to now+600 ms (a loud square wave), silence around it, delivered 100 ms after
        // it is spoken in 20 ms pieces; its records (open jaw) arrive 400 ms after the speech, silence records rest.
        // The 2 s delay leaves 1.5 s for a busy test machine to stall the feeds (a stall of 0.9 s was seen).
        var audio = new List<(TimeSpan, TimedPcm)>();
        for (int p = 0; p < 60; p++)
        {
            double at = now + p * 20;
            bool speaking = at >= now + 200 && at < now + 600;
            var samples = Enumerable.Range(0, 960).Select(i => (short)(speaking ? (i / 24 % 2 == 0 ? 8000 : -8000) : 0)).ToArray();
            audio.Add((TimeSpan.FromMilliseconds(p * 20 + 120), new TimedPcm(at, samples)));
        }
        var records = new List<(TimeSpan, InferenceRecord)>();
        for (int r = 0; r < 6; r++)
        {
            double at = now + r * 200;
            bool speaking = at >= now + 200 && at < now + 600;
            records.Add((TimeSpan.FromMilliseconds(r * 200 + 600), Record(at, 10, speaking ? 1 : 0)));
        }

        var frames = new List<AvFrame>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(avatar3d ? 90 : 30));
        await foreach (var f in source.FramesAsync(Deliver(records, origin, timeout.Token), Deliver(audio, origin, timeout.Token), timeout.Token)) frames.Add(f);
        return (source, frames);
    }

    // A repeated picture is the same buffer as the frame before.
    private static bool SamePicture(AvFrame a, AvFrame b) =>
        MemoryMarshal.TryGetArray(a.Rgba, out var x) && MemoryMarshal.TryGetArray(b.Rgba, out var y) && ReferenceEquals(x.Array, y.Array);

    // The longest run of frames showing the previous frame's picture (a repeated picture is the same buffer).
    private static int LongestRepeat(List<AvFrame> frames)
    {
        int longest = 0, run = 0;
        for (int n = 1; n < frames.Count; n++)
        {
            run = SamePicture(frames[n], frames[n - 1]) ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        return longest;
    }

    // A renderer that takes `drawMs` per picture (`stallMs` for one picture, `stallAt`), counting what it draws.
    private sealed class SlowRenderer(int drawMs, long stallAt = -1, int stallMs = 0) : IAvatarFrameRenderer
    {
        public int Drawn;

        public async ValueTask RenderAsync(VisemeFrame face, long frameIndex, Memory<byte> rgba, CancellationToken cancellationToken)
        {
            Drawn++;
            rgba.Span.Fill((byte)Drawn);
            await Task.Delay(Drawn - 1 == stallAt ? stallMs : drawMs, cancellationToken);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    // Speech from 200 ms before now to 4 s after it, all delivered at once: sample k of it is 1 + k % 30000, so the
    // output's audio shows whether any was lost or played twice.
    private static (List<(TimeSpan, TimedPcm)> Audio, DateTimeOffset Origin) NumberedSpeech()
    {
        var origin = DateTimeOffset.UtcNow;
        double now = (origin - DateTimeOffset.UnixEpoch).TotalMilliseconds;
        var audio = new List<(TimeSpan, TimedPcm)>();
        for (int p = 0; p < 300; p++)
        {
            var samples = Enumerable.Range(0, 960).Select(i => (short)(1 + (p * 960 + i) % 30000)).ToArray();
            audio.Add((TimeSpan.Zero, new TimedPcm(now - 200 + p * 20, samples)));
        }
        return (audio, origin);
    }

    // The places where the speech in the frames does not continue from the previous sample (silence before it starts
    // is skipped); a rounding of the playhead may shift a frame's start by one sample, which is not a break.
    private static List<int> BreaksInSpeech(List<AvFrame> frames)
    {
        var breaks = new List<int>();
        short? last = null;
        for (int n = 0; n < frames.Count; n++)
        {
            var pcm = MemoryMarshal.Cast<byte, short>(frames[n].Pcm.Span);
            for (int i = 0; i < pcm.Length; i++)
            {
                if (pcm[i] == 0 && last is null) continue;
                if (last is { } l && Math.Abs(pcm[i] - (l % 30000 + 1)) > (i == 0 ? 1 : 0)) breaks.Add(n);
                last = pcm[i];
            }
        }
        return breaks;
    }

    /// <summary>A renderer slower than the frame rate (the 3D avatar on a busy machine) lowers the picture rate, never the
    /// sound's: every frame is produced, repeated pictures fill in, and the speech plays without a gap or a repeat.</summary>
    [Fact]
    public async Task FramesAsync_RendererSlowerThanFrameRate_PicturesRepeatAndSpeechKeepsItsPace()
    {
        var publisher = new RtmpPublisherOptions { Url = new Uri("rtmp://127.0.0.1/live/x"), FrameRate = Fps, AudioSampleRate = 48000 };
        var source = new LiveAvatarSource(publisher, new LiveAvatarOptions { Delay = TimeSpan.FromMilliseconds(300), AudioLag = TimeSpan.Zero, Duration = TimeSpan.FromSeconds(2) });
        var (audio, origin) = NumberedSpeech();
        var renderer = new SlowRenderer(drawMs: 100);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var frames = new List<AvFrame>();
        await foreach (var f in source.FramesAsync(Deliver<InferenceRecord>([], origin, timeout.Token), Deliver(audio, origin, timeout.Token), renderer, timeout.Token)) frames.Add(f);

        // 2 s at 25 fps, less whatever a stall of more than a second on a busy machine skipped.
        Assert.Equal(50, frames.Count + source.Stats.FramesSkipped);
        Assert.True(renderer.Drawn < frames.Count, $"{renderer.Drawn} pictures drawn for {frames.Count} frames; {source.Stats}");
        Assert.Equal(frames.Count - renderer.Drawn, source.Stats.FramesRepeated);
        if (source.Stats.FramesSkipped == 0) Assert.Empty(BreaksInSpeech(frames));
        // A repeated picture is the previous frame's.
        for (int n = 1; n < frames.Count; n++)
        {
            Assert.True(frames[n].Rgba.Span[0] == frames[n - 1].Rgba.Span[0] || frames[n].Rgba.Span[0] == frames[n - 1].Rgba.Span[0] + 1);
        }
    }

    /// <summary>An output held back by more than a second (a stalled publisher or renderer) skips to live: the frames
    /// and the speech of the stall are dropped together, and the rest plays on.</summary>
    [Fact]
    public async Task FramesAsync_StalledMoreThanASecond_SkipsToLiveWithTheSpeech()
    {
        var publisher = new RtmpPublisherOptions { Url = new Uri("rtmp://127.0.0.1/live/x"), FrameRate = Fps, AudioSampleRate = 48000 };
        // 5 s, so that a busy machine that makes the skip come late (CI once skipped 48 frames at frame 25 of a 3-s stream)
        // still leaves output after it.
        var source = new LiveAvatarSource(publisher, new LiveAvatarOptions { Delay = TimeSpan.FromMilliseconds(300), AudioLag = TimeSpan.Zero, Duration = TimeSpan.FromSeconds(5) });
        var (audio, origin) = NumberedSpeech();
        var renderer = new SlowRenderer(drawMs: 0, stallAt: 10, stallMs: 1600);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var frames = new List<AvFrame>();
        await foreach (var f in source.FramesAsync(Deliver<InferenceRecord>([], origin, timeout.Token), Deliver(audio, origin, timeout.Token), renderer, timeout.Token)) frames.Add(f);

        Assert.Equal(125, frames.Count + source.Stats.FramesSkipped);
        // At least the 1.6 s stall less the second allowed (15 frames); the speech jumps with the frames.
        Assert.True(source.Stats.FramesSkipped >= 14, source.Stats.ToString());
        var breaks = BreaksInSpeech(frames);
        Assert.NotEmpty(breaks);
        Assert.True(breaks[0] > 10, $"speech breaks at frames {string.Join(',', breaks)}");
        // The stall's skip is the first break; a busy machine may add a later one, which is the same rule at work.
        Assert.True(frames.Count > breaks[0] + 5, $"the output goes on after the skip: {frames.Count} frames, speech breaks at {string.Join(',', breaks)}");
    }

    /// <summary>Records written while the push started (the 3D renderer takes seconds) arrive first, seconds old; the
    /// live speech then arrives promptly. The playhead follows the speech: tied to the backlog, the push would play those
    /// seconds behind and the speech, held ahead of the playhead, would not be heard (a CI run recorded flat audio so).</summary>
    [Fact]
    public async Task FramesAsync_FirstRecordsSecondsOld_PlayheadFollowsTheLiveSpeech()
    {
        var publisher = new RtmpPublisherOptions { Url = new Uri("rtmp://127.0.0.1/live/x"), FrameRate = Fps, AudioSampleRate = 48000 };
        var source = new LiveAvatarSource(publisher, new LiveAvatarOptions { Delay = TimeSpan.FromMilliseconds(300), AudioLag = TimeSpan.Zero, Duration = TimeSpan.FromSeconds(3) });
        var (speech, origin) = NumberedSpeech();
        double now = (origin - DateTimeOffset.UnixEpoch).TotalMilliseconds;
        var backlog = Enumerable.Range(0, 5).Select(r => (TimeSpan.Zero, Record(now - 8000 + r * 200, 10, 0))).ToList();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var frames = new List<AvFrame>();
        var audio = AfterBacklogIsFollowed(source, backlog.Count, speech.Select(piece => piece.Item2), timeout.Token);
        await foreach (var f in source.FramesAsync(Deliver(backlog, origin, timeout.Token), audio, new SlowRenderer(drawMs: 0), timeout.Token)) frames.Add(f);

        Assert.Equal(75, frames.Count + source.Stats.FramesSkipped);
        // The backlog tied the clock 7-8 s back; the speech's first piece (under a second old) moved the playhead to it. The move is
        // the difference of the two lags, which a busy machine shifts by however long it stalls one pump (a run with
        // one core kept busy moved 6.6 s), so only "most of the backlog" is asserted.
        Assert.True(source.Stats.PlayheadShiftMs > 5000, source.Stats.ToString());
        // The speech plays from the move on (tied to the backlog, none of it played).
        int firstSound = frames.FindIndex(f => MemoryMarshal.Cast<byte, short>(f.Pcm.Span).ToArray().Any(s => s != 0));
        Assert.True(firstSound >= 0 && firstSound < frames.Count / 2, $"first sound in frame {firstSound} of {frames.Count}; {source.Stats}");
        if (source.Stats.FramesSkipped == 0) Assert.Empty(BreaksInSpeech(frames));
    }

    /// <summary>The speech (from 200 ms before the origin, all of it at once, so that a stalled pump cannot make it late),
    /// delivered once the playhead follows the backlog: two frames drawn after the records came. Delivered on a timer
    /// instead, a busy machine could start the frame loop after both feeds had come (a CI run did), and the speech
    /// would tie the clock first, leaving the move untested.</summary>
    private static async IAsyncEnumerable<TimedPcm> AfterBacklogIsFollowed(LiveAvatarSource source, int records, IEnumerable<TimedPcm> speech,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        while (source.Stats.Records < records) await Task.Delay(10, ct);
        long drawn = source.Stats.Frames;
        while (source.Stats.Frames < drawn + 2) await Task.Delay(10, ct);
        foreach (var piece in speech) yield return piece;
    }

    [Fact]
    public async Task FramesAsync_FeedsEndAndEverythingIsDrawn_Ends()
    {
        var publisher = new RtmpPublisherOptions { Url = new Uri("rtmp://127.0.0.1/live/x"), FrameRate = Fps, AudioSampleRate = 48000 };
        var source = new LiveAvatarSource(publisher, new LiveAvatarOptions { Delay = TimeSpan.FromMilliseconds(2000) });
        var origin = DateTimeOffset.UtcNow;
        double now = (origin - DateTimeOffset.UnixEpoch).TotalMilliseconds;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int count = 0;
        // 400 ms of speech that has just ended: the playhead starts 2 s behind, draws past the end of the speech and the
        // stream ends by itself. How many frames depends on how late a busy machine starts the playhead (a 300 ms delay
        // left none after a 300 ms stall), so only "some, and no more than the delay plus the speech" is asserted.
        await foreach (var _ in source.FramesAsync(Deliver([(TimeSpan.Zero, Record(now - 400, 20, 1))], origin, timeout.Token), null, timeout.Token)) count++;
        Assert.InRange(count, 1, (2000 + 400) / (1000 / Fps) + 5);
        Assert.False(timeout.IsCancellationRequested);
    }
}
