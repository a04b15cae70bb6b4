using System.ComponentModel.DataAnnotations;
using KvsInference.Validation;

namespace KvsInference.Avatar.Serving;

/// <summary>Settings of <see cref="ModelServer"/> (the SageMaker inference container contract).</summary>
public sealed class ModelServerOptions
{
    /// <summary>Gets or sets the listen URLs (semicolon-separated, Kestrel syntax; port 0 picks a free port).</summary>
    /// <value>The default value is <c>http://0.0.0.0:8080</c>, the port SageMaker calls.</value>
    [Required]
    public string Urls { get; set; } = ModelServerConstants.DefaultUrls;

    /// <summary>Gets or sets the largest accepted request body in bytes; larger bodies get 413.</summary>
    /// <value>The default value is 6 MB (6 x 1024 x 1024), SageMaker's real-time payload limit.</value>
    [Range(1024, 1L << 30)]
    public long MaxBodyBytes { get; set; } = ModelServerConstants.DefaultMaxBodyBytes;

    /// <summary>Gets or sets how long an idle stream's state is kept.</summary>
    /// <value>The default value is 60 s.</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan StreamIdleTimeout { get; set; } = ModelServerConstants.DefaultStreamIdleTimeout;

    /// <summary>Gets or sets how many per-stream model states are held at most (~8.5 KB each); a new stream at the cap
    /// drops the least recently used state (that stream restarts as after an idle timeout).</summary>
    /// <value>The default value is 10,000.</value>
    [Range(1, 10_000_000)]
    public int MaxStreams { get; set; } = LocalVisemeInferenceClient.DefaultMaxStreams;

    /// <summary>Gets or sets how many invocations parse and run the model at once; the others wait for a slot.</summary>
    /// <value>The default value is the processor count.</value>
    [Range(1, 1024)]
    public int MaxConcurrentInvocations { get; set; } = Environment.ProcessorCount;

    /// <summary>Gets or sets how many invocations may wait for a slot; one more is answered 503 at once, before its body is read.</summary>
    /// <value>The default value is 64 (with 6 MB bodies at most ~400 MB of waiting bodies).</value>
    [Range(0, 100_000)]
    public int MaxQueuedInvocations { get; set; } = ModelServerConstants.DefaultMaxQueuedInvocations;

    /// <summary>Gets or sets how long a waiting invocation waits for a slot before it is answered 503.</summary>
    /// <value>The default value is 30 s (SageMaker gives an invocation 60 s).</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan QueueTimeout { get; set; } = ModelServerConstants.DefaultQueueTimeout;

    /// <summary>Gets or sets the directory searched for <c>visemes.weights</c> before the embedded weights.</summary>
    /// <value>The default value is <c>/opt/ml/model</c>.</value>
    [Required]
    public string ModelDirectory { get; set; } = Model.VisemeModelConstants.SageMakerModelDirectory;

    /// <summary>Gets or sets the model's output frame rate.</summary>
    /// <value>The default value is 60.</value>
    [Range(Model.VisemeModelConstants.MinFrameRate, Model.VisemeModelConstants.MaxFrameRate)]
    public double FrameRate { get; set; } = Model.VisemeModelConstants.DefaultFrameRate;

    /// <summary>Checks every setting and reports all problems together.</summary>
    /// <exception cref="ValidationException">A setting is invalid; the message lists each one.</exception>
    public void Validate() => OptionsValidator.Validate(this);
}

/// <summary>Defaults of <see cref="ModelServerOptions"/>.</summary>
public static class ModelServerConstants
{
    /// <summary>SageMaker's port on all interfaces.</summary>
    public const string DefaultUrls = "http://0.0.0.0:8080";

    /// <summary>6 MB, SageMaker's real-time invocation payload limit.</summary>
    public const long DefaultMaxBodyBytes = 6L * 1024 * 1024;

    /// <summary>60 s.</summary>
    public static readonly TimeSpan DefaultStreamIdleTimeout = TimeSpan.FromSeconds(60);

    /// <summary>30 s: half of SageMaker's 60 s invocation timeout, so the 503 reaches the caller before SageMaker gives up.</summary>
    public static readonly TimeSpan DefaultQueueTimeout = TimeSpan.FromSeconds(30);

    /// <summary>64 waiting invocations.</summary>
    public const int DefaultMaxQueuedInvocations = 64;
}
