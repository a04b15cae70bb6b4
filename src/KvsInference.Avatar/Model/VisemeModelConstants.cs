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

    /// <summary>The default smoothing time constant: 15 ms (an exponential average over class probabilities).</summary>
    public static readonly TimeSpan DefaultSmoothingTime = TimeSpan.FromMilliseconds(15);

    /// <summary>The default level (dB under the stream's running speech level, mean square of a 25 ms window) at and below which the jaw is closed.</summary>
    public const double DefaultJawClosedDb = -30;

    /// <summary>The default level (dB under the stream's running speech level) at and above which the jaw is fully open.</summary>
    public const double DefaultJawOpenDb = -6;

    /// <summary>The weights file name looked up in the SageMaker model directory.</summary>
    public const string WeightsFileName = "visemes.weights";

    /// <summary>The SageMaker model directory (model artifacts are extracted there).</summary>
    public const string SageMakerModelDirectory = "/opt/ml/model";

    /// <summary>The name of the embedded weights resource.</summary>
    public const string EmbeddedWeightsResource = "KvsInference.Avatar.Model.visemes.weights";

    /// <summary>How many analysis frames (10 ms apart) after a decision's label time the classifier sees.</summary>
    public const int FutureFrames = 5;

    /// <summary>
    /// How far the model looks ahead of an output frame's time, in samples at 16 kHz: one 25 ms analysis window
    /// plus <see cref="FutureFrames"/> hops, 75 ms (the streaming contract allows 100 ms). This is the model's algorithmic latency.
    /// </summary>
    public const int LookaheadSamples = Features.FeatureConstants.WindowSamples + FutureFrames * Features.FeatureConstants.HopSamples;
}
