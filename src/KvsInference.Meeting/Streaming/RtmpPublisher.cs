using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace KvsInference.Meeting.Streaming;

/// <summary>
/// Pushes video frames and their audio to an RTMP(S) server (Zoom's stream ingestion, YouTube, nginx-rtmp...) through
/// an ffmpeg process: raw RGBA frames on its standard input, s16le PCM on a named pipe, H.264 (x264, zero-latency)
/// and AAC out in FLV. When the push drops (ffmpeg exits), a new ffmpeg session is started with exponential backoff
/// (Polly), at most <see cref="RtmpPublisherOptions.MaxReconnectAttempts"/> consecutive failures.
/// </summary>
/// <remarks>
/// Frames are pulled from the source only while a session is running: during a backoff the producer is held back
/// (backpressure) rather than frames being buffered without bound. The few frames queued when a push drops are lost, and
/// the publisher keeps a frame's memory until ffmpeg has read it, so producers must not reuse frame buffers.
/// Each session restarts the stream's timestamps at zero, as any encoder reconnecting to RTMP does.
/// </remarks>
public sealed partial class RtmpPublisher
{
    // Frames queued per input: enough to absorb ffmpeg's reading in bursts, bounded so memory stays small (4 x 1.2 MB at 640x480).
    private const int QueuedFrames = 4;

    private readonly RtmpPublisherOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private int _sessions;

    /// <summary>Creates a publisher.</summary>
    /// <param name="options">Target, encoding and reconnect policy; validated here.</param>
    /// <param name="time">The clock of the backoff delays.</param>
    /// <param name="logger">Sessions, drops and retries are logged.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public RtmpPublisher(RtmpPublisherOptions options, TimeProvider? time = null, ILogger<RtmpPublisher>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Gets how many ffmpeg sessions were started (1 + reconnections).</summary>
    public int SessionsStarted => Volatile.Read(ref _sessions);

    /// <summary>Gets how many frames were handed to ffmpeg in total.</summary>
    public long FramesWritten => Interlocked.Read(ref _framesWritten);

    private long _framesWritten;

    /// <summary>Publishes until the source ends (then ffmpeg is flushed) or cancellation.</summary>
    /// <param name="frames">The frames, in presentation order, at the configured size and audio length.</param>
    /// <param name="cancellationToken">Stops publishing; ffmpeg is killed.</param>
    /// <exception cref="RtmpPublishException">The push failed more than MaxReconnectAttempts times in a row, or ffmpeg failed when flushing.</exception>
    /// <exception cref="ArgumentException">A frame has the wrong number of bytes.</exception>
    public async Task RunAsync(IAsyncEnumerable<AvFrame> frames, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var source = frames.GetAsyncEnumerator(cancellationToken);
        try
        {
            // One retry pipeline per "connection episode": a session that delivered StableAfterFrames and then dropped
            // is a new episode with a fresh count of attempts, so a long stream survives occasional drops.
            while (true)
            {
                var builder = new ResiliencePipelineBuilder { TimeProvider = _time };
                if (_options.MaxReconnectAttempts > 0)
                {
                    builder.AddRetry(new RetryStrategyOptions
                    {
                        ShouldHandle = new PredicateBuilder().Handle<RtmpSessionFailedException>(),
                        MaxRetryAttempts = _options.MaxReconnectAttempts,
                        BackoffType = DelayBackoffType.Exponential,
                        Delay = _options.ReconnectDelay,
                        MaxDelay = _options.MaxReconnectDelay,
                        UseJitter = false,
                        OnRetry = args =>
                        {
                            _logger.LogWarning("rtmp: push to {Url} failed ({Reason}); reconnect attempt {Attempt}/{Max} in {Delay}",
                                Redact(_options.Url!), args.Outcome.Exception?.Message, args.AttemptNumber + 1, _options.MaxReconnectAttempts, args.RetryDelay);
                            return default;
                        },
                    });
                }
                var pipeline = builder.Build();
                SessionOutcome outcome;
                try
                {
                    outcome = await pipeline.ExecuteAsync(async ct => await RunSessionAsync(source, ct), cancellationToken);
                }
                catch (RtmpSessionFailedException e)
                {
                    throw new RtmpPublishException(
                        $"The RTMP push to {Redact(_options.Url!)} failed {_options.MaxReconnectAttempts + 1} times in a row: {e.Message}", e);
                }
                if (outcome == SessionOutcome.Completed) return;
                _logger.LogWarning("rtmp: established push to {Url} dropped; reconnecting", Redact(_options.Url!));
            }
        }
        finally
        {
            await source.DisposeAsync();
        }
    }

    private enum SessionOutcome
    {
        Completed,
        DroppedAfterStable,
    }

    private async Task<SessionOutcome> RunSessionAsync(IAsyncEnumerator<AvFrame> source, CancellationToken cancellationToken)
    {
        var session = Interlocked.Increment(ref _sessions);
        var dir = Directory.CreateTempSubdirectory("kvsi-rtmp-");
        var fifo = Path.Combine(dir.FullName, "audio.pcm");
        if (MkFifo(fifo, 0b110_000_000) != 0)
        {
            throw new RtmpPublishException($"mkfifo {fifo} failed (errno {Marshal.GetLastPInvokeError()}); a named pipe is needed for the audio");
        }
        var psi = new ProcessStartInfo(_options.FfmpegPath)
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in FfmpegArguments(fifo)) psi.ArgumentList.Add(a);

        var stderr = new StringBuilder();
        Process ffmpeg;
        try
        {
            ffmpeg = Process.Start(psi) ?? throw new RtmpPublishException($"could not start {_options.FfmpegPath}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            dir.Delete(true);
            throw new RtmpPublishException($"could not start {_options.FfmpegPath}: {e.Message}", e);
        }
        _logger.LogInformation("rtmp: session {Session} pushing {Width}x{Height}@{Fps} to {Url}",
            session, _options.Width, _options.Height, _options.FrameRate, Redact(_options.Url!));
        var stderrTask = PumpStderrAsync(ffmpeg, stderr);
        _ = ffmpeg.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);

        // ffmpeg opens and probes its inputs one after the other (video, then audio), so each pipe needs its own writer:
        // a single loop writing video then audio would deadlock while ffmpeg still waits on the other input.
        var videoQueue = Channel.CreateBounded<ReadOnlyMemory<byte>>(QueuedFrames);
        var audioQueue = Channel.CreateBounded<ReadOnlyMemory<byte>>(QueuedFrames);
        using var sessionCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var videoWriter = Task.Run(() => WriteAllAsync(videoQueue.Reader, _ => Task.FromResult(ffmpeg.StandardInput.BaseStream), sessionCts.Token));
        var audioWriter = Task.Run(() => WriteAllAsync(audioQueue.Reader,
            async ct => (Stream)await OpenFifoForWriteAsync(fifo, ffmpeg, ct), sessionCts.Token));
        var anyWriterDone = Task.WhenAny(videoWriter, audioWriter);
        long frames = 0;
        try
        {
            while (await source.MoveNextAsync())
            {
                var frame = source.Current;
                if (frame.Rgba.Length != _options.FrameBytes || frame.Pcm.Length != _options.AudioBytesPerFrame)
                {
                    throw new ArgumentException($"A frame must have {_options.FrameBytes} RGBA bytes and {_options.AudioBytesPerFrame} PCM bytes; " +
                        $"got {frame.Rgba.Length} and {frame.Pcm.Length}.");
                }
                var queued = Task.WhenAll(videoQueue.Writer.WriteAsync(frame.Rgba, sessionCts.Token).AsTask(),
                    audioQueue.Writer.WriteAsync(frame.Pcm, sessionCts.Token).AsTask());
                if (!queued.IsCompleted && await IsStalledAsync(queued, anyWriterDone, sessionCts.Token))
                {
                    // ffmpeg has taken no frame for the stall timeout: its output is blocked. Stopping it turns the stall
                    // into a dropped session, which reconnects.
                    ffmpeg.Kill(entireProcessTree: true);
                    await sessionCts.CancelAsync();
                    await ExitedAsync(ffmpeg);
                    var stalled = $"ffmpeg took no frame for {_options.StallTimeout.TotalSeconds:0.#} s after {frames} frames; stopped it: {TailRedacted(stderr, stderrTask)}";
                    if (frames >= _options.StableAfterFrames)
                    {
                        _logger.LogWarning("rtmp: session {Session} stalled: {Why}", session, stalled);
                        return SessionOutcome.DroppedAfterStable;
                    }
                    throw new RtmpSessionFailedException(stalled);
                }
                if (await Task.WhenAny(queued, anyWriterDone) != queued)
                {
                    // A writer ended before the source did: ffmpeg is gone (the push dropped or never connected).
                    await sessionCts.CancelAsync();
                    await ExitedAsync(ffmpeg);
                    var failure = (await anyWriterDone).Exception?.GetBaseException();
                    var why = $"ffmpeg stopped after {frames} frames (exit {ExitCode(ffmpeg)}): {TailRedacted(stderr, stderrTask)}";
                    if (frames >= _options.StableAfterFrames)
                    {
                        _logger.LogWarning(failure, "rtmp: session {Session} dropped: {Why}", session, why);
                        return SessionOutcome.DroppedAfterStable;
                    }
                    throw new RtmpSessionFailedException(why, failure);
                }
                frames++;
                Interlocked.Increment(ref _framesWritten);
            }

            // The source ended: the writers close both inputs, so ffmpeg flushes the encoders and the FLV trailer.
            videoQueue.Writer.Complete();
            audioQueue.Writer.Complete();
            using var flush = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await Task.WhenAll(videoWriter, audioWriter).WaitAsync(flush.Token);
            }
            catch (IOException e)
            {
                await ExitedAsync(ffmpeg);
                throw new RtmpPublishException($"ffmpeg stopped while flushing (exit {ExitCode(ffmpeg)}): {TailRedacted(stderr, stderrTask)}", e);
            }
            await ffmpeg.WaitForExitAsync(flush.Token);
            await stderrTask;
            if (ffmpeg.ExitCode != 0)
            {
                throw new RtmpPublishException($"ffmpeg exited {ffmpeg.ExitCode} while flushing the push: {Redacted(stderr.ToString())}");
            }
            _logger.LogInformation("rtmp: session {Session} finished after {Frames} frames", session, frames);
            return SessionOutcome.Completed;
        }
        finally
        {
            await sessionCts.CancelAsync();
            if (!ffmpeg.HasExited)
            {
                ffmpeg.Kill(entireProcessTree: true);
                await ffmpeg.WaitForExitAsync(CancellationToken.None);
            }
            await Task.WhenAll(videoWriter, audioWriter).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            ffmpeg.Dispose();
            dir.Delete(true);
        }
    }

    /// <summary>Waits for a frame to be queued; true when neither it nor a writer's end came within the stall timeout.</summary>
    private async Task<bool> IsStalledAsync(Task queued, Task anyWriterDone, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var stall = Task.Delay(_options.StallTimeout, _time, timer.Token);
        var first = await Task.WhenAny(queued, anyWriterDone, stall).ConfigureAwait(false);
        await timer.CancelAsync().ConfigureAwait(false);
        return first == stall && !cancellationToken.IsCancellationRequested;
    }

    private static async Task WriteAllAsync(ChannelReader<ReadOnlyMemory<byte>> queue, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        var stream = await open(cancellationToken);
        try
        {
            await foreach (var chunk in queue.ReadAllAsync(cancellationToken))
            {
                await stream.WriteAsync(chunk, cancellationToken);
            }
            await stream.FlushAsync(cancellationToken);
        }
        finally
        {
            // Closing the pipe is ffmpeg's end-of-input.
            try
            {
                await stream.DisposeAsync();
            }
            catch (IOException)
            {
            }
        }
    }

    private IEnumerable<string> FfmpegArguments(string fifo)
    {
        var o = _options;
        var fps = o.FrameRate.ToString(CultureInfo.InvariantCulture);
        return
        [
            "-hide_banner", "-nostdin", "-loglevel", "error",
            // Raw inputs need no probing; ffmpeg's default probe (5 MB) would wait for more video before it even opens
            // the audio pipe, while our writers keep video and audio in step.
            "-probesize", "32", "-analyzeduration", "0",
            "-f", "rawvideo", "-pix_fmt", "rgba", "-video_size", $"{o.Width}x{o.Height}", "-framerate", fps,
            "-thread_queue_size", "64", "-i", "pipe:0",
            "-probesize", "32", "-analyzeduration", "0",
            "-f", "s16le", "-ar", o.AudioSampleRate.ToString(CultureInfo.InvariantCulture), "-ac", o.AudioChannels.ToString(CultureInfo.InvariantCulture),
            "-thread_queue_size", "64", "-i", fifo,
            "-map", "0:v", "-map", "1:a",
            "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
            "-b:v", $"{o.VideoBitrateKbps}k", "-maxrate", $"{o.VideoBitrateKbps}k", "-bufsize", $"{o.VideoBitrateKbps * 2}k",
            "-g", (o.FrameRate * 2).ToString(CultureInfo.InvariantCulture), "-r", fps,
            "-c:a", "aac", "-b:a", $"{o.AudioBitrateKbps}k",
            "-f", "flv", o.Url!.ToString(),
        ];
    }

    private static async Task<FileStream> OpenFifoForWriteAsync(string fifo, Process ffmpeg, CancellationToken cancellationToken)
    {
        // open(O_WRONLY) on a FIFO blocks until ffmpeg opens it for reading; if ffmpeg dies first, a reader of our own
        // releases the blocked open so no thread is left hanging.
        var open = Task.Run(() => new FileStream(fifo, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0));
        var exited = ffmpeg.WaitForExitAsync(cancellationToken);
        await ((Task)Task.WhenAny(open, exited)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (open.IsCompleted) return await open;
        using (new FileStream(fifo, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0))
        {
            await (await open).DisposeAsync();
        }
        cancellationToken.ThrowIfCancellationRequested();
        throw new RtmpSessionFailedException($"ffmpeg exited {ffmpeg.ExitCode} before reading its audio input");
    }

    private static async Task PumpStderrAsync(Process ffmpeg, StringBuilder sink)
    {
        string? line;
        while ((line = await ffmpeg.StandardError.ReadLineAsync()) is not null)
        {
            lock (sink)
            {
                // Keep the last few KB: enough to say why a push failed.
                if (sink.Length > 4096) sink.Remove(0, sink.Length - 2048);
                sink.AppendLine(line);
            }
        }
    }

    private static async Task ExitedAsync(Process ffmpeg)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await ffmpeg.WaitForExitAsync(cts.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private static string ExitCode(Process p) => p.HasExited ? p.ExitCode.ToString(CultureInfo.InvariantCulture) : "still running";

    private static string Tail(StringBuilder sink, Task stderrTask)
    {
        stderrTask.Wait(TimeSpan.FromSeconds(2));
        lock (sink)
        {
            var text = sink.ToString().Trim();
            return text.Length == 0 ? "(no message)" : text.Replace('\n', ' ');
        }
    }

    // ffmpeg's messages quote the URL, stream key included.
    private string Redacted(string text) => text.Replace(_options.Url!.ToString(), Redact(_options.Url!), StringComparison.Ordinal)
        .Replace(_options.Url!.AbsolutePath, "/***", StringComparison.Ordinal);

    private string TailRedacted(StringBuilder sink, Task stderrTask) => Redacted(Tail(sink, stderrTask));

    // The stream key is a secret: log the URL without its last path segment.
    private static string Redact(Uri url)
    {
        var path = url.AbsolutePath;
        var cut = path.LastIndexOf('/');
        return $"{url.Scheme}://{url.Authority}{(cut > 0 ? path[..cut] : path)}/***";
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MkFifo(string path, uint mode);

    private sealed class RtmpSessionFailedException(string message, Exception? inner = null) : Exception(message, inner);
}
