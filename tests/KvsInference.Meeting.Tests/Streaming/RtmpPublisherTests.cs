using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using KvsInference.Meeting.Streaming;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Streaming;

/// <summary>The publisher against a real RTMP server: Debian's nginx with the RTMP module on 127.0.0.1.</summary>
public sealed class RtmpPublisherTests
{
    private static RtmpPublisherOptions Options(Uri url) => new()
    {
        Url = url,
        Width = 640,
        Height = 480,
        FrameRate = 25,
        AudioSampleRate = 48000,
        ReconnectDelay = TimeSpan.FromMilliseconds(200),
        MaxReconnectDelay = TimeSpan.FromSeconds(1),
        MaxReconnectAttempts = 6,
        StableAfterFrames = 10,
        // A loaded test machine must not stop a healthy ffmpeg; a stalled one is still stopped well inside the tests' 30 s.
        StallTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>A moving test pattern (colour bars sliding by 8 px a frame) with a 440 Hz tone.</summary>
    private static async IAsyncEnumerable<AvFrame> TestPattern(RtmpPublisherOptions o, int count, TimeSpan pace,
        Action<int>? onFrame = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var start = Stopwatch.GetTimestamp();
        var samplesPerFrame = o.AudioSampleRate / o.FrameRate;
        for (var n = 0; n < count; n++)
        {
            onFrame?.Invoke(n);
            var rgba = new byte[o.FrameBytes];
            for (var y = 0; y < o.Height; y++)
            {
                for (var x = 0; x < o.Width; x++)
                {
                    var bar = ((x + n * 8) / 80) % 8;
                    var i = (y * o.Width + x) * 4;
                    rgba[i] = (byte)((bar & 1) * 255);
                    rgba[i + 1] = (byte)((bar >> 1 & 1) * 255);
                    rgba[i + 2] = (byte)((bar >> 2 & 1) * 255);
                    rgba[i + 3] = 255;
                }
            }
            var pcm = new byte[o.AudioBytesPerFrame];
            for (var s = 0; s < samplesPerFrame; s++)
            {
                var t = (n * samplesPerFrame + s) / (double)o.AudioSampleRate;
                BitConverter.TryWriteBytes(pcm.AsSpan(s * 2), (short)(8000 * Math.Sin(2 * Math.PI * 440 * t)));
            }
            yield return new AvFrame(rgba, pcm);
            if (pace > TimeSpan.Zero)
            {
                var due = pace * (n + 1) - Stopwatch.GetElapsedTime(start);
                if (due > TimeSpan.Zero) await Task.Delay(due, ct);
            }
        }
    }

    private sealed record Probe(string[] Codecs, int Width, int Height, string FrameRate, double Duration);

    private static Probe? TryProbe(string file)
    {
        try
        {
            var json = ProcessRunner.Run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type,codec_name,width,height,r_frame_rate:format=duration",
                "-of", "json", file], TimeSpan.FromSeconds(20));
            using var doc = JsonDocument.Parse(json);
            var streams = doc.RootElement.GetProperty("streams").EnumerateArray().ToList();
            var video = streams.First(s => s.GetProperty("codec_type").GetString() == "video");
            return new Probe(streams.Select(s => s.GetProperty("codec_name").GetString()!).Order(StringComparer.Ordinal).ToArray(),
                video.GetProperty("width").GetInt32(), video.GetProperty("height").GetInt32(), video.GetProperty("r_frame_rate").GetString()!,
                double.Parse(doc.RootElement.GetProperty("format").GetProperty("duration").GetString()!, CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or JsonException or FormatException)
        {
            return null;
        }
    }

    private static Probe WaitForRecording(string file, double minimumSeconds)
    {
        // nginx-rtmp closes the recording when the publisher disconnects; give it a moment.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        Probe? probe;
        while ((probe = TryProbe(file)) is null || probe.Duration < minimumSeconds)
        {
            if (DateTime.UtcNow > deadline) return probe ?? throw new InvalidOperationException($"{file} is not a readable FLV");
            Thread.Sleep(100);
        }
        return probe;
    }

    [Fact]
    public async Task RunAsync_ThreeSecondsToNginx_RecordedAsH264AacAtSizeRateAndDuration()
    {
        Assert.True(NginxRtmpServer.IsInstalled, "nginx and libnginx-mod-rtmp are required (scripts/setup installs them)");
        using var nginx = new NginxRtmpServer();
        nginx.Start();
        var options = Options(nginx.LiveUrl("avatar"));
        var publisher = new RtmpPublisher(options);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await publisher.RunAsync(TestPattern(options, 75, TimeSpan.Zero, ct: timeout.Token), timeout.Token);

        Assert.Equal(1, publisher.SessionsStarted);
        Assert.Equal(75, publisher.FramesWritten);
        var file = Assert.Single(nginx.Recordings());
        var probe = WaitForRecording(file, 2.8);
        Assert.Equal(["aac", "h264"], probe.Codecs);
        Assert.Equal((640, 480), (probe.Width, probe.Height));
        Assert.Equal("25/1", probe.FrameRate);
        Assert.InRange(probe.Duration, 2.8, 3.3);
    }

    [Fact]
    public async Task RunAsync_ServerKilledMidPushAndRestarted_Reconnects()
    {
        Assert.True(NginxRtmpServer.IsInstalled, "nginx and libnginx-mod-rtmp are required (scripts/setup installs them)");
        using var nginx = new NginxRtmpServer();
        nginx.Start();
        var options = Options(nginx.LiveUrl("avatar"));
        var publisher = new RtmpPublisher(options);
        var restarted = new TaskCompletionSource();

        // 4 s of frames at real time; at 1.2 s nginx is killed, and it is back 0.5 s later.
        void OnFrame(int n)
        {
            if (n != 30) return;
            _ = Task.Run(async () =>
            {
                // A restart that fails (nginx could not bind on a loaded machine) fails the test with its reason
                // instead of leaving it waiting for the timeout.
                try
                {
                    nginx.Stop();
                    await Task.Delay(500);
                    nginx.Start();
                    restarted.SetResult();
                }
                catch (Exception e)
                {
                    restarted.SetException(e);
                }
            });
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var pushing = publisher.RunAsync(TestPattern(options, 100, TimeSpan.FromMilliseconds(40), OnFrame, timeout.Token), timeout.Token);
        await Task.WhenAny(pushing, restarted.Task);
        if (restarted.Task.IsFaulted) await restarted.Task;
        await pushing;
        await restarted.Task.WaitAsync(timeout.Token);

        Assert.True(publisher.SessionsStarted >= 2, $"sessions: {publisher.SessionsStarted}");
        var recordings = nginx.Recordings();
        Assert.True(recordings.Count >= 2, "recordings: " + string.Join(", ", recordings));
        var after = WaitForRecording(recordings[^1], 1.0);
        Assert.Equal(["aac", "h264"], after.Codecs);
        Assert.True(after.Duration >= 1.0, $"the push after the restart lasted {after.Duration} s");
    }

    [Fact]
    public async Task RunAsync_ServerAcceptsButNeverAnswers_StallEndsEachSessionAndThePushGivesUp()
    {
        // A server that takes the TCP connection and then never reads nor answers: ffmpeg blocks in the RTMP handshake
        // and stops taking frames. Without the stall timeout the push would wait for TCP to give up, minutes later.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var held = new List<System.Net.Sockets.TcpClient>();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested) held.Add(await silent.AcceptTcpClientAsync(stop.Token));
        });
        int port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        var options = Options(new Uri($"rtmp://127.0.0.1:{port}/live/avatar"));
        options.MaxReconnectAttempts = 1;
        options.StallTimeout = TimeSpan.FromSeconds(1);
        var publisher = new RtmpPublisher(options);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var e = await Assert.ThrowsAsync<RtmpPublishException>(() => publisher.RunAsync(TestPattern(options, 1000, TimeSpan.Zero, ct: timeout.Token), timeout.Token));

        Assert.False(timeout.IsCancellationRequested, "the push waited for the test's timeout instead of ending the stalled sessions");
        Assert.Equal(2, publisher.SessionsStarted);
        Assert.Contains("took no frame", e.ToString());
        stop.Cancel();
        await accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var c in held) c.Dispose();
    }

    [Fact]
    public async Task RunAsync_NothingListening_GivesUpAfterBoundedRetries()
    {
        using var nginx = new NginxRtmpServer();   // prepared for its free port, never started
        var options = Options(nginx.LiveUrl("avatar"));
        options.MaxReconnectAttempts = 2;
        options.ReconnectDelay = TimeSpan.FromMilliseconds(50);
        var publisher = new RtmpPublisher(options);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var e = await Assert.ThrowsAsync<RtmpPublishException>(() => publisher.RunAsync(TestPattern(options, 1000, TimeSpan.Zero, ct: timeout.Token), timeout.Token));
        Assert.Equal(3, publisher.SessionsStarted);
        Assert.Contains("3 times in a row", e.Message);
        Assert.DoesNotContain("/live/avatar", e.Message); // the stream key is not logged
    }

    [Fact]
    public void Constructor_BadOptions_AllProblemsReported()
    {
        var e = Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new RtmpPublisher(new RtmpPublisherOptions
        {
            Url = new Uri("http://example.org/live"),
            Width = 641,
            FrameRate = 7,
        }));
        Assert.Contains("rtmp://", e.Message);
        Assert.Contains("even", e.Message);
        Assert.Contains("multiple of FrameRate", e.Message);
    }
}
