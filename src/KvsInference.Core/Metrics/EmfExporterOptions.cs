using System.ComponentModel.DataAnnotations;

namespace KvsInference.Metrics;

/// <summary>Settings of <see cref="EmfMetricsExporter"/>.</summary>
public sealed class EmfExporterOptions
{
    /// <summary>Gets or sets the CloudWatch namespace of the metrics.</summary>
    /// <value>The default value is <c>KvsInference</c>.</value>
    [Required(AllowEmptyStrings = false), StringLength(1024, MinimumLength = 1)]
    public string Namespace { get; set; } = EmfConstants.DefaultNamespace;

    /// <summary>Gets or sets the prefix of the meter names listened to.</summary>
    /// <value>The default value is <c>KvsInference</c>.</value>
    [Required(AllowEmptyStrings = false)]
    public string MeterNamePrefix { get; set; } = EmfConstants.DefaultMeterNamePrefix;

    /// <summary>Gets or sets the aggregation interval: one line per dimension set is written each interval.</summary>
    /// <value>The default value is 60 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan Interval { get; set; } = EmfConstants.DefaultInterval;

    /// <summary>Gets or sets the dimensions added to every metric (e.g. <c>ServiceName</c>).</summary>
    /// <value>The default value is empty.</value>
    [Required]
    public IDictionary<string, string> Dimensions { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Gets or sets explicit instrument-name to EMF-name mappings; unmapped names follow <see cref="EmfMetricsExporter.DefaultMetricName"/>.</summary>
    /// <value>The default value is empty.</value>
    [Required]
    public IDictionary<string, string> MetricNames { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>Defaults and limits of the EMF exporter (from the CloudWatch EMF specification).</summary>
public static class EmfConstants
{
    /// <summary>The default namespace.</summary>
    public const string DefaultNamespace = "KvsInference";

    /// <summary>The default meter name prefix.</summary>
    public const string DefaultMeterNamePrefix = "KvsInference";

    /// <summary>The default interval.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(60);

    /// <summary>The most metrics one directive may hold.</summary>
    public const int MaxMetricsPerDirective = 100;

    /// <summary>The most values one metric array may hold.</summary>
    public const int MaxValuesPerMetric = 100;

    /// <summary>The most dimensions one dimension set may hold.</summary>
    public const int MaxDimensionsPerSet = 30;
}
