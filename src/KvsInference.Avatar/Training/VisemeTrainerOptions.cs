using KvsInference.Avatar.Model;

namespace KvsInference.Avatar.Training;

/// <summary>How recorded prompts get their phone timing.</summary>
public enum RecordingAligner
{
    /// <summary>espeak-ng speaks the transcript; dynamic time warping moves its timing onto the recording.</summary>
    Dtw,

    /// <summary>PocketSphinx forced alignment (US English acoustic model) of the transcript's viseme classes; DTW where no path fits.</summary>
    PocketSphinx,
}

/// <summary>Settings of <see cref="VisemeTrainer"/>; the defaults produce the shipped weights.</summary>
public sealed class VisemeTrainerOptions
{
    /// <summary>Gets or sets the random seed (initial weights, shuffling, augmentation).</summary>
    /// <value>The default value is 2024.</value>
    public int Seed { get; set; } = 2024;

    /// <summary>
    /// Gets or sets the seed of the fit's own random sequence (initial weights, shuffling, dropout), so that one data
    /// preparation (<see cref="FeatureCache"/>) can be fitted several times to see how much a fit varies; null for the
    /// default: with a feature cache the fit starts anew from <see cref="Seed"/>, without one it continues the data's sequence.
    /// </summary>
    /// <value>The default value is null.</value>
    public int? FitSeed { get; set; }

    /// <summary>Gets or sets the number of context frames (10 ms apart) the classifier sees.</summary>
    /// <value>The default value is 11 (5 before the label time, the label's, and 5 after it: the newest window ends 75 ms after the label time).</value>
    public int ContextFrames { get; set; } = 11;

    /// <summary>Gets or sets the hidden layer width of each network (<see cref="EnsembleSize"/>); 0 makes a linear softmax model (multinomial logistic regression).</summary>
    /// <value>The default value is 128: trained with <see cref="InputDropout"/>, 128 units beat 32 by about 3 points on the
    /// espeak-ng voices held out and by about 1 on the recorded speakers held out (three fits each; docs/model.md).</value>
    public int HiddenUnits { get; set; } = 128;

    /// <summary>Gets or sets the width of a second hidden layer of each network, reading the first (0: none).</summary>
    /// <value>The default value is 128: on the validation split a second 128-unit layer gained about half a point on the
    /// women, the man and the espeak-ng voices held out, in three fits each and in their ensemble (docs/model.md).</value>
    public int SecondHiddenUnits { get; set; } = 128;

    /// <summary>
    /// Gets or sets how far under the stream's speech level white noise is added to the features (<see cref="VisemeNetwork.NoiseFloorDb"/>,
    /// stored in the weights); 0 adds none.
    /// </summary>
    /// <value>The default value is 55 dB: on the validation split it took quiet = loud from 94.3 % to 96.5 % on the women
    /// without costing accuracy (docs/model.md).</value>
    public int NoiseFloorDb { get; set; } = 55;

    /// <summary>Gets or sets the number of passes over the data.</summary>
    /// <value>The default value is 8.</value>
    public int Epochs { get; set; } = 8;

    /// <summary>
    /// Gets or sets how many networks are fitted to the data one after another and averaged (their logits): one network of
    /// <see cref="HiddenUnits"/> times this many hidden units (with a second hidden layer, its members side by side:
    /// <see cref="VisemeNetwork.Members"/>), so inference does not change. Three
    /// 128-unit members gained about a point on every validation measure over one, for three times the classifier's cost.
    /// </summary>
    /// <value>The default value is 3.</value>
    public int EnsembleSize { get; set; } = 3;

    /// <summary>The largest <see cref="EnsembleSize"/>.</summary>
    public const int MaxEnsembleSize = 8;

    /// <summary>Gets whether <paramref name="size"/> networks of <paramref name="hiddenUnits"/> (and <paramref name="secondHiddenUnits"/>) each can be fitted and averaged into one network.</summary>
    /// <param name="size">The ensemble size: 1..<see cref="MaxEnsembleSize"/>.</param>
    /// <param name="hiddenUnits">Each network's hidden units; with the size, at most <see cref="VisemeNetwork.MaxHiddenUnits"/>.</param>
    /// <param name="secondHiddenUnits">Each network's second hidden layer (0: none; not without a first); with the size, at most <see cref="VisemeNetwork.MaxHiddenUnits"/>.</param>
    /// <returns>True when they can.</returns>
    public static bool IsValidEnsemble(int size, int hiddenUnits, int secondHiddenUnits = 0) =>
        size is >= 1 and <= MaxEnsembleSize && hiddenUnits >= 0 && (long)size * hiddenUnits <= VisemeNetwork.MaxHiddenUnits &&
        secondHiddenUnits >= 0 && (long)size * secondHiddenUnits <= VisemeNetwork.MaxHiddenUnits &&
        // The averaged network's rule: its layers are the members' side by side, kept apart in a second layer.
        VisemeNetwork.IsValidSecondLayer(size * hiddenUnits, size * secondHiddenUnits, secondHiddenUnits > 0 ? size : 1);

    /// <summary>Gets or sets the minibatch size.</summary>
    /// <value>The default value is 128.</value>
    public int BatchSize { get; set; } = 128;

    /// <summary>Gets or sets Adam's initial learning rate (decayed linearly to a tenth).</summary>
    /// <value>The default value is 0.002.</value>
    public double LearningRate { get; set; } = 0.002;

    /// <summary>
    /// Gets or sets how many augmented copies of each recorded prompt are made: the first as recorded, then alternately
    /// tempo and vocal-tract-length perturbed around the speaker's voice (x 0.91..1.09) and lowered toward a man's (x 0.825..0.875).
    /// </summary>
    /// <value>The default value is 3.</value>
    public int CopiesPerRecording { get; set; } = 3;

    /// <summary>Gets or sets how many of the recipe's recorded training speakers are used (for quick checks).</summary>
    /// <value>The default value is all of them.</value>
    public int MaxSpeakers { get; set; } = int.MaxValue;

    /// <summary>Gets or sets how many prompts of each recorded speaker are used (for quick checks).</summary>
    /// <value>The default value is all of them.</value>
    public int MaxPrompts { get; set; } = int.MaxValue;

    /// <summary>Gets or sets how many of the recipe's training voices are used (for quick checks).</summary>
    /// <value>The default value is all of them.</value>
    public int MaxVoices { get; set; } = int.MaxValue;

    /// <summary>Gets or sets how many of the recipe's espeak-ng voices of other languages (French, German, Spanish, Italian, Portuguese) are used.</summary>
    /// <value>The default value is all ten: with the 32-unit network they add about a point on the validation split's women and man (docs/model.md); for the linear model they had cost one.</value>
    public int MaxLanguageVoices { get; set; } = TrainingRecipe.LanguageVoices.Count;

    /// <summary>
    /// How many sentences at the end of the training corpus an espeak-ng training voice held out of training (a validation
    /// split) speaks: texts no recipe of at most <see cref="MaxTrainSentences"/> sentences per voice trains on.
    /// </summary>
    public const int ValidationSentences = 24;

    /// <summary>The most training-corpus sentences per espeak-ng voice (<see cref="MaxSentences"/>): those before the <see cref="ValidationSentences"/>.</summary>
    public const int MaxTrainSentences = 125;

    /// <summary>Gets whether <paramref name="sentences"/> is a valid <see cref="MaxSentences"/>: 1..<see cref="MaxTrainSentences"/>.</summary>
    /// <param name="sentences">Sentences per espeak-ng voice.</param>
    /// <returns>True when valid.</returns>
    public static bool IsValidMaxSentences(int sentences) => sentences is >= 1 and <= MaxTrainSentences;

    /// <summary>Gets or sets how many corpus sentences each espeak-ng voice speaks (at most <see cref="MaxTrainSentences"/>).</summary>
    /// <value>The default value is 60 (the recorded speakers are most of the data).</value>
    public int MaxSentences { get; set; } = 60;

    /// <summary>Gets or sets how many of the recipe's synthesizer voices built from recordings are used.</summary>
    /// <value>The default value is 0: the shipped weights were trained without them (docs/model.md: not yet validated).</value>
    public int MaxEngineVoices { get; set; }

    /// <summary>Gets or sets how many of the recipe's KLettres speakers (<see cref="TrainingRecipe.KLettresSpeakers"/>) are used.</summary>
    /// <value>The default value is 0 (docs/model.md: the validation split decides).</value>
    public int MaxKLettresSpeakers { get; set; }

    /// <summary>Gets or sets how many of the recipe's Fish Fillets voices (<see cref="TrainingRecipe.FilletsSpeakers"/>) are used.</summary>
    /// <value>The default value is 0 (docs/model.md: the validation split decides).</value>
    public int MaxFilletsSpeakers { get; set; }

    /// <summary>Gets or sets how many recordings of each KLettres speaker are used (letters first, then syllables and words).</summary>
    /// <value>The default value is 150.</value>
    public int KLettresPrompts { get; set; } = 150;

    /// <summary>Gets or sets the share of training utterances heard through Opus at 12..32 kbit/s after the room and microphone.</summary>
    /// <value>The default value is 0: on the validation split it did not keep quiet voices level-independent through Opus
    /// (docs/model.md), so the shipped weights were trained without it.</value>
    public double CodecShare { get; set; }

    /// <summary>Gets or sets how many texts each synthesizer voice built from recordings speaks.</summary>
    /// <value>The default value is 100.</value>
    public int EngineSentences { get; set; } = 100;

    /// <summary>
    /// Gets or sets the names of training speakers and synthesizer voices to leave out: a validation split, scored by
    /// <see cref="VisemeEvaluator.Evaluate"/> with the same names, for choices that must not be fitted to the held-out test speakers.
    /// </summary>
    /// <value>The default value is none.</value>
    public IReadOnlySet<string> HoldOut { get; set; } = new HashSet<string>();

    /// <summary>Gets or sets how the recorded training speakers' prompts are aligned.</summary>
    /// <value>The default value is <see cref="RecordingAligner.PocketSphinx"/>.</value>
    public RecordingAligner Aligner { get; set; } = RecordingAligner.PocketSphinx;

    /// <summary>Gets or sets how much rarer classes weigh: each frame's loss is scaled by (class count / mean class count) ^ -power.</summary>
    /// <value>The default value is 0 (every frame alike).</value>
    public double ClassWeightPower { get; set; }

    /// <summary>Gets or sets the label smoothing: the target is 1 - this on the label and this / 15 spread over all classes.</summary>
    /// <value>The default value is 0.</value>
    public double LabelSmoothing { get; set; }

    /// <summary>
    /// Gets or sets the share of the classifier's inputs dropped in each training example (set to 0, the rest scaled by
    /// 1 / (1 - share)): it keeps a wide hidden layer from leaning on a few bands of the training speakers' voices.
    /// </summary>
    /// <value>The default value is 0.2.</value>
    public double InputDropout { get; set; } = 0.2;

    /// <summary>Gets whether <paramref name="share"/> is an input dropout the trainer accepts: at least 0 and below 1.</summary>
    /// <param name="share">The share of inputs dropped.</param>
    /// <returns>True when it is allowed.</returns>
    public static bool IsValidInputDropout(double share) => share is >= 0 and < 1;

    /// <summary>
    /// Gets or sets the share of training utterances that the level and spectrum normaliser has already heard once when
    /// they are fitted: its speech level, spectrum mean and variance are then the utterance's own, as in the middle of a
    /// meeting, where the stream has heard that speaker in that room. The rest start fresh, as a new stream does.
    /// </summary>
    /// <value>The default value is 1: on the validation split every utterance warm gained the held-out man 1.5 points
    /// in a stream over none warm (docs/model.md, "Training in the middle of a stream").</value>
    public double WarmShare { get; set; } = 1;

    /// <summary>Gets whether <paramref name="share"/> is a warm share the trainer accepts: 0..1.</summary>
    /// <param name="share">The share of warm utterances.</param>
    /// <returns>True when it is allowed.</returns>
    public static bool IsValidWarmShare(double share) => share is >= 0 and <= 1;

    /// <summary>
    /// Gets or sets a file that keeps the augmented training features between runs: written when absent, read when present
    /// (then the data options must be the ones it was written with). Only the classifier's options may then change; the
    /// weights of the runs that write and read one file agree, but differ from a run without a cache (the fit's random
    /// sequence starts anew instead of continuing the data's). Null for none.
    /// </summary>
    public string? FeatureCache { get; set; }

    /// <summary>Gets or sets where progress lines go; null for none.</summary>
    public TextWriter? Log { get; set; }
}
