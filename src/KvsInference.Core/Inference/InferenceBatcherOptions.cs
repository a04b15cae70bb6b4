using System.ComponentModel.DataAnnotations;

namespace KvsInference.Inference;

/// <summary>Options of the <see cref="InferenceBatcher"/> shared by all streams of a worker.</summary>
public sealed class InferenceBatcherOptions
{
    /// <summary>Gets or sets the largest number of windows in one inference request.</summary>
    /// <value>The default value is 64.</value>
    [Range(1, 10_000)]
    public int MaxBatchWindows { get; set; } = 64;

    /// <summary>Gets or sets the largest PCM payload of one request in bytes (before base64).</summary>
    /// <value>The default value is 4 MiB, which stays under SageMaker's 6 MB request limit after base64.</value>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxBatchBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Gets or sets how long the first window of a batch may wait for company.</summary>
    /// <value>The default value is 20 ms.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Gets or sets how many requests may be in flight at once.</summary>
    /// <value>The default value is 2.</value>
    [Range(1, 256)]
    public int MaxConcurrentBatches { get; set; } = 2;

    /// <summary>Gets or sets how many windows may wait in the queue before producers are slowed down.</summary>
    /// <value>The default value is 4096.</value>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 4096;
}
