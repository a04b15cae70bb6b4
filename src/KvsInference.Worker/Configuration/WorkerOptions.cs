using System.ComponentModel.DataAnnotations;
using KvsInference.Leases;
using KvsInference.Sinks;

namespace KvsInference.Worker.Configuration;

/// <summary>
/// The worker's settings beside Core's <see cref="Pipeline.KvsInferenceOptions"/>, bound from the <c>KVSI</c> section:
/// one sub-section per options class, each key the property's name (docs/operating.md tabulates them all).
/// </summary>
internal sealed class WorkerOptions
{
    /// <summary>The lease table (Core's options); an empty <see cref="DynamoDbLeaseStoreOptions.TableName"/> keeps leases in memory (one worker process).</summary>
    public DynamoDbLeaseStoreOptions LeaseTable { get; } = new();

    /// <summary>The records' Kinesis Data Stream (Core's options); an empty <see cref="KinesisRecordSinkOptions.StreamName"/> writes JSON lines to <see cref="Sink"/>.</summary>
    public KinesisRecordSinkOptions KinesisSink { get; } = new();

    public FileSinkOptions Sink { get; } = new();
    public InferenceEndpointOptions Inference { get; } = new();
    public MetricsOptions Metrics { get; } = new();
    public LocalOptions Local { get; } = new();
    public AvatarOptions Avatar { get; } = new();
    public MeetingPageOptions Meeting { get; } = new();

    /// <summary>Seconds after which the worker stops by itself (0: run until stopped); for demos and tests.</summary>
    [Range(0, double.MaxValue)]
    public double DurationSeconds { get; set; }
}

/// <summary>Records go to this JSON-lines file when no Kinesis stream is set.</summary>
internal sealed class FileSinkOptions
{
    [Required(AllowEmptyStrings = false)]
    public string File { get; set; } = "out/records.jsonl";
}

/// <summary>Where the model runs.</summary>
internal sealed class InferenceEndpointOptions
{
    /// <summary>The SageMaker endpoint; empty runs the model in process.</summary>
    public string? SageMakerEndpoint { get; set; }

    /// <summary>Only JSON: audio/wav carries one window per call and cannot batch.</summary>
    [AllowedValues("application/json", ErrorMessage = "Only application/json is supported (audio/wav carries one window per call and cannot batch).")]
    public string ContentType { get; set; } = "application/json";

    [Required(AllowEmptyStrings = false)]
    public string Accept { get; set; } = "application/json";
}

internal sealed class MetricsOptions
{
    [Required(AllowEmptyStrings = false)]
    public string ServiceName { get; set; } = "kvs-inference";

    [Required(AllowEmptyStrings = false)]
    public string Namespace { get; set; } = "KvsInference";

    /// <summary>Port of /healthz and /metrics (0: a free port).</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 8081;

    /// <summary>Host of /healthz and /metrics; 0.0.0.0 in containers (ECS health checks), 127.0.0.1 locally.</summary>
    public string? Host { get; set; }

    /// <summary>CloudWatch EMF lines on stdout: true, false, or null (on in AWS mode).</summary>
    public bool? Emf { get; set; }

    [Range(1, 86_400)]
    public double EmfIntervalSeconds { get; set; } = 60;

    /// <summary>Seconds between status lines on the console (0: none).</summary>
    [Range(0, 86_400)]
    public double StatusSeconds { get; set; } = 2;
}

internal sealed class LocalOptions
{
    /// <summary>Run the embedded local system: null decides by the environment (no AWS settings -> local).</summary>
    public bool? Enabled { get; set; }

    [Range(0, 10_000)]
    public int SampleStreams { get; set; } = 1;

    [Required(AllowEmptyStrings = false)]
    public string SampleFile { get; set; } = "samples/media/speech.webm";

    [Required(AllowEmptyStrings = false)]
    public string StreamPrefix { get; set; } = "avatar-demo-";

    /// <summary>Port of the embedded media store (0: a free port).</summary>
    [Range(0, 65535)]
    public int MediaStorePort { get; set; }

    /// <summary>Where the embedded media store keeps its data; empty: a directory of this process under the temp path.</summary>
    public string? DataDirectory { get; set; }
}

/// <summary>The live avatar pushed over RTMP (to Zoom or any RTMP server) by the worker itself.</summary>
internal sealed class AvatarOptions
{
    /// <summary>rtmp:// or rtmps:// URL with stream key; empty: no push (unless a Zoom session is set).</summary>
    public string? Rtmp { get; set; }

    /// <summary>Zoom Video SDK session to join as incoming live stream (credentials from ZOOM_VIDEOSDK_API_KEY/SECRET or ZOOM_ACCESS_TOKEN).</summary>
    public string? ZoomSession { get; set; }

    /// <summary>The stream whose avatar is pushed; default: the first local demo stream.</summary>
    public string? Stream { get; set; }

    /// <summary>How far behind the live speech the avatar plays (covers the model's latency).</summary>
    [Range(100, 30_000)]
    public double DelayMs { get; set; } = 1500;

    /// <summary>Frames per second; one frame's audio must be a whole number of 48 kHz samples.</summary>
    [AllowedValues(10, 12, 15, 16, 20, 24, 25, 30, 32, 40, 48, 50, 60, ErrorMessage = "The FrameRate must divide 48000 evenly (10-60: 15, 24, 25, 30, 50, 60...).")]
    public int FrameRate { get; set; } = 25;

    /// <summary>The 3D avatar to push instead of the 2D face (rendered by headless Chromium): <c>default</c> for the
    /// generated head, or a .vrm/.glb path or http(s) URL; empty: the 2D face.</summary>
    public string? Avatar3d { get; set; }

    public bool Enabled => !string.IsNullOrEmpty(Rtmp) || !string.IsNullOrEmpty(ZoomSession);
}

/// <summary>The meeting web app on the ops port.</summary>
internal sealed class MeetingPageOptions
{
    /// <summary>
    /// <c>local</c> (this process's signaling and media store; local mode only), <c>aws</c> (real KVS signaling channels
    /// and WebRTC ingestion; AWS mode only) or <c>off</c>. Empty: local in local mode, off in AWS mode.
    /// </summary>
    public string? Mode { get; set; }

    /// <summary>AWS mode: prefix of each meeting's stream and channels; empty takes KVSI:Discovery:NamePrefix, else <c>meeting-</c>.</summary>
    public string? StreamPrefix { get; set; }

    /// <summary>AWS mode: retention of the streams it creates (WebRTC ingestion needs at least 1 hour).</summary>
    [Range(1, 87_600)]
    public int StreamRetentionHours { get; set; } = 24;

    /// <summary>AWS mode: seconds a presigned signaling URL handed to a page is valid.</summary>
    [Range(10, 300)]
    public double SignedUrlSeconds { get; set; } = 299;

    /// <summary>Host names (comma-separated) the meeting page answers to besides localhost, 127.0.0.1 and [::1].</summary>
    public string? AllowedHosts { get; set; }

    /// <summary>Local mode: seconds a meeting may have no connection before it ends and frees its slot.</summary>
    [Range(1, 604_800)]
    public double IdleTimeoutSeconds { get; set; } = 600;

    /// <summary>The page's 3D avatar for the fleet: a .vrm/.glb path or an http(s) URL; empty: the generated default head.</summary>
    public string? Avatar { get; set; }
}
