namespace KvsInference.Avatar.Training;

/// <summary>Settings of <see cref="VisemeTrainer"/>; the defaults produce the shipped weights.</summary>
public sealed class VisemeTrainerOptions
{
    /// <summary>Gets or sets the random seed (initial weights, shuffling, augmentation).</summary>
    /// <value>The default value is 2024.</value>
    public int Seed { get; set; } = 2024;

    /// <summary>Gets or sets the number of context frames (10 ms apart) the classifier sees.</summary>
    /// <value>The default value is 10 (100 ms; the newest window ends 25 ms after the label time).</value>
    public int ContextFrames { get; set; } = 10;

    /// <summary>Gets or sets the hidden layer width.</summary>
    /// <value>The default value is 128.</value>
    public int HiddenUnits { get; set; } = 128;

    /// <summary>Gets or sets the number of passes over the data.</summary>
    /// <value>The default value is 20.</value>
    public int Epochs { get; set; } = 20;

    /// <summary>Gets or sets the minibatch size.</summary>
    /// <value>The default value is 128.</value>
    public int BatchSize { get; set; } = 128;

    /// <summary>Gets or sets Adam's initial learning rate (decayed linearly to a tenth).</summary>
    /// <value>The default value is 0.002.</value>
    public double LearningRate { get; set; } = 0.002;

    /// <summary>Gets or sets how many augmented copies of each utterance are made (random gain, noise, padding; copies after the first are also vocal-tract-length perturbed).</summary>
    /// <value>The default value is 2 (the voice as synthesized, and one vocal-tract-length perturbed copy).</value>
    public int CopiesPerUtterance { get; set; } = 2;

    /// <summary>Gets or sets how many of the recipe's training voices are used (for quick checks).</summary>
    /// <value>The default value is all of them.</value>
    public int MaxVoices { get; set; } = int.MaxValue;

    /// <summary>Gets or sets how many corpus sentences are used per voice (for quick checks).</summary>
    /// <value>The default value is all of them.</value>
    public int MaxSentences { get; set; } = int.MaxValue;

    /// <summary>Gets or sets where progress lines go; null for none.</summary>
    public TextWriter? Log { get; set; }
}
