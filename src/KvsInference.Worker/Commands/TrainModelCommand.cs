using System.CommandLine;
using KvsInference.Avatar.Model;
using KvsInference.Avatar.Training;

namespace KvsInference.Worker.Commands;

/// <summary>`train-model -o path`: trains the viseme classifier from espeak-ng speech and writes the weights file.</summary>
internal static class TrainModelCommand
{
    public static Command Create()
    {
        var output = new Option<FileInfo>("--output", "-o")
        {
            Description = "Where to write the weights (the shipped file is src/KvsInference.Avatar/Model/visemes.weights).",
            Required = true,
        };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => new VisemeTrainerOptions().Seed };
        var fitSeed = new Option<int?>("--fit-seed") { Description = "Seed of the fit's own random sequence (several fits of one --feature-cache); default: the fit follows --seed." };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the data.", DefaultValueFactory = _ => new VisemeTrainerOptions().Epochs };
        var hidden = new Option<int>("--hidden") { Description = "Hidden units of each network.", DefaultValueFactory = _ => new VisemeTrainerOptions().HiddenUnits };
        var hidden2 = new Option<int>("--hidden2") { Description = "Units of a second hidden layer of each network (0: none).", DefaultValueFactory = _ => new VisemeTrainerOptions().SecondHiddenUnits };
        var ensemble = new Option<int>("--ensemble") { Description = $"Networks fitted and averaged into one (1..{VisemeTrainerOptions.MaxEnsembleSize}; each layer's units x this at most {VisemeNetwork.MaxHiddenUnits}).", DefaultValueFactory = _ => new VisemeTrainerOptions().EnsembleSize };
        var context = new Option<int>("--context") { Description = "Context frames (10 ms apart).", DefaultValueFactory = _ => new VisemeTrainerOptions().ContextFrames };
        var copies = new Option<int>("--copies") { Description = "Augmented copies per recorded prompt.", DefaultValueFactory = _ => new VisemeTrainerOptions().CopiesPerRecording };
        var maxSpeakers = new Option<int>("--max-speakers") { Description = "Use only the first N recorded training speakers (quick checks).", DefaultValueFactory = _ => int.MaxValue };
        var maxPrompts = new Option<int>("--max-prompts") { Description = "Use only the first N prompts per recorded speaker (quick checks).", DefaultValueFactory = _ => int.MaxValue };
        var maxVoices = new Option<int>("--max-voices") { Description = "Use only the first N training voices (quick checks).", DefaultValueFactory = _ => int.MaxValue };
        var maxLanguageVoices = new Option<int>("--max-language-voices") { Description = "Use the first N espeak-ng voices of other languages (French, German, Spanish, Italian, Portuguese; 10 is all, the default).", DefaultValueFactory = _ => new VisemeTrainerOptions().MaxLanguageVoices };
        var codecShare = new Option<double>("--codec-share") { Description = "Share of training utterances heard through Opus at 12..32 kbit/s (0..1).", DefaultValueFactory = _ => new VisemeTrainerOptions().CodecShare };
        codecShare.Validators.Add(r => { if (r.GetValueOrDefault<double>() is < 0 or > 1) r.AddError($"--codec-share must be in 0..1 (got {r.GetValueOrDefault<double>()})."); });
        var aligner = new Option<RecordingAligner>("--aligner") { Description = "Phone timing of the recorded training speakers: Dtw (espeak-ng warped) or PocketSphinx (forced alignment).", DefaultValueFactory = _ => new VisemeTrainerOptions().Aligner };
        var maxSentences = new Option<int>("--max-sentences") { Description = $"Sentences per espeak-ng voice (1..{VisemeTrainerOptions.MaxTrainSentences}: the corpus's last {VisemeTrainerOptions.ValidationSentences} are for held-out voices).", DefaultValueFactory = _ => new VisemeTrainerOptions().MaxSentences };
        maxSentences.Validators.Add(r => { if (!VisemeTrainerOptions.IsValidMaxSentences(r.GetValueOrDefault<int>())) r.AddError($"--max-sentences must be in 1..{VisemeTrainerOptions.MaxTrainSentences}: the training corpus's last {VisemeTrainerOptions.ValidationSentences} sentences are kept for validation (got {r.GetValueOrDefault<int>()})."); });
        var maxEngineVoices = new Option<int>("--max-engine-voices") { Description = "Use the first N synthesizer voices built from recordings (flite, Festival; 8 is all; not in the shipped recipe yet).", DefaultValueFactory = _ => new VisemeTrainerOptions().MaxEngineVoices };
        var engineSentences = new Option<int>("--engine-sentences") { Description = "Texts per synthesizer voice built from recordings.", DefaultValueFactory = _ => new VisemeTrainerOptions().EngineSentences };
        var maxKLettres = new Option<int>("--max-klettres-speakers") { Description = "Use the first N KLettres languages, each a volunteer's recorded letters and syllables (klettres-data; 16 is all).", DefaultValueFactory = _ => new VisemeTrainerOptions().MaxKLettresSpeakers };
        var maxFillets = new Option<int>("--max-fillets-speakers") { Description = "Use the first N Fish Fillets voices, the Czech and Dutch dubbing's recorded dialogues (fillets-ng-data-cs/-nl; 5 is all).", DefaultValueFactory = _ => new VisemeTrainerOptions().MaxFilletsSpeakers };
        var klettresPrompts = new Option<int>("--klettres-prompts") { Description = "Recordings per KLettres language.", DefaultValueFactory = _ => new VisemeTrainerOptions().KLettresPrompts };
        var holdOut = new Option<string[]>("--hold-out") { Description = "Training speakers or voices (recorded, synthesizer, KLettres, Fish Fillets, or espeak-ng such as en-gb-scotland+f4) to leave out: a validation split; score them with eval-model --validation.", AllowMultipleArgumentsPerToken = true };
        var classWeightPower = new Option<double>("--class-weight-power") { Description = "Rarer classes weigh (count / mean count) ^ -power.", DefaultValueFactory = _ => new VisemeTrainerOptions().ClassWeightPower };
        var noiseFloor = new Option<int>("--noise-floor") { Description = $"White noise added to the features this far under the speech level, in dB (0: none; else {VisemeNetwork.MinNoiseFloorDb}..{VisemeNetwork.MaxNoiseFloorDb}).", DefaultValueFactory = _ => new VisemeTrainerOptions().NoiseFloorDb };
        noiseFloor.Validators.Add(r => { if (!VisemeNetwork.IsValidNoiseFloor(r.GetValueOrDefault<int>())) r.AddError($"--noise-floor must be 0 or {VisemeNetwork.MinNoiseFloorDb}..{VisemeNetwork.MaxNoiseFloorDb} dB (got {r.GetValueOrDefault<int>()})."); });
        var labelSmoothing = new Option<double>("--label-smoothing") { Description = "Label smoothing (0..1).", DefaultValueFactory = _ => new VisemeTrainerOptions().LabelSmoothing };
        // Out-of-range values are usage errors, reported by the parser like any other, before training starts.
        labelSmoothing.Validators.Add(r => { if (r.GetValueOrDefault<double>() is < 0 or >= 1) r.AddError($"--label-smoothing must be at least 0 and below 1 (got {r.GetValueOrDefault<double>()})."); });
        var inputDropout = new Option<double>("--input-dropout") { Description = "Share of the classifier's inputs dropped in each training example (at least 0, below 1).", DefaultValueFactory = _ => new VisemeTrainerOptions().InputDropout };
        inputDropout.Validators.Add(r => { if (!VisemeTrainerOptions.IsValidInputDropout(r.GetValueOrDefault<double>())) r.AddError($"--input-dropout must be at least 0 and below 1 (got {r.GetValueOrDefault<double>()})."); });
        var warmShare = new Option<double>("--warm-share") { Description = "Share of training utterances the normaliser has heard once before they are fitted, as in the middle of a meeting (0..1; the rest start like a new stream).", DefaultValueFactory = _ => new VisemeTrainerOptions().WarmShare };
        warmShare.Validators.Add(r => { if (!VisemeTrainerOptions.IsValidWarmShare(r.GetValueOrDefault<double>())) r.AddError($"--warm-share must be in 0..1 (got {r.GetValueOrDefault<double>()})."); });
        classWeightPower.Validators.Add(r => { if (r.GetValueOrDefault<double>() is < 0 or > 4) r.AddError($"--class-weight-power must be in 0..4 (got {r.GetValueOrDefault<double>()})."); });
        var featureCache = new Option<FileInfo?>("--feature-cache") { Description = "Keep the augmented features in this file (written when absent, read when present) to compare classifier options quickly." };
        var command = new Command("train-model", "Train the talking-face (viseme) model from recorded human prompts (scripts/setup-training installs them), synthesizer voices built from recordings, and espeak-ng voices.")
        {
            output, seed, fitSeed, epochs, hidden, hidden2, ensemble, context, copies, maxVoices, maxLanguageVoices, maxSentences, codecShare, maxSpeakers, maxPrompts, aligner, maxEngineVoices, engineSentences, maxKLettres, klettresPrompts, maxFillets, holdOut,
            classWeightPower, labelSmoothing, inputDropout, warmShare, noiseFloor, featureCache,
        };
        command.SetAction(parse =>
        {
            // A missing data source (a package setup-training installs) or an unreadable weights file is one line naming
            // the fix, as every other command reports bad input; a bug still shows its trace.
            try
            {
                var file = parse.GetValue(output)!;
                var options = new VisemeTrainerOptions { Seed = parse.GetValue(seed), Epochs = parse.GetValue(epochs), Log = Console.Out };
                options.HiddenUnits = parse.GetValue(hidden);
                options.SecondHiddenUnits = parse.GetValue(hidden2);
                options.EnsembleSize = parse.GetValue(ensemble);
                // One rule over three options (the averaged network's hidden layers are every member's side by side), checked
                // before any data is prepared.
                if (!VisemeTrainerOptions.IsValidEnsemble(options.EnsembleSize, options.HiddenUnits, options.SecondHiddenUnits))
                {
                    Console.Error.WriteLine($"train-model: --ensemble must be in 1..{VisemeTrainerOptions.MaxEnsembleSize}, --hidden and --hidden2 at least 0 and each x --ensemble at most {VisemeNetwork.MaxHiddenUnits}, and --hidden2 needs --hidden (got {options.EnsembleSize} x {options.HiddenUnits} and {options.SecondHiddenUnits}).");
                    return 1;
                }
                options.NoiseFloorDb = parse.GetValue(noiseFloor);
                options.ContextFrames = parse.GetValue(context);
                options.CopiesPerRecording = parse.GetValue(copies);
                options.MaxSpeakers = parse.GetValue(maxSpeakers);
                options.MaxPrompts = parse.GetValue(maxPrompts);
                options.MaxVoices = parse.GetValue(maxVoices);
                options.MaxLanguageVoices = parse.GetValue(maxLanguageVoices);
                options.CodecShare = parse.GetValue(codecShare);
                options.MaxSentences = parse.GetValue(maxSentences);
                options.Aligner = parse.GetValue(aligner);
                options.MaxEngineVoices = parse.GetValue(maxEngineVoices);
                options.EngineSentences = parse.GetValue(engineSentences);
                options.MaxKLettresSpeakers = parse.GetValue(maxKLettres);
                options.KLettresPrompts = parse.GetValue(klettresPrompts);
                options.MaxFilletsSpeakers = parse.GetValue(maxFillets);
                options.HoldOut = (parse.GetValue(holdOut) ?? []).ToHashSet(StringComparer.Ordinal);
                options.ClassWeightPower = parse.GetValue(classWeightPower);
                options.LabelSmoothing = parse.GetValue(labelSmoothing);
                options.InputDropout = parse.GetValue(inputDropout);
                options.WarmShare = parse.GetValue(warmShare);
                options.FitSeed = parse.GetValue(fitSeed);
                options.FeatureCache = parse.GetValue(featureCache)?.FullName;
                Console.WriteLine(FormattableString.Invariant($"training: seed {options.Seed}, {options.Epochs} epochs, {options.ContextFrames} context frames, {options.EnsembleSize} x {options.HiddenUnits}{(options.SecondHiddenUnits > 0 ? $" + {options.SecondHiddenUnits}" : "")} hidden units, input dropout {options.InputDropout}, warm share {options.WarmShare}, noise floor {options.NoiseFloorDb} dB"));
                var network = VisemeTrainer.Train(options);
                file.Directory?.Create();
                using (var stream = file.Create()) network.Save(stream);
                Console.WriteLine($"wrote {file.FullName} ({new FileInfo(file.FullName).Length} bytes, fingerprint {network.Fingerprint()})");
                return 0;
            }
            catch (Exception e) when (e is InvalidOperationException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"train-model: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
