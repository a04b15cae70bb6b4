namespace KvsInference.Avatar.Model;

/// <summary>Defaults of <see cref="VisemeModelOptions"/> and fixed facts of the model.</summary>
public static class VisemeModelConstants
{
    /// <summary>The default output frame rate: 60 frames per second.</summary>
    public const double DefaultFrameRate = 60;

    /// <summary>The lowest accepted output frame rate.</summary>
    public const double MinFrameRate = 1;

    /// <summary>The highest accepted output frame rate.</summary>
    public const double MaxFrameRate = 240;

    /// <summary>
    /// The default smoothing time constant of the class weights: 30 ms (an exponential average over class probabilities).
    /// On the validation split 25-40 ms scored 1.3-1.9 points above 15 ms on vowel and silence frames (docs/model.md).
    /// </summary>
    public static readonly TimeSpan DefaultSmoothingTime = TimeSpan.FromMilliseconds(30);

    /// <summary>
    /// The default smoothing time constant of <c>jawOpen</c>: 15 ms. Shorter than the class weights' so that the jaw still
    /// shuts on the short closure of /p b m/ and opens when the sound does.
    /// </summary>
    public static readonly TimeSpan DefaultJawSmoothingTime = TimeSpan.FromMilliseconds(15);

    /// <summary>The default level (dB under the stream's running speech level, mean square of a 25 ms window) at and below which the jaw is closed.</summary>
    public const double DefaultJawClosedDb = -30;

    /// <summary>The default level (dB under the stream's running speech level) at and above which the jaw is fully open.</summary>
    public const double DefaultJawOpenDb = -6;

    /// <summary>
    /// How strongly the classifier's belief in closed lips (pp) closes the jaw: the jaw's opening is scaled by
    /// 1 - silence - <see cref="PpJawClosing"/> x pp (at least 0), so a pp weight of 1/8 or more shuts it. The jaw follows the
    /// level 52.5 ms ahead of the frame, which at a /p b m/ is usually the next vowel's; the classifier labels the frame's
    /// own time. Chosen on the validation split (docs/model.md) for the 32-unit network: mouth closed at /p b m/ centres
    /// 70 % -> 78 % from 6 to 8 for vowel frames with the mouth open 88 % -> 86 %; 10 would give 82 % for 83 %.
    /// </summary>
    public const float PpJawClosing = 8;

    /// <summary>The weights file name looked up in the SageMaker model directory.</summary>
    public const string WeightsFileName = "visemes.weights";

    /// <summary>The SageMaker model directory (model artifacts are extracted there).</summary>
    public const string SageMakerModelDirectory = "/opt/ml/model";

    /// <summary>The name of the embedded weights resource.</summary>
    public const string EmbeddedWeightsResource = "KvsInference.Avatar.Model.visemes.weights";

    /// <summary>How many analysis frames (10 ms apart) after a decision's label time the classifier sees.</summary>
    public const int FutureFrames = 5;

    /// <summary>
    /// How far the classifier looks ahead of the time it labels, in samples at 16 kHz: one 25 ms analysis window plus
    /// <see cref="FutureFrames"/> hops, 75 ms. Training labels each decision at the time this far before its newest sample.
    /// </summary>
    public const int ClassifierLookaheadSamples = Features.FeatureConstants.WindowSamples + FutureFrames * Features.FeatureConstants.HopSamples;

    /// <summary>
    /// How many 10 ms decisions ahead of an output frame's time its mouth shape is taken from: 2 (20 ms). Lips and jaw
    /// move before the sound they shape, and lip-sync tolerates a mouth that leads (ITU-R BT.1359: audio up to 45 ms
    /// ahead, 125 ms behind); without it the shapes' speech onsets came late (the live avatar measured 55 ms behind).
    /// </summary>
    public const int AnticipationFrames = 2;

    /// <summary>
    /// How far the model looks ahead of an output frame's time, in samples at 16 kHz: the classifier's look-ahead
    /// (<see cref="ClassifierLookaheadSamples"/>, 75 ms) plus <see cref="AnticipationFrames"/> hops, 95 ms (the streaming
    /// contract allows 100 ms). This is the model's algorithmic latency.
    /// </summary>
    public const int LookaheadSamples = ClassifierLookaheadSamples + AnticipationFrames * Features.FeatureConstants.HopSamples;
}
