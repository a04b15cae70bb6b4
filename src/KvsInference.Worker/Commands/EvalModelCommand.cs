using System.CommandLine;
using System.Diagnostics;
using KvsInference.Avatar.Model;
using KvsInference.Avatar.Training;

namespace KvsInference.Worker.Commands;

/// <summary>`eval-model`: frame-level accuracy of the viseme model on held-out espeak-ng voices and texts.</summary>
internal static class EvalModelCommand
{
    public static Command Create()
    {
        var weights = new Option<FileInfo?>("--weights", "-w") { Description = "A weights file to evaluate instead of the shipped one." };
        var sentences = new Option<int>("--sentences") { Description = "Sentences per voice (default: all).", DefaultValueFactory = _ => int.MaxValue };
        var smoothing = new Option<double?>("--smoothing-ms") { Description = "Smoothing time constant in ms (default: the model's default)." };
        var command = new Command("eval-model", "Score the viseme model against espeak-ng phoneme timing on held-out voices and texts.") { weights, sentences, smoothing };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(weights);
            var options = new VisemeModelOptions();
            if (parse.GetValue(smoothing) is { } ms) options.SmoothingTime = TimeSpan.FromMilliseconds(ms);
            VisemeModel model;
            if (file is null)
            {
                model = new VisemeModel(VisemeModel.LoadEmbeddedNetwork(), options);
            }
            else
            {
                using var stream = file.OpenRead();
                model = new VisemeModel(VisemeNetwork.Load(stream), options);
            }
            var clock = Stopwatch.StartNew();
            var result = VisemeEvaluator.Evaluate(model, parse.GetValue(sentences));
            Console.WriteLine($"model {model.Name}, {model.FrameRate} fps, held-out voices: {string.Join(", ", VisemeEvaluator.HeldOutVoices)}");
            Console.WriteLine($"{result.Frames} frames, {result.AudioSeconds:F1} s of audio, evaluated in {clock.Elapsed.TotalSeconds:F1} s");
            Console.WriteLine($"frame accuracy (argmax of 5 visemes + silence vs espeak-ng timing): {100 * result.Accuracy:F1} % smoothed (as served), {100 * result.UnsmoothedAccuracy:F1} % unsmoothed");
            Console.WriteLine(result.FormatConfusion());
            return 0;
        });
        return command;
    }
}
