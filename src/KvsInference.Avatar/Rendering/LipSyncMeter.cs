using System.Buffers.Binary;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Globalization;
using KvsInference.Validation;

namespace KvsInference.Avatar.Rendering;

/// <summary>What <see cref="LipSyncMeter.MeasureAsync"/> found.</summary>
/// <param name="OffsetMs">How far the mouth lags the audio: positive when the audio leads the mouth, negative when the mouth leads.</param>
/// <param name="Correlation">The normalized correlation (Pearson, -1..1) of the audio envelope and the mouth opening at the best lag.</param>
/// <param name="FrameRate">The video's frame rate, which is the resolution before the parabolic refinement.</param>
/// <param name="Frames">Video frames measured.</param>
public sealed record LipSyncMeasurement(double OffsetMs, double Correlation, double FrameRate, int Frames)
{
    /// <summary>Gets whether the offset is inside ITU-R BT.1359: audio at most 45 ms ahead of, at most 125 ms behind the picture.</summary>
    /// <value>True when -125 ms &lt;= <see cref="OffsetMs"/> &lt;= 45 ms.</value>
    public bool WithinBt1359 => OffsetMs <= 45 && OffsetMs >= -125;

    /// <summary>Gets the one-line description the <c>lipsync</c> command prints.</summary>
    /// <value>For example "audio leads the mouth by 20 ms (r = 0.80, 180 frames at 60 fps): inside ITU-R BT.1359 (...)".</value>
    public string Describe() =>
        string.Create(CultureInfo.InvariantCulture,
            $"{(OffsetMs >= 0 ? "audio leads the mouth" : "mouth leads the audio")} by {Math.Abs(OffsetMs):F0} ms (r = {Correlation:F2}, {Frames} frames at {FrameRate:0.##} fps): " +
            $"{(WithinBt1359 ? "inside" : "OUTSIDE")} ITU-R BT.1359 (audio at most 45 ms ahead, at most 125 ms behind)");
}

/// <summary>Settings of <see cref="LipSyncMeter"/>.</summary>
public sealed class LipSyncMeterOptions
{
    /// <summary>Gets or sets the largest lag searched either way, in milliseconds.</summary>
    /// <value>The default value is 500.</value>
    [Range(20, 5000)]
    public int MaxLagMs { get; set; } = 500;

    /// <summary>Gets or sets how far (per channel, 0..255) a pixel may be from <see cref="FaceRenderer.MouthInteriorColor"/> and still count: H.264 shifts colours a little.</summary>
    /// <value>The default value is 40.</value>
    [Range(0, 255)]
    public int ColorTolerance { get; set; } = 40;

    /// <summary>Gets or sets the pixel rectangle the mouth is counted in; null: <see cref="FaceRenderer.MouthRegion"/> at the
    /// video's size (the 2D face). The 3D default head's is <see cref="Rendering3D.AvatarHead.MouthRegion"/>.</summary>
    /// <value>The default value is null: the 2D face's mouth region.</value>
    public SkiaSharp.SKRectI? MouthRegion { get; set; }

    /// <summary>Checks every setting and reports all problems together.</summary>
    /// <exception cref="ValidationException">A setting is out of range.</exception>
    public void Validate() => OptionsValidator.Validate(this);
}

/// <summary>
/// Measures the audio-to-mouth offset of a talking-face video drawn by <see cref="FaceRenderer"/>: the audio level per
/// video frame (ffmpeg decodes it to 16 kHz mono) is cross-correlated with the mouth opening per frame (the count of
/// mouth-interior pixels in <see cref="FaceRenderer.MouthRegion"/>, frames decoded by ffmpeg as cropped RGBA).
/// </summary>
public static class LipSyncMeter
{
    private const int SampleRate = 16000;

    /// <summary>Measures the offset of <paramref name="videoPath"/>.</summary>
    /// <param name="videoPath">A video with one video and one audio stream, the face drawn by <see cref="FaceRenderer"/> (any size it supports).</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the run (ffmpeg is killed).</param>
    /// <returns>The offset and its correlation.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file has no video or no audio stream, or its mouth region never changes.</exception>
    /// <exception cref="InvalidOperationException">ffmpeg/ffprobe is missing or failed; the message holds its error output.</exception>
    /// <exception cref="ValidationException">The options are invalid.</exception>
    public static async Task<LipSyncMeasurement> MeasureAsync(string videoPath, LipSyncMeterOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LipSyncMeterOptions();
        options.Validate();
        if (!File.Exists(videoPath)) throw new FileNotFoundException($"video file {videoPath} not found", videoPath);
        var probe = await ProbeAsync(videoPath, cancellationToken).ConfigureAwait(false);

        // The renderer scales the face with the frame size, so the mouth region follows from the video's size.
        SkiaSharp.SKRectI mouth;
        if (options.MouthRegion is { } region)
        {
            if (region.Left < 0 || region.Top < 0 || region.Right > probe.Width || region.Bottom > probe.Height || region.Width < 1 || region.Height < 1)
            {
                throw new ValidationException($"MouthRegion {region} is not inside the {probe.Width}x{probe.Height} video.");
            }
            mouth = region;
        }
        else
        {
            using var renderer = new FaceRenderer(new FaceRendererOptions { Width = probe.Width, Height = probe.Height, FrameRate = probe.FrameRate });
            mouth = renderer.MouthRegion;
        }
        double[] opening = await MouthOpeningAsync(videoPath, mouth, options.ColorTolerance, cancellationToken).ConfigureAwait(false);
        short[] pcm = await AudioAsync(videoPath, cancellationToken).ConfigureAwait(false);
        double[] level = AudioLevel(pcm, probe.AudioStart - probe.VideoStart, probe.FrameRate, opening.Length);

        int maxLag = Math.Max(1, (int)Math.Round(options.MaxLagMs / 1000.0 * probe.FrameRate));
        var (lag, r) = BestLag(level, opening, maxLag);
        return new LipSyncMeasurement(lag * 1000 / probe.FrameRate, r, probe.FrameRate, opening.Length);
    }

    /// <summary>
    /// The audio level in dB (RMS over one frame period centred on each frame's time, floored at -80 dBFS): the model
    /// opens the jaw by the level in dB, so the log envelope is what the mouth follows.
    /// </summary>
    /// <param name="pcm">16 kHz mono samples.</param>
    /// <param name="audioStartSeconds">Time of the first sample relative to the first video frame.</param>
    /// <param name="frameRate">Video frames per second.</param>
    /// <param name="frames">Frames wanted.</param>
    internal static double[] AudioLevel(ReadOnlySpan<short> pcm, double audioStartSeconds, double frameRate, int frames)
    {
        var level = new double[frames];
        double half = 0.5 / frameRate;
        for (int k = 0; k < frames; k++)
        {
            double t = k / frameRate - audioStartSeconds;
            int from = Math.Max(0, (int)Math.Round((t - half) * SampleRate));
            int to = Math.Min(pcm.Length, (int)Math.Round((t + half) * SampleRate));
            double sum = 0;
            for (int i = from; i < to; i++) sum += (double)pcm[i] * pcm[i];
            double rms = to > from ? Math.Sqrt(sum / (to - from)) / 32768.0 : 0;
            level[k] = 20 * Math.Log10(Math.Max(rms, 1e-4));
        }
        return level;
    }

    /// <summary>
    /// Finds the lag (in frames, positive when <paramref name="mouth"/> follows <paramref name="audio"/>) with the largest
    /// Pearson correlation over the overlapping frames, refined between frames by a parabola through the peak and its neighbours.
    /// </summary>
    /// <exception cref="InvalidDataException">A series is constant, so there is nothing to correlate.</exception>
    internal static (double Lag, double Correlation) BestLag(double[] audio, double[] mouth, int maxLag)
    {
        if (Variance(audio) < 1e-12) throw new InvalidDataException("the audio level never changes: silent or constant audio");
        if (Variance(mouth) < 1e-12) throw new InvalidDataException("the mouth region never changes: not a talking-face video made by animate, or the mouth never opens");
        maxLag = Math.Min(maxLag, audio.Length - 3);
        if (maxLag < 1) throw new InvalidDataException($"the video has {audio.Length} frames: too short to measure");
        var r = new double[2 * maxLag + 1];
        int best = 0;
        for (int lag = -maxLag; lag <= maxLag; lag++)
        {
            r[lag + maxLag] = Pearson(audio, mouth, lag);
            if (r[lag + maxLag] > r[best]) best = lag + maxLag;
        }
        double refined = best - maxLag;
        if (best > 0 && best < r.Length - 1)
        {
            double y0 = r[best - 1], y1 = r[best], y2 = r[best + 1];
            double curvature = y0 - 2 * y1 + y2;
            if (curvature < 0) refined += 0.5 * (y0 - y2) / curvature;
        }
        return (refined, r[best]);
    }

    // Pearson correlation of audio[k] and mouth[k + lag] over the frames both have.
    private static double Pearson(double[] audio, double[] mouth, int lag)
    {
        int from = Math.Max(0, -lag), to = Math.Min(audio.Length, mouth.Length - lag);
        int n = to - from;
        if (n < 3) return double.NegativeInfinity;
        double ma = 0, mm = 0;
        for (int k = from; k < to; k++)
        {
            ma += audio[k];
            mm += mouth[k + lag];
        }
        ma /= n;
        mm /= n;
        double sab = 0, saa = 0, sbb = 0;
        for (int k = from; k < to; k++)
        {
            double a = audio[k] - ma, b = mouth[k + lag] - mm;
            sab += a * b;
            saa += a * a;
            sbb += b * b;
        }
        return saa > 0 && sbb > 0 ? sab / Math.Sqrt(saa * sbb) : 0;
    }

    private static double Variance(double[] x)
    {
        if (x.Length == 0) return 0;
        double mean = x.Average();
        return x.Sum(v => (v - mean) * (v - mean)) / x.Length;
    }

    private sealed record Probe(int Width, int Height, double FrameRate, double VideoStart, double AudioStart);

    private static async Task<Probe> ProbeAsync(string path, CancellationToken cancellationToken)
    {
        string text = await RunTextAsync("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type,width,height,avg_frame_rate,start_time", "-of", "csv=p=0:nk=0", path], cancellationToken).ConfigureAwait(false);
        Probe? video = null;
        double? audioStart = null;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split(',').Select(f => f.Split('=', 2)).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1]);
            double start = fields.TryGetValue("start_time", out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0;
            if (fields.GetValueOrDefault("codec_type") == "video" && video is null)
            {
                video = new Probe(int.Parse(fields["width"], CultureInfo.InvariantCulture), int.Parse(fields["height"], CultureInfo.InvariantCulture),
                    ParseRate(fields.GetValueOrDefault("avg_frame_rate") ?? "0/0", path), start, 0);
            }
            else if (fields.GetValueOrDefault("codec_type") == "audio" && audioStart is null)
            {
                audioStart = start;
            }
        }
        if (video is null) throw new InvalidDataException($"{path} has no video stream");
        if (audioStart is null) throw new InvalidDataException($"{path} has no audio stream");
        return video with { AudioStart = audioStart.Value };
    }

    private static double ParseRate(string rate, string path)
    {
        var parts = rate.Split('/');
        if (parts.Length == 2 && double.TryParse(parts[0], CultureInfo.InvariantCulture, out var num) && double.TryParse(parts[1], CultureInfo.InvariantCulture, out var den) && num > 0 && den > 0)
        {
            return num / den;
        }
        throw new InvalidDataException($"{path}: the video has no usable frame rate ({rate})");
    }

    private static async Task<double[]> MouthOpeningAsync(string path, SkiaSharp.SKRectI mouth, int tolerance, CancellationToken cancellationToken)
    {
        int frameBytes = mouth.Width * mouth.Height * 4;
        var color = FaceRenderer.MouthInteriorColor;
        var counts = new List<double>();
        int leftover = 0;
        await RunAsync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough",
            // RGBA before the crop: cropping the decoded yuv420p rounds an odd width or height down to even, so the frames
            // would come out smaller than read here and every frame would be read shifted into the next one (a region of
            // 163x115 measured a 3D push's mouth 200 ms early).
            "-vf", $"format=rgba,crop={mouth.Width}:{mouth.Height}:{mouth.Left}:{mouth.Top}", "-f", "rawvideo", "-pix_fmt", "rgba", "-"], async stdout =>
        {
            var frame = new byte[frameBytes];
            while (true)
            {
                int read = await stdout.ReadAtLeastAsync(frame, frameBytes, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                if (read < frameBytes)
                {
                    leftover = read;
                    break;
                }
                int n = 0;
                for (int i = 0; i < frameBytes; i += 4)
                {
                    if (Math.Abs(frame[i] - color.Red) <= tolerance && Math.Abs(frame[i + 1] - color.Green) <= tolerance && Math.Abs(frame[i + 2] - color.Blue) <= tolerance) n++;
                }
                counts.Add((double)n / (mouth.Width * mouth.Height));
            }
        }, cancellationToken).ConfigureAwait(false);
        // A part-frame at the end means the frames were not the size read: every count would be of the wrong pixels.
        if (leftover > 0)
        {
            throw new InvalidDataException($"{path}: ffmpeg's cropped frames are not {mouth.Width}x{mouth.Height} RGBA ({leftover} bytes left over after {counts.Count} frames)");
        }
        return counts.ToArray();
    }

    private static async Task<short[]> AudioAsync(string path, CancellationToken cancellationToken)
    {
        var bytes = new MemoryStream();
        await RunAsync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:a:0", "-ac", "1", "-ar", SampleRate.ToString(CultureInfo.InvariantCulture),
            "-f", "s16le", "-"], stdout => stdout.CopyToAsync(bytes, cancellationToken), cancellationToken).ConfigureAwait(false);
        var data = bytes.GetBuffer().AsSpan(0, (int)bytes.Length);
        var pcm = new short[data.Length / 2];
        for (int i = 0; i < pcm.Length; i++) pcm[i] = BinaryPrimitives.ReadInt16LittleEndian(data[(2 * i)..]);
        return pcm;
    }

    private static async Task<string> RunTextAsync(string program, string[] arguments, CancellationToken cancellationToken)
    {
        string text = "";
        await RunAsync(program, arguments, async stdout =>
        {
            using var reader = new StreamReader(stdout);
            text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return text;
    }

    private static async Task RunAsync(string program, string[] arguments, Func<Stream, Task> readStdout, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {program}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{program} is not installed (apt-get install ffmpeg)", e);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await readStdout(process.StandardOutput.BaseStream).ConfigureAwait(false);
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            if (process.ExitCode != 0) throw new InvalidOperationException($"{program} exited {process.ExitCode}: {(await stderr.ConfigureAwait(false)).Trim()}");
        }
    }
}
