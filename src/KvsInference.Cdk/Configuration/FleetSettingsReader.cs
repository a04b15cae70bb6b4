using System.Globalization;
using System.Text;

namespace KvsInference.Cdk.Configuration;

/// <summary>
/// Reads <see cref="FleetSettings"/> from CDK context (cdk.json <c>context</c> or <c>cdk deploy -c key=value</c>),
/// falling back to the environment variable <c>KVSI_CDK_&lt;KEY_IN_UPPER_SNAKE_CASE&gt;</c>
/// (e.g. <c>streamNames</c> -> <c>KVSI_CDK_STREAM_NAMES</c>), then to the defaults of <see cref="FleetConstants"/>.
/// </summary>
public static class FleetSettingsReader
{
    /// <summary>Prefix of the environment variables that carry parameters.</summary>
    public const string EnvironmentPrefix = "KVSI_CDK_";

    /// <summary>Every parameter's context key, in the order docs/deploying.md lists them.</summary>
    public static readonly IReadOnlyList<string> Keys =
    [
        "serviceName", "subnetMode", "natGateways", "maxAzs", "vpcId", "cpu", "memoryMiB", "desiredCount", "minTasks",
        "maxTasks", "targetCpuPercent", "targetStreamsPerWorker", "scaleOutBehindMs", "containerInsights",
        "logRetentionDays", "removalPolicy", "outputRetentionHours", "streamNames", "streamPrefix", "streamTagFilters",
        "meetingName", "meetingRetentionHours", "sageMakerEndpointName", "createSageMakerEndpoint", "endpointInstanceType",
        "endpointMinInstances", "endpointMaxInstances", "endpointInvocationsPerInstance", "inferenceContentType",
        "alarmTopic", "alarmEmail", "latencyAlarmMs", "errorRateAlarmPercent",
    ];

    /// <summary>Reads and parses every parameter (validation is <see cref="FleetSettings.Validate"/>).</summary>
    /// <param name="context">Returns a context value by key (string, number, boolean or array as CDK gives them) or null.</param>
    /// <param name="environment">Returns an environment variable or null.</param>
    /// <returns>The parsed settings.</returns>
    /// <exception cref="FleetSettingsException">A value cannot be parsed (not a number, unknown mode...); lists all of them.</exception>
    public static FleetSettings Read(Func<string, object?> context, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(environment);
        var errors = new List<string>();
        string? Raw(string key)
        {
            var value = ToText(context(key)) ?? environment(EnvironmentName(key));
            return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
        }
        int Int(string key, int fallback)
        {
            var raw = Raw(key);
            if (raw is null) return fallback;
            if (int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)) return value;
            errors.Add($"{key} '{raw}' is not a whole number.");
            return fallback;
        }
        double Number(string key, double fallback)
        {
            var raw = Raw(key);
            if (raw is null) return fallback;
            if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)) return value;
            errors.Add($"{key} '{raw}' is not a number.");
            return fallback;
        }
        bool Bool(string key)
        {
            var raw = Raw(key);
            if (raw is null) return false;
            if (bool.TryParse(raw, out var value)) return value;
            errors.Add($"{key} '{raw}' must be true or false.");
            return false;
        }
        TEnum Choice<TEnum>(string key, TEnum fallback) where TEnum : struct, Enum
        {
            var raw = Raw(key);
            if (raw is null) return fallback;
            if (Enum.TryParse<TEnum>(raw, ignoreCase: true, out var value) && Enum.IsDefined(value) && !char.IsDigit(raw[0])) return value;
            errors.Add($"{key} '{raw}' must be one of: {string.Join(", ", Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()))}.");
            return fallback;
        }

        var settings = new FleetSettings
        {
            ServiceName = Raw("serviceName") ?? FleetConstants.DefaultServiceName,
            SubnetMode = Choice("subnetMode", SubnetMode.Private),
            NatGateways = Int("natGateways", FleetConstants.DefaultNatGateways),
            MaxAzs = Int("maxAzs", FleetConstants.DefaultMaxAzs),
            VpcId = Raw("vpcId"),
            Cpu = Int("cpu", FleetConstants.DefaultCpu),
            MemoryMiB = Int("memoryMiB", FleetConstants.DefaultMemoryMiB),
            DesiredCount = Int("desiredCount", FleetConstants.DefaultDesiredCount),
            MinTasks = Int("minTasks", FleetConstants.DefaultMinTasks),
            MaxTasks = Int("maxTasks", FleetConstants.DefaultMaxTasks),
            TargetCpuPercent = Int("targetCpuPercent", FleetConstants.DefaultTargetCpuPercent),
            TargetStreamsPerWorker = Int("targetStreamsPerWorker", FleetConstants.DefaultTargetStreamsPerWorker),
            ScaleOutBehindMs = Int("scaleOutBehindMs", FleetConstants.DefaultScaleOutBehindMs),
            ContainerInsights = Bool("containerInsights"),
            LogRetentionDays = Int("logRetentionDays", FleetConstants.DefaultLogRetentionDays),
            RemovalPolicy = Choice("removalPolicy", DataRemoval.Retain),
            OutputRetentionHours = Int("outputRetentionHours", FleetConstants.DefaultOutputRetentionHours),
            StreamNames = List(Raw("streamNames")),
            StreamPrefix = Raw("streamPrefix"),
            StreamTagFilters = Tags(Raw("streamTagFilters"), errors),
            MeetingName = Raw("meetingName"),
            MeetingRetentionHours = Int("meetingRetentionHours", FleetConstants.DefaultMeetingRetentionHours),
            SageMakerEndpointName = Raw("sageMakerEndpointName"),
            CreateSageMakerEndpoint = Bool("createSageMakerEndpoint"),
            EndpointInstanceType = Raw("endpointInstanceType") ?? FleetConstants.DefaultEndpointInstanceType,
            EndpointMinInstances = Int("endpointMinInstances", FleetConstants.DefaultEndpointMinInstances),
            EndpointMaxInstances = Int("endpointMaxInstances", FleetConstants.DefaultEndpointMaxInstances),
            EndpointInvocationsPerInstance = Int("endpointInvocationsPerInstance", FleetConstants.DefaultEndpointInvocationsPerInstance),
            InferenceContentType = Raw("inferenceContentType") ?? FleetConstants.DefaultInferenceContentType,
            AlarmTopic = Bool("alarmTopic"),
            AlarmEmail = Raw("alarmEmail"),
            LatencyAlarmMs = Int("latencyAlarmMs", FleetConstants.DefaultLatencyAlarmMs),
            ErrorRateAlarmPercent = Number("errorRateAlarmPercent", FleetConstants.DefaultErrorRateAlarmPercent),
        };
        if (errors.Count > 0) throw new FleetSettingsException(errors);
        return settings;
    }

    /// <summary>The environment variable that carries a context key: <c>streamNames</c> -> <c>KVSI_CDK_STREAM_NAMES</c>.</summary>
    /// <param name="key">A context key from <see cref="Keys"/>.</param>
    /// <returns>The variable name.</returns>
    public static string EnvironmentName(string key)
    {
        var name = new StringBuilder(EnvironmentPrefix);
        key = key.Replace("MiB", "Mib", StringComparison.Ordinal); // one word: memoryMiB -> MEMORY_MIB
        for (var i = 0; i < key.Length; i++)
        {
            if (char.IsUpper(key[i]) && i > 0) name.Append('_');
            name.Append(char.ToUpperInvariant(key[i]));
        }
        return name.ToString();
    }

    /// <summary>CDK hands context values over as strings (from -c), or as JSON numbers, booleans and arrays (from cdk.json).</summary>
    private static string? ToText(object? value) => value switch
    {
        null => null,
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable items => string.Join(",", items.Cast<object?>().Select(ToText)),
        _ => value.ToString(),
    };

    private static IReadOnlyList<string> List(string? raw) =>
        raw is null ? [] : raw.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct().ToArray();

    private static IReadOnlyDictionary<string, string> Tags(string? raw, List<string> errors)
    {
        var tags = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (raw is null) return tags;
        foreach (var pair in raw.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                errors.Add($"streamTagFilters '{pair}' must be key=value (pairs separated by ';').");
                continue;
            }
            var key = pair[..eq].Trim();
            if (!tags.TryAdd(key, pair[(eq + 1)..].Trim()))
            {
                errors.Add($"streamTagFilters names tag '{key}' twice.");
            }
        }
        return tags;
    }
}
