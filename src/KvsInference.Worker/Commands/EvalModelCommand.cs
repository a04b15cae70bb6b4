using System.CommandLine;
using System.Diagnostics;
using KvsInference.Avatar.Model;
using KvsInference.Avatar.Training;

namespace KvsInference.Worker.Commands;

/// <summary>`eval-model`: the viseme model's scores per held-out voice and engine (recorded humans and espeak-ng voices).</summary>
internal static class EvalModelCommand
{
    public static Command Create()
    {
        var weights = new Option<FileInfo?>("--weights", "-w") { Description = "A weights file to evaluate instead of the shipped one." };
        var prompts = new Option<int>("--prompts") { Description = "Prompts per recorded speaker (default: all).", DefaultValueFactory = _ => int.MaxValue };
        var sentences = new Option<int>("--sentences") { Description = "Sentences per espeak-ng voice (default: all).", DefaultValueFactory = _ => int.MaxValue };
        var smoothing = new Option<double?>("--smoothing-ms") { Description = "Smoothing time constant of the class weights in ms (default: the model's default)." };
        var jawSmoothing = new Option<double?>("--jaw-smoothing-ms") { Description = "Smoothing time constant of jawOpen in ms (default: the model's default)." };
        var aligner = new Option<RecordingAligner>("--aligner") { Description = "Phone timing of the recorded speakers: Dtw (espeak-ng warped) or PocketSphinx (forced alignment).", DefaultValueFactory = _ => RecordingAligner.PocketSphinx };
        var validation = new Option<string[]>("--validation") { Description = "Score these training speakers or voices (left out with train-model --hold-out) instead of the held-out test set; an espeak-ng training voice (e.g. en-gb-scotland+f4) speaks the last sentences of the training corpus, which no recipe trains on.", AllowMultipleArgumentsPerToken = true };
        var opusKbps = new Option<int>("--opus-kbps") { Description = "Hear every utterance through Opus at this many kbit/s (as a meeting's voice reaches the worker; 6..510), 0 for the recordings as they are.", DefaultValueFactory = _ => 0 };
        opusKbps.Validators.Add(r => { if (r.GetValueOrDefault<int>() is not 0 and (< 6 or > 510)) r.AddError($"--opus-kbps must be 0 or 6..510 (got {r.GetValueOrDefault<int>()})."); });
        var freshStreams = new Option<bool>("--fresh-streams") { Description = "Score every utterance as a new stream, instead of right after the same voice's previous utterance (0.25..1.25 s later) in one stream, as a meeting's stream hears its speaker." };
        var command = new Command("eval-model", "Score the viseme model on speakers held out of training: recorded humans (fr, it prompt sets) and espeak-ng voices.") { weights, prompts, sentences, smoothing, jawSmoothing, aligner, validation, opusKbps, freshStreams };
        command.SetAction(parse =>
        {
            // A missing data source (a package setup-training installs) or an unreadable weights file is one line naming
            // the fix, as every other command reports bad input; a bug still shows its trace.
            try
            {
                var file = parse.GetValue(weights);
                var options = new VisemeModelOptions();
                if (parse.GetValue(smoothing) is { } ms) options.SmoothingTime = TimeSpan.FromMilliseconds(ms);
                if (parse.GetValue(jawSmoothing) is { } jawMs) options.JawSmoothingTime = TimeSpan.FromMilliseconds(jawMs);
                var model = new VisemeModel(file is null ? VisemeModel.LoadEmbeddedNetwork() : VisemeNetwork.Load(file.FullName), options);
                int kbps = parse.GetValue(opusKbps);
                var clock = Stopwatch.StartNew();
                var rows = VisemeEvaluator.Evaluate(model, parse.GetValue(prompts), parse.GetValue(sentences), Console.Out, parse.GetValue(aligner),
                    // Without --validation the option reads as an empty list, which would score no one: the held-out set is meant.
                    parse.GetValue(validation) is { Length: > 0 } names ? names : null, kbps * 1000, parse.GetValue(freshStreams));
                Console.WriteLine($"model {model.Name}, {model.FrameRate} fps, evaluated in {clock.Elapsed.TotalSeconds:F1} s{(kbps > 0 ? $", speech heard through Opus at {kbps} kbit/s" : "")}, {(parse.GetValue(freshStreams) ? "every utterance a new stream" : "each utterance right after its voice's previous one, in one stream")}");
                Console.WriteLine("accuracy: largest of the 15 class keys vs the label, at 60 fps frames in the middle 60 % of vowel and silence segments;");
                Console.WriteLine("p/b/m closed: frames at /p b m/ centres with pp largest or jawOpen < 0.15; quiet = loud: same largest key at -40 and -3 dBFS peak.");
                Console.WriteLine(VisemeEvaluator.FormatTable(rows));
                foreach (var row in rows.Where(r => r.Voice == "all"))
                {
                    Console.WriteLine($"{row.Engine}, all voices:");
                    Console.WriteLine(row.FormatConfusion());
                }
                return 0;
            }
            catch (Exception e) when (e is InvalidOperationException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"eval-model: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
