using System.Diagnostics;
using KvsInference.Avatar.Model;
using KvsInference.Avatar.Rendering;
using KvsInference.Inference;

namespace KvsInference.Benchmarks;

/// <summary>
/// `model-speed [seconds]`: x real time of the viseme model (features + classification + smoothing) on
/// one core, bytes allocated per frame in steady state, and face frames per second at 640x480.
/// </summary>
internal static class ModelSpeedCommand
{
    public static int Run(string[] args)
    {
        int seconds = args.Length > 0 && int.TryParse(args[0], out var s) ? s : 120;
        var model = VisemeModel.LoadDefault(modelDirectory: "/nonexistent");
        var rng = new Random(1);
        var audio = Enumerable.Range(0, 16000 * seconds).Select(i => (short)(4000 * Math.Sin(i * 0.07) + rng.Next(-500, 500))).ToArray();
        const int window = 3200; // 200 ms windows, as the worker sends them
        var frames = new VisemeFrame[model.GetMaxFrameCount(window)];

        // Warm up (JIT, tiering), then measure.
        Run(model, audio.AsSpan(0, 16000 * 5), window, frames);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        int produced = Run(model, audio, window, frames);
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        double realTime = seconds / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"viseme model: {seconds} s of audio in {clock.Elapsed.TotalMilliseconds:F0} ms = {realTime:F0}x real time on one core " +
                          $"({produced} frames at {model.FrameRate} fps; {allocated} bytes allocated in total, excluding the state)");

        using var renderer = new FaceRenderer();
        var rgba = new byte[renderer.FrameBytes];
        for (int k = 0; k < 30; k++) renderer.Render(new VisemeFrame(0.5f, 0.1f, 0.1f, 0.1f, 0.1f, 0.7f, 0.1f), k, rgba);
        int renders = 600;
        before = GC.GetAllocatedBytesForCurrentThread();
        clock.Restart();
        for (int k = 0; k < renders; k++)
        {
            float open = (k % 30) / 30f;
            renderer.Render(new VisemeFrame(open, 0.1f, 0.1f, 1 - open, 0.1f, open, 0.05f), k, rgba);
        }
        clock.Stop();
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Console.WriteLine($"face renderer: {renders / clock.Elapsed.TotalSeconds:F0} frames/s at {renderer.Width}x{renderer.Height} on one core ({allocated / renders} bytes allocated per frame)");
        return 0;
    }

    private static int Run(VisemeModel model, ReadOnlySpan<short> audio, int window, VisemeFrame[] frames)
    {
        var state = model.CreateState();
        int total = 0;
        for (int start = 0; start < audio.Length; start += window)
        {
            total += model.Process(audio.Slice(start, Math.Min(window, audio.Length - start)), state, frames);
        }
        return total;
    }
}
