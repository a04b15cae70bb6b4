using System.Globalization;
using KvsInference.Kvs;
using Microsoft.Extensions.Configuration;

namespace KvsInference.Worker.Hosting;

/// <summary>
/// The worker's settings, bound from the <c>KVSI</c> configuration section (appsettings.json, environment variables
/// <c>KVSI__Section__Key</c>, command-line options). KIT's names are accepted where they map: <c>streamNames</c>,
/// <c>tagFilters</c>, <c>sageMakerEndpoint</c>, <c>endPointAcceptContentType</c>, <c>kdsStreamName</c>.
/// </summary>
internal sealed class WorkerSettings
{
    public StreamSettings Streams { get; set; } = new();
    public LeaseSettings Leases { get; set; } = new();
    public SinkSettings Sink { get; set; } = new();
    public InferenceSettings Inference { get; set; } = new();
    public ProcessingSettings Processing { get; set; } = new();
    public MetricsSettings Metrics { get; set; } = new();
    public LocalSettings Local { get; set; } = new();
    public AvatarSettings Avatar { get; set; } = new();
    public MeetingSettings Meeting { get; set; } = new();

    /// <summary>Seconds after which the worker stops by itself (0: run until stopped); for demos and tests.</summary>
    public double DurationSeconds { get; set; }

    internal sealed class StreamSettings
    {
        /// <summary>Comma-separated stream names.</summary>
        public string? Names { get; set; }
        public string? Prefix { get; set; }
        /// <summary>Tag filters as <c>key=value;key2=value2</c>.</summary>
        public string? TagFilters { get; set; }
        /// <summary>Where new streams start: NOW, EARLIEST, SERVER_TIMESTAMP or PRODUCER_TIMESTAMP.</summary>
        public string InitialPosition { get; set; } = "NOW";
        public DateTimeOffset? InitialTimestamp { get; set; }
        public double RefreshSeconds { get; set; } = 60;
    }

    internal sealed class LeaseSettings
    {
        /// <summary>The DynamoDB lease table; empty keeps leases in memory (one worker process).</summary>
        public string? TableName { get; set; }
        public bool CreateTable { get; set; } = true;
        public double FailoverSeconds { get; set; } = 10;
        public string? WorkerId { get; set; }
    }

    internal sealed class SinkSettings
    {
        /// <summary>The Kinesis Data Stream for records; empty writes JSON lines to <see cref="File"/>.</summary>
        public string? KinesisStreamName { get; set; }
        public string File { get; set; } = "out/records.jsonl";
    }

    internal sealed class InferenceSettings
    {
        /// <summary>The SageMaker endpoint; empty runs the model in process.</summary>
        public string? SageMakerEndpoint { get; set; }
        public string ContentType { get; set; } = "application/json";
        public string Accept { get; set; } = "application/json";
        public int MaxBatchWindows { get; set; } = 64;
        public double MaxWaitMs { get; set; } = 20;
        public int MaxConcurrentBatches { get; set; } = 2;
    }

    internal sealed class ProcessingSettings
    {
        public double WindowMs { get; set; } = 200;
        public int MaxPendingWindows { get; set; } = 32;
        /// <summary>Skip ahead to now when a stream is this far behind live (0: never).</summary>
        public double SkipToNowWhenBehindMs { get; set; }
        /// <summary>Streams processed for low delay (StreamProcessorOptions.LowLatencyStreamPrefix); unset: the meetings' streams, "" every stream.</summary>
        public string? LowLatencyStreamPrefix { get; set; }
    }

    internal sealed class MetricsSettings
    {
        public string ServiceName { get; set; } = "kvs-inference";
        public string Namespace { get; set; } = "KvsInference";
        /// <summary>Port of /healthz and /metrics (0: none).</summary>
        public int Port { get; set; } = 8081;
        /// <summary>Host of /healthz and /metrics; 0.0.0.0 in containers (ECS health checks), 127.0.0.1 locally.</summary>
        public string? Host { get; set; }
        /// <summary>CloudWatch EMF lines on stdout: true, false, or null (on in AWS mode).</summary>
        public bool? Emf { get; set; }
        public double EmfIntervalSeconds { get; set; } = 60;
        /// <summary>Seconds between status lines on the console (0: none).</summary>
        public double StatusSeconds { get; set; } = 2;
    }

    internal sealed class LocalSettings
    {
        /// <summary>Run the embedded local system: null decides by the environment (no AWS settings -> local).</summary>
        public bool? Enabled { get; set; }
        public int SampleStreams { get; set; } = 1;
        public string SampleFile { get; set; } = "samples/media/speech.webm";
        public string StreamPrefix { get; set; } = "avatar-demo-";
        public int MediaStorePort { get; set; }
        public string? DataDirectory { get; set; }
    }

    /// <summary>The live avatar pushed over RTMP (to Zoom or any RTMP server) by the worker itself.</summary>
    internal sealed class AvatarSettings
    {
        /// <summary>rtmp:// or rtmps:// URL with stream key; empty: no push (unless a Zoom session is set).</summary>
        public string? Rtmp { get; set; }
        /// <summary>Zoom Video SDK session to join as incoming live stream (credentials from ZOOM_VIDEOSDK_API_KEY/SECRET or ZOOM_ACCESS_TOKEN).</summary>
        public string? ZoomSession { get; set; }
        /// <summary>The stream whose avatar is pushed; default: the first local demo stream.</summary>
        public string? Stream { get; set; }
        /// <summary>How far behind the live speech the avatar plays (covers the model's latency).</summary>
        public double DelayMs { get; set; } = 1500;
        public int FrameRate { get; set; } = 25;
        /// <summary>The 3D avatar to push instead of the 2D face (rendered by headless Chromium): <c>default</c> for the
        /// generated head, or a .vrm/.glb path or http(s) URL; empty: the 2D face.</summary>
        public string? Avatar3d { get; set; }

        public bool Enabled => !string.IsNullOrEmpty(Rtmp) || !string.IsNullOrEmpty(ZoomSession);
    }

    internal sealed class MeetingSettings
    {
        /// <summary>
        /// The meeting web app on the ops port: <c>local</c> (this process's signaling and media store; local mode only),
        /// <c>aws</c> (real KVS signaling channels and WebRTC ingestion; AWS mode only) or <c>off</c>.
        /// Empty: local in local mode, off in AWS mode.
        /// </summary>
        public string? Mode { get; set; }
        /// <summary>AWS mode: prefix of each meeting's stream and channels; empty takes KVSI:Streams:Prefix, else <c>meeting-</c>.</summary>
        public string? StreamPrefix { get; set; }
        /// <summary>AWS mode: retention of the streams it creates (WebRTC ingestion needs at least 1 hour).</summary>
        public int StreamRetentionHours { get; set; } = 24;
        /// <summary>AWS mode: seconds a presigned signaling URL handed to a page is valid (10-300).</summary>
        public double SignedUrlSeconds { get; set; } = 299;
        /// <summary>Host names (comma-separated) the meeting page answers to besides localhost, 127.0.0.1 and [::1].</summary>
        public string? AllowedHosts { get; set; }
        /// <summary>Local mode: seconds a meeting may have no connection before it ends and frees its slot.</summary>
        public double IdleTimeoutSeconds { get; set; } = 600;
        /// <summary>The page's 3D avatar for the fleet: a .vrm/.glb path or an http(s) URL; empty: the generated default head.</summary>
        public string? Avatar { get; set; }
    }

    /// <summary>The meeting mode in effect: the setting, or local in local mode and off in AWS mode.</summary>
    public string MeetingMode(bool local) => string.IsNullOrWhiteSpace(Meeting.Mode) ? (local ? "local" : "off") : Meeting.Mode.Trim().ToLowerInvariant();

    /// <summary>AWS meeting mode: the prefix of meeting streams (they must be among the streams the workers consume).</summary>
    public string MeetingStreamPrefix => !string.IsNullOrWhiteSpace(Meeting.StreamPrefix) ? Meeting.StreamPrefix.Trim()
        : !string.IsNullOrWhiteSpace(Streams.Prefix) ? Streams.Prefix.Trim() : "meeting-";

    public static WorkerSettings Bind(IConfiguration configuration)
    {
        var settings = new WorkerSettings();
        configuration.GetSection("KVSI").Bind(settings);
        // KIT's top-level names fill what our own keys leave empty.
        string? Kit(string key) => configuration[key] is { Length: > 0 } value ? value : null;
        if (string.IsNullOrEmpty(settings.Streams.Names)) settings.Streams.Names = Kit("streamNames");
        if (string.IsNullOrEmpty(settings.Streams.TagFilters)) settings.Streams.TagFilters = Kit("tagFilters");
        if (string.IsNullOrEmpty(settings.Inference.SageMakerEndpoint)) settings.Inference.SageMakerEndpoint = Kit("sageMakerEndpoint");
        if (Kit("endPointAcceptContentType") is { } accept && configuration["KVSI:Inference:Accept"] is null) settings.Inference.Accept = accept;
        if (string.IsNullOrEmpty(settings.Sink.KinesisStreamName)) settings.Sink.KinesisStreamName = Kit("kdsStreamName");
        return settings;
    }

    /// <summary>True when nothing points at AWS or an emulator: run the embedded local system.</summary>
    public bool IsLocal(IDictionary<string, string?> environment)
    {
        if (Local.Enabled is { } explicitly) return explicitly;
        if (!string.IsNullOrEmpty(Streams.Names) || !string.IsNullOrEmpty(Streams.Prefix) || !string.IsNullOrEmpty(Streams.TagFilters)) return false;
        string[] awsVariables = ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KINESIS_VIDEO", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"];
        return !awsVariables.Any(v => environment.TryGetValue(v, out var value) && !string.IsNullOrEmpty(value));
    }

    /// <summary>Checks the settings and returns every problem, named by its configuration key.</summary>
    public List<string> Validate(bool local)
    {
        var errors = new List<string>();
        if (!local && string.IsNullOrEmpty(Streams.Names) && string.IsNullOrEmpty(Streams.Prefix) && string.IsNullOrEmpty(Streams.TagFilters))
        {
            errors.Add("KVSI:Streams: set Names (or KIT's streamNames), Prefix, or TagFilters (or KIT's tagFilters) to choose the streams to process.");
        }
        if (TryParseTagFilters(Streams.TagFilters, out _) is { } tagError) errors.Add("KVSI:Streams:TagFilters: " + tagError);
        if (!TryParseStart(Streams.InitialPosition, out var start)) errors.Add($"KVSI:Streams:InitialPosition: '{Streams.InitialPosition}' is not NOW, EARLIEST, SERVER_TIMESTAMP or PRODUCER_TIMESTAMP.");
        else if (start is KvsStartSelectorType.ServerTimestamp or KvsStartSelectorType.ProducerTimestamp && Streams.InitialTimestamp is null) errors.Add("KVSI:Streams:InitialTimestamp is required with a timestamp InitialPosition.");
        if (Streams.RefreshSeconds is < 1 or > 86_400) errors.Add("KVSI:Streams:RefreshSeconds must be between 1 and 86400.");
        if (Meeting.IdleTimeoutSeconds is < 1 or > 604_800) errors.Add("KVSI:Meeting:IdleTimeoutSeconds must be between 1 and 604800.");
        if (Leases.FailoverSeconds is < 1 or > 3600) errors.Add("KVSI:Leases:FailoverSeconds must be between 1 and 3600.");
        if (Processing.WindowMs is < 20 or > 60_000) errors.Add("KVSI:Processing:WindowMs must be between 20 and 60000.");
        if (Processing.MaxPendingWindows is < 1 or > 10_000) errors.Add("KVSI:Processing:MaxPendingWindows must be between 1 and 10000.");
        if (Inference.MaxBatchWindows is < 1 or > 10_000) errors.Add("KVSI:Inference:MaxBatchWindows must be between 1 and 10000.");
        if (Inference.MaxWaitMs is < 0 or > 10_000) errors.Add("KVSI:Inference:MaxWaitMs must be between 0 and 10000.");
        if (Inference.MaxConcurrentBatches is < 1 or > 256) errors.Add("KVSI:Inference:MaxConcurrentBatches must be between 1 and 256.");
        if (Inference.ContentType is not ("application/json" or "audio/wav")) errors.Add($"KVSI:Inference:ContentType '{Inference.ContentType}' is not supported (application/json; audio/wav is single-window only).");
        if (Inference.ContentType == "audio/wav") errors.Add("KVSI:Inference:ContentType audio/wav carries one window per call and cannot batch; use application/json.");
        if (Metrics.Port is < 0 or > 65535) errors.Add("KVSI:Metrics:Port must be between 0 and 65535.");
        if (Local.SampleStreams is < 0 or > 10_000) errors.Add("KVSI:Local:SampleStreams must be between 0 and 10000.");
        if (DurationSeconds < 0) errors.Add("KVSI:DurationSeconds must not be negative.");
        if (!string.IsNullOrEmpty(Avatar.Rtmp) && !(Uri.TryCreate(Avatar.Rtmp, UriKind.Absolute, out var rtmp) && rtmp.Scheme is "rtmp" or "rtmps"))
        {
            errors.Add($"KVSI:Avatar:Rtmp '{Avatar.Rtmp}' is not an rtmp:// or rtmps:// URL.");
        }
        if (Avatar.Enabled && string.IsNullOrEmpty(Avatar.Stream) && !local) errors.Add("KVSI:Avatar:Stream is required to push an avatar in AWS mode.");
        if (Avatar.DelayMs is < 100 or > 30_000) errors.Add("KVSI:Avatar:DelayMs must be between 100 and 30000.");
        if (Avatar.FrameRate is not (10 or 12 or 15 or 16 or 20 or 24 or 25 or 30 or 32 or 40 or 48 or 50 or 60)) errors.Add("KVSI:Avatar:FrameRate must divide 48000 evenly (10-60: 15, 24, 25, 30, 50, 60...).");
        switch (MeetingMode(local))
        {
            case "off":
                break;
            case "local" when !local:
                errors.Add("KVSI:Meeting:Mode local needs the embedded local system (KVSI:Local:Enabled); against AWS use aws.");
                break;
            case "aws" when local:
                errors.Add("KVSI:Meeting:Mode aws needs AWS mode (AWS settings and KVSI:Streams); the embedded local system uses local.");
                break;
            case "aws":
                if (string.IsNullOrEmpty(Sink.KinesisStreamName)) errors.Add("KVSI:Meeting:Mode aws needs KVSI:Sink:KinesisStreamName: the page's avatar is driven by the records read back from it.");
                if (Meeting.StreamRetentionHours is < 1 or > 87_600) errors.Add("KVSI:Meeting:StreamRetentionHours must be between 1 and 87600 (KVS WebRTC ingestion needs a retention).");
                if (Meeting.SignedUrlSeconds is < 10 or > 300) errors.Add("KVSI:Meeting:SignedUrlSeconds must be between 10 and 300.");
                if (!string.IsNullOrEmpty(Streams.Prefix) && !MeetingStreamPrefix.StartsWith(Streams.Prefix, StringComparison.Ordinal))
                {
                    errors.Add($"KVSI:Meeting:StreamPrefix '{MeetingStreamPrefix}' must start with KVSI:Streams:Prefix '{Streams.Prefix}', or the workers never read the meetings' audio.");
                }
                break;
            case "local":
                break;
            default:
                errors.Add($"KVSI:Meeting:Mode '{Meeting.Mode}' is not local, aws or off.");
                break;
        }
        return errors;
    }

    /// <summary>Reads an initial position (any case); a checkpoint-only type (FRAGMENT_NUMBER, CONTINUATION_TOKEN) is refused.</summary>
    public static bool TryParseStart(string text, out KvsStartSelectorType kind) =>
        KvsStartSelectorTypes.TryParse(text.ToUpperInvariant(), out kind)
        && kind is KvsStartSelectorType.Now or KvsStartSelectorType.Earliest or KvsStartSelectorType.ServerTimestamp or KvsStartSelectorType.ProducerTimestamp;

    /// <summary>Parses <c>key=value;key2=value2</c> (commas also separate); returns an error text or null.</summary>
    public static string? TryParseTagFilters(string? text, out Dictionary<string, string> tags)
    {
        tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text)) return null;
        foreach (var part in text.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0) return $"'{part}' is not key=value.";
            tags[part[..eq]] = part[(eq + 1)..];
        }
        return null;
    }

    public static IEnumerable<string> SplitNames(string? names) =>
        (names ?? "").Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"streams={Streams.Names ?? Streams.Prefix ?? Streams.TagFilters}, leases={(string.IsNullOrEmpty(Leases.TableName) ? "memory" : Leases.TableName)}, sink={Sink.KinesisStreamName ?? Sink.File}, model={Inference.SageMakerEndpoint ?? "in-process"}");
}
