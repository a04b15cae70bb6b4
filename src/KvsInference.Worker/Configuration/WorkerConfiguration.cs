using System.ComponentModel.DataAnnotations;
using System.Globalization;
using KvsInference.Pipeline;
using KvsInference.Validation;
using Microsoft.Extensions.Configuration;

namespace KvsInference.Worker.Configuration;

/// <summary>
/// The worker's configuration: Core's <see cref="KvsInferenceOptions"/> and the worker's own <see cref="WorkerOptions"/>,
/// both bound from the <c>KVSI</c> section, the mode (local or AWS), and every problem named by its configuration key
/// in <see cref="OptionsValidator"/>'s format.
/// </summary>
internal sealed class WorkerConfiguration
{
    public const string Section = "KVSI";

    private WorkerConfiguration(KvsInferenceOptions pipeline, WorkerOptions worker, bool local)
    {
        Pipeline = pipeline;
        Worker = worker;
        Local = local;
    }

    public KvsInferenceOptions Pipeline { get; }
    public WorkerOptions Worker { get; }

    /// <summary>True: the embedded local system runs (no AWS settings, or KVSI:Local:Enabled).</summary>
    public bool Local { get; }

    /// <summary>Every problem, each starting with its configuration key; empty when the worker can start.</summary>
    public IReadOnlyList<string> Errors { get; private set; } = [];

    /// <summary>Deprecation warnings for old keys in use.</summary>
    public IReadOnlyList<string> Warnings { get; private set; } = [];

    /// <summary>The meeting mode in effect: the setting, or local in local mode and off in AWS mode.</summary>
    public string MeetingMode => string.IsNullOrWhiteSpace(Worker.Meeting.Mode) ? (Local ? "local" : "off") : Worker.Meeting.Mode.Trim().ToLowerInvariant();

    /// <summary>AWS meeting mode: the prefix of meeting streams (they must be among the streams the workers consume).</summary>
    public string MeetingStreamPrefix => !string.IsNullOrWhiteSpace(Worker.Meeting.StreamPrefix) ? Worker.Meeting.StreamPrefix.Trim()
        : !string.IsNullOrWhiteSpace(Pipeline.Discovery.NamePrefix) ? Pipeline.Discovery.NamePrefix.Trim() : "meeting-";

    /// <summary>Local meeting mode: the meetings' streams in the embedded store.</summary>
    public string LocalMeetingStreamPrefix => Worker.Local.StreamPrefix + "meeting-";

    /// <summary>
    /// Binds and checks the configuration. <paramref name="aliases"/> is the alias source added to it (its warnings and
    /// conversion errors are reported here); <paramref name="environment"/> decides local mode when KVSI:Local:Enabled is unset.
    /// </summary>
    public static WorkerConfiguration Bind(IConfiguration configuration, KeyAliasSource? aliases, IDictionary<string, string?> environment)
    {
        var errors = new List<string>(aliases?.Errors ?? []);
        var section = configuration.GetSection(Section);
        var worker = new WorkerOptions();
        var pipeline = new KvsInferenceOptions();
        // Section by section, so that one value the binder cannot convert does not hide the problems of the others.
        foreach (var (name, target) in Parts(pipeline, worker)) TryBind(errors, () => section.GetSection(name).Bind(target));
        TryBind(errors, () => worker.DurationSeconds = section.GetValue(nameof(WorkerOptions.DurationSeconds), worker.DurationSeconds));
        BindListsGivenAsText(section.GetSection("Discovery"), pipeline, errors);

        bool local = worker.Local.Enabled ?? IsLocalByEnvironment(pipeline, environment);
        var result = new WorkerConfiguration(pipeline, worker, local);
        if (local)
        {
            // The embedded system's streams are the demo streams; whatever selected AWS streams does not apply.
            pipeline.Discovery.StreamNames.Clear();
            pipeline.Discovery.TagFilters.Clear();
            pipeline.Discovery.NamePrefix = worker.Local.StreamPrefix;
            if (pipeline.Discovery.RefreshPeriod > TimeSpan.FromSeconds(5)) pipeline.Discovery.RefreshPeriod = TimeSpan.FromSeconds(5);
        }
        // Meetings are conversations: their streams get low delay unless configured otherwise; bulk streams keep whole windows.
        pipeline.Processing.LowLatencyStreamPrefix ??= result.MeetingMode switch
        {
            "local" => result.LocalMeetingStreamPrefix,
            "aws" => result.MeetingStreamPrefix,
            _ => null,
        };

        errors.AddRange(pipeline.FindErrors(Section));
        if (!string.IsNullOrEmpty(worker.LeaseTable.TableName)) errors.AddRange(OptionsValidator.FindConfigurationErrors(worker.LeaseTable, Section + ":LeaseTable"));
        if (!string.IsNullOrEmpty(worker.KinesisSink.StreamName)) errors.AddRange(OptionsValidator.FindConfigurationErrors(worker.KinesisSink, Section + ":KinesisSink"));
        errors.AddRange(OptionsValidator.FindConfigurationErrors(worker, Section));
        errors.AddRange(OptionsValidator.FindConfigurationErrors(worker.Sink, Section + ":Sink"));
        errors.AddRange(OptionsValidator.FindConfigurationErrors(worker.Inference, Section + ":Inference"));
        errors.AddRange(OptionsValidator.FindConfigurationErrors(worker.Metrics, Section + ":Metrics"));
        errors.AddRange(OptionsValidator.FindConfigurationErrors(worker.Local, Section + ":Local"));
        errors.AddRange(OptionsValidator.FindConfigurationErrors(worker.Avatar, Section + ":Avatar", result.AvatarRules()));
        errors.AddRange(OptionsValidator.FindConfigurationErrors(worker.Meeting, Section + ":Meeting", result.MeetingRules()));
        result.Errors = errors.Distinct(StringComparer.Ordinal).ToList();
        result.Warnings = aliases?.Warnings.ToList() ?? [];
        return result;
    }

    /// <summary>Every options object bound from a sub-section of KVSI, by the sub-section's name (= the property's).</summary>
    internal static IEnumerable<(string Name, object Options)> Parts(KvsInferenceOptions pipeline, WorkerOptions worker) =>
    [
        (nameof(pipeline.Discovery), pipeline.Discovery),
        (nameof(pipeline.Leases), pipeline.Leases),
        (nameof(pipeline.Processing), pipeline.Processing),
        (nameof(pipeline.Batching), pipeline.Batching),
        (nameof(pipeline.Worker), pipeline.Worker),
        (nameof(worker.LeaseTable), worker.LeaseTable),
        (nameof(worker.KinesisSink), worker.KinesisSink),
        (nameof(worker.Sink), worker.Sink),
        (nameof(worker.Inference), worker.Inference),
        (nameof(worker.Metrics), worker.Metrics),
        (nameof(worker.Local), worker.Local),
        (nameof(worker.Avatar), worker.Avatar),
        (nameof(worker.Meeting), worker.Meeting),
    ];

    private static void TryBind(List<string> errors, Action bind)
    {
        try
        {
            bind();
        }
        catch (InvalidOperationException e)
        {
            // The binder names the key and the type: "Failed to convert configuration value '2x' at 'KVSI:Processing:WindowDuration' to type 'System.TimeSpan'."
            errors.Add(BinderError(e));
        }
    }

    private static string BinderError(InvalidOperationException e)
    {
        var message = e.Message;
        int at = message.IndexOf(" at '", StringComparison.Ordinal);
        if (at < 0) return message;
        int end = message.IndexOf('\'', at + 5);
        return end < 0 ? message : $"{message[(at + 5)..end]}: {message}";
    }

    /// <summary>
    /// StreamNames and TagFilters are a list and a map (<c>StreamNames:0</c>, <c>TagFilters:team</c>); a single text
    /// value (<c>a,b</c>; <c>k=v;k2=v2</c>, the form KIT and the old keys use, and the only one for tag keys with a colon)
    /// adds to them.
    /// </summary>
    private static void BindListsGivenAsText(IConfigurationSection discovery, KvsInferenceOptions pipeline, List<string> errors)
    {
        var names = discovery[nameof(pipeline.Discovery.StreamNames)];
        foreach (var name in (names ?? "").Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!pipeline.Discovery.StreamNames.Contains(name)) pipeline.Discovery.StreamNames.Add(name);
        }
        var tags = discovery[nameof(pipeline.Discovery.TagFilters)];
        foreach (var part in (tags ?? "").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) errors.Add($"{discovery.Path}:{nameof(pipeline.Discovery.TagFilters)}: '{part}' is not key=value.");
            else pipeline.Discovery.TagFilters[part[..eq]] = part[(eq + 1)..];
        }
    }

    private static bool IsLocalByEnvironment(KvsInferenceOptions pipeline, IDictionary<string, string?> environment)
    {
        var discovery = pipeline.Discovery;
        if (discovery.StreamNames.Count > 0 || !string.IsNullOrEmpty(discovery.NamePrefix) || discovery.TagFilters.Count > 0) return false;
        string[] awsVariables = ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KINESIS_VIDEO", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"];
        return !awsVariables.Any(v => environment.TryGetValue(v, out var value) && !string.IsNullOrEmpty(value));
    }

    private IEnumerable<ValidationResult> AvatarRules()
    {
        var avatar = Worker.Avatar;
        if (!string.IsNullOrEmpty(avatar.Rtmp) && !(Uri.TryCreate(avatar.Rtmp, UriKind.Absolute, out var rtmp) && rtmp.Scheme is "rtmp" or "rtmps"))
        {
            yield return OptionsValidator.Error(nameof(avatar.Rtmp), $"'{avatar.Rtmp}' is not an rtmp:// or rtmps:// URL.");
        }
        if (avatar.Enabled && string.IsNullOrEmpty(avatar.Stream) && !Local) yield return OptionsValidator.Error(nameof(avatar.Stream), "is required to push an avatar in AWS mode.");
    }

    private IEnumerable<ValidationResult> MeetingRules()
    {
        const string mode = nameof(MeetingPageOptions.Mode);
        switch (MeetingMode)
        {
            case "off":
            case "local" when Local:
                break;
            case "local":
                yield return OptionsValidator.Error(mode, "local needs the embedded local system (KVSI:Local:Enabled); against AWS use aws.");
                break;
            case "aws" when Local:
                yield return OptionsValidator.Error(mode, "aws needs AWS mode (AWS settings and KVSI:Discovery); the embedded local system uses local.");
                break;
            case "aws":
                if (string.IsNullOrEmpty(Worker.KinesisSink.StreamName))
                {
                    yield return OptionsValidator.Error(mode, "aws needs KVSI:KinesisSink:StreamName: the page's avatar is driven by the records read back from it.");
                }
                var prefix = Pipeline.Discovery.NamePrefix;
                if (!string.IsNullOrEmpty(prefix) && !MeetingStreamPrefix.StartsWith(prefix, StringComparison.Ordinal))
                {
                    yield return OptionsValidator.Error(nameof(MeetingPageOptions.StreamPrefix),
                        $"'{MeetingStreamPrefix}' must start with KVSI:Discovery:NamePrefix '{prefix}', or the workers never read the meetings' audio.");
                }
                break;
            default:
                yield return OptionsValidator.Error(mode, $"'{Worker.Meeting.Mode}' is not local, aws or off.");
                break;
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"streams={Describe(Pipeline.Discovery)}, leases={(string.IsNullOrEmpty(Worker.LeaseTable.TableName) ? "memory" : Worker.LeaseTable.TableName)}, sink={(string.IsNullOrEmpty(Worker.KinesisSink.StreamName) ? Worker.Sink.File : Worker.KinesisSink.StreamName)}, model={Worker.Inference.SageMakerEndpoint ?? "in-process"}");

    private static string Describe(Leases.StreamDiscoveryOptions d) =>
        d.StreamNames.Count > 0 ? string.Join(",", d.StreamNames) : d.NamePrefix is { Length: > 0 } prefix ? prefix + "*" : string.Join(";", d.TagFilters.Select(t => $"{t.Key}={t.Value}"));
}
