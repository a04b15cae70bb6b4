using System.Diagnostics;
using KvsInference.Avatar.Features;
using KvsInference.Avatar.Model;
using KvsInference.Avatar.Rendering;
using KvsInference.Inference;

namespace KvsInference.Benchmarks;

/// <summary>
/// `model-speed [seconds] [baseline.weights]`: x real time of the viseme model (features + classification + smoothing) on
/// one core, bytes allocated per frame in steady state, and face frames per second at 640x480. With a baseline weights
/// file, that model is timed in the same run, each model twice in turn (A B A B), and the ratio printed.
/// </summary>
internal static class ModelSpeedCommand
{
    public static int Run(string[] args)
    {
        int seconds = args.Length > 0 && int.TryParse(args[0], out var s) ? s : 120;
        var model = VisemeModel.LoadDefault(modelDirectory: "/nonexistent");
        var baseline = args.Length > 1 ? new VisemeModel(VisemeNetwork.Load(args[1])) : null;
        var rng = new Random(1);
        var audio = Enumerable.Range(0, 16000 * seconds).Select(i => (short)(4000 * Math.Sin(i * 0.07) + rng.Next(-500, 500))).ToArray();

        double realTime = TimeModel(model, "viseme model", audio, seconds);
        if (baseline is not null)
        {
            double baselineRealTime = TimeModel(baseline, "baseline", audio, seconds);
            realTime = Math.Max(realTime, TimeModel(model, "viseme model", audio, seconds));
            baselineRealTime = Math.Max(baselineRealTime, TimeModel(baseline, "baseline", audio, seconds));
            Console.WriteLine($"{model.Name} against {baseline.Name} ({args[1]}), the better of two turns each: {realTime:F0}x / {baselineRealTime:F0}x = {realTime / baselineRealTime:F2}");
        }

        PrintStages(model, audio);

        using var renderer = new FaceRenderer();
        var rgba = new byte[renderer.FrameBytes];
        for (int k = 0; k < 30; k++) renderer.Render(new VisemeFrame(0.5f, 0.1f, 0.1f, 0.1f, 0.1f, 0.7f, 0.1f), k, rgba);
        int renders = 600;
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (int k = 0; k < renders; k++)
        {
            float open = (k % 30) / 30f;
            renderer.Render(new VisemeFrame(open, 0.1f, 0.1f, 1 - open, 0.1f, open, 0.05f), k, rgba);
        }
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Console.WriteLine($"face renderer: {renders / clock.Elapsed.TotalSeconds:F0} frames/s at {renderer.Width}x{renderer.Height} on one core ({allocated / renders} bytes allocated per frame)");
        return 0;
    }

    /// <summary>Streams the audio through one model in 200 ms windows (as the worker sends them) and prints x real time.</summary>
    private static double TimeModel(VisemeModel model, string label, short[] audio, int seconds)
    {
        const int window = 3200;
        var frames = new VisemeFrame[model.GetMaxFrameCount(window)];
        // Warm up for a wall-clock second, not a count: tiered JIT promotes hot methods to optimised code only
        // after a quiet period of ~100 ms, so a short warm-up would measure tier-0 code.
        var warmUp = Stopwatch.StartNew();
        while (warmUp.ElapsedMilliseconds < 1000) Run(model, model.CreateState(), audio.AsSpan(0, 16000 * 5), window, frames);
        var state = model.CreateState();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        int produced = Run(model, state, audio, window, frames);
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        double realTime = seconds / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"{label} {model.Name}: {seconds} s of audio in {clock.Elapsed.TotalMilliseconds:F0} ms = {realTime:F0}x real time on one core " +
                          $"({produced} frames at {model.FrameRate} fps; {allocated} bytes allocated in total)");
        return realTime;
    }

    /// <summary>Per-decision cost of each stage, every one timed in this run on the same audio.</summary>
    private static void PrintStages(VisemeModel model, short[] audio)
    {
        const int decisions = 20000;
        var network = model.Network;
        var samples = new float[FeatureConstants.WindowSamples];
        var scratch = new LogMelSpectrogram.Scratch();
        var logMel = new float[FeatureConstants.MelBands];
        var input = new float[network.InputSize];
        var hidden = new float[network.HiddenBufferSize];
        var probabilities = new float[VisemeNetwork.ClassCount];
        var fft = new RealFft(FeatureConstants.FftSize);
        void LoadWindow(int d)
        {
            int start = d * FeatureConstants.HopSamples % (audio.Length - FeatureConstants.WindowSamples);
            for (int i = 0; i < samples.Length; i++) samples[i] = audio[start + i] / 32768f;
        }
        double Time(Action<int> body)
        {
            var warmUp = Stopwatch.StartNew();
            while (warmUp.ElapsedMilliseconds < 500) body(0); // past tiered JIT
            var clock = Stopwatch.StartNew();
            for (int d = 0; d < decisions; d++) body(d);
            return clock.Elapsed.TotalMicroseconds / decisions;
        }
        double load = Time(LoadWindow);
        double fftOnly = Time(d => { LoadWindow(d); fft.PowerSpectrum(scratch.Frame, scratch.Re, scratch.Im, scratch.Power); }) - load;
        double features = Time(d => { LoadWindow(d); LogMelSpectrogram.Shared.Compute(samples, scratch, logMel); }) - load;
        var levels = new LevelNormaliser.State();
        LevelNormaliser.Reset(levels, network.SpeechMean, network.SpeechVariance);
        double Normalisation(int noiseFloorDb) => Time(d =>
        {
            logMel.AsSpan().Fill(-10 - d % 7);
            LevelNormaliser.Apply(levels, logMel, 1e-3f, network.SpeechMean, network.SpeechVariance, noiseFloorDb);
        });
        double normalisation = Normalisation(network.NoiseFloorDb), withoutFloor = Normalisation(0);
        for (int i = 0; i < input.Length; i++) input[i] = MathF.Sin(i);
        double forward = Time(_ => network.Forward(input, hidden, probabilities));
        double reference = Time(_ => network.ForwardReference(input, hidden, probabilities));
        Console.WriteLine($"per 10 ms decision: log-mel {features:F2} us (of which FFT {fftOnly:F2} us), " +
                          $"level normalisation {normalisation:F2} us with the noise floor of {network.NoiseFloorDb} dB ({withoutFloor:F2} us without), MLP {forward:F2} us " +
                          $"(the plain row-by-row reference MLP: {reference:F2} us, {reference / forward:F1}x slower); " +
                          $"features + normalisation + MLP = {10000 / (features + normalisation + forward):F0}x real time");
    }

    private static int Run(VisemeModel model, VisemeStreamState state, ReadOnlySpan<short> audio, int window, VisemeFrame[] frames)
    {
        int total = 0;
        for (int start = 0; start < audio.Length; start += window)
        {
            total += model.Process(audio.Slice(start, Math.Min(window, audio.Length - start)), state, frames);
        }
        return total;
    }
}
