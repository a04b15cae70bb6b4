using System.Diagnostics;
using System.Globalization;
using KvsInference.Avatar.Rendering;
using KvsInference.Inference;
using KvsInference.Meeting.Streaming;

namespace KvsInference.Benchmarks;

/// <summary>
/// `avatar3d-render [--seconds N] [--sizes 640x480,1280x720] [--fps 25] [--avatar PATH]`: the cost of one RTMP avatar
/// stream drawn by the 3D renderer (headless Chromium, software WebGL: <see cref="BrowserAvatarRenderer"/>) per frame
/// size: frames per second flat out, and the CPU (Chromium's processes and this one, in cores) while it keeps a real-time
/// stream at --fps; the 2D face (<see cref="FaceRenderer"/>) at the same size is the baseline of the same run.
/// </summary>
internal static class Avatar3dRenderCommand
{
    public static int Run(string[] args)
    {
        double seconds = 10;
        int fps = 25;
        string? avatar = null;
        var sizes = new List<(int W, int H)> { (640, 480), (1280, 720) };
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--fps": fps = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--avatar": avatar = Next(); break;
                case "--sizes":
                    sizes = Next().Split(',').Select(s => s.Split('x')).Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture))).ToList();
                    break;
                default:
                    Console.Error.WriteLine($"avatar3d-render: unknown argument {args[i]}; usage: avatar3d-render [--seconds N] [--sizes 640x480,1280x720] [--fps 25] [--avatar PATH]");
                    return 2;
            }
        }
        if (seconds <= 0 || fps is < 1 or > 120) throw new ArgumentException("--seconds must be positive, --fps 1..120");
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        try
        {
            foreach (var (w, h) in sizes) RunSize(w, h, fps, seconds, avatar, stop.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("avatar3d-render: stopped");
        }
        return 0;
    }

    private static async Task RunSize(int w, int h, int fps, double seconds, string? avatar, CancellationToken ct)
    {
        var rgba = new byte[w * h * 4];
        // A syllable every 1.2 s, as the browser test feeds.
        VisemeFrame Face(long n)
        {
            float s = (float)Math.Max(0, Math.Sin(2 * Math.PI * n / (double)fps / 1.2));
            return new VisemeFrame(s, 0, 0, 0, 0, s, 1 - s);
        }

        // Baseline: the 2D face, flat out, one core.
        using (var face = new FaceRenderer(new FaceRendererOptions { Width = w, Height = h, FrameRate = fps }))
        {
            long n = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < Math.Min(seconds, 5)) face.Render(Face(n), n++, rgba);
            Console.WriteLine($"{w}x{h} 2D face (baseline): {n / clock.Elapsed.TotalSeconds:F0} frames/s flat out on one core");
        }

        var start = Stopwatch.StartNew();
        await using var renderer = await BrowserAvatarRenderer.StartAsync(w, h, fps, new BrowserAvatarRendererOptions { Avatar = avatar }, cancellationToken: ct);
        Console.WriteLine($"{w}x{h} 3D: {renderer.Description}, Chromium ready in {start.Elapsed.TotalSeconds:F1} s");
        for (int i = 0; i < fps; i++) await renderer.RenderAsync(Face(i), i, rgba, ct); // warm up: shaders, first frames

        // Flat out: one frame after another, each a round trip.
        var latencies = new List<double>();
        double cpuBefore = Cpu(renderer.BrowserProcessId);
        var flat = Stopwatch.StartNew();
        long frames = 0;
        while (flat.Elapsed.TotalSeconds < seconds)
        {
            var one = Stopwatch.StartNew();
            await renderer.RenderAsync(Face(frames), frames++, rgba, ct);
            latencies.Add(one.Elapsed.TotalMilliseconds);
        }
        double flatSeconds = flat.Elapsed.TotalSeconds, flatCpu = Cpu(renderer.BrowserProcessId) - cpuBefore;
        latencies.Sort();
        Console.WriteLine($"{w}x{h} 3D flat out: {frames / flatSeconds:F1} frames/s, per frame median {latencies[latencies.Count / 2]:F1} ms, " +
            $"p90 {latencies[(int)(latencies.Count * 0.9)]:F1} ms; CPU {flatCpu / frames * 1000:F1} ms per frame");

        // Real time: one frame every 1/fps s, as a live push; the CPU over wall time is what one avatar stream costs.
        cpuBefore = Cpu(renderer.BrowserProcessId);
        var paced = Stopwatch.StartNew();
        long late = 0;
        frames = 0;
        while (paced.Elapsed.TotalSeconds < seconds)
        {
            var due = TimeSpan.FromSeconds(frames / (double)fps) - paced.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due, ct);
            else if (due < TimeSpan.FromSeconds(-1.0 / fps)) late++;
            await renderer.RenderAsync(Face(frames), frames++, rgba, ct);
        }
        double pacedCpu = Cpu(renderer.BrowserProcessId) - cpuBefore;
        Console.WriteLine($"{w}x{h} 3D at {fps} fps: {frames / paced.Elapsed.TotalSeconds:F1} frames/s delivered ({late} more than a frame late), " +
            $"CPU {pacedCpu / paced.Elapsed.TotalSeconds:F2} cores per avatar stream (Chromium + this process)");
    }

    // CPU seconds so far of this process and of Chromium's process tree (utime + stime from /proc; children that exited are not counted).
    private static double Cpu(int browserPid)
    {
        double own = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        var parents = new Dictionary<int, int>();
        var ticks = new Dictionary<int, long>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue; // exited meanwhile
            }
            // After the command name in parentheses: state ppid ... utime (14th field) stime (15th).
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
            ticks[pid] = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        bool InTree(int pid)
        {
            for (int p = pid, depth = 0; p > 1 && depth < 64; depth++)
            {
                if (p == browserPid) return true;
                if (!parents.TryGetValue(p, out p)) return false;
            }
            return false;
        }
        long tree = ticks.Where(kv => InTree(kv.Key)).Sum(kv => kv.Value);
        return own + tree / 100.0; // USER_HZ is 100 on Linux
    }
}
