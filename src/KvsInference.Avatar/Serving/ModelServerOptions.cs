using System.ComponentModel.DataAnnotations;

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
    public void Validate()
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true);
        if (results.Count > 0) throw new ValidationException("Invalid ModelServerOptions: " + string.Join(" ", results.Select(r => r.ErrorMessage)));
    }
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
}
