namespace KvsInference.Cdk.Configuration;

/// <summary>Defaults of <see cref="FleetSettings"/>: a small fleet that is cheap to leave running.</summary>
public static class FleetConstants
{
    /// <summary>The CloudWatch namespace the worker writes its EMF metrics to.</summary>
    public const string MetricNamespace = "KvsInference";

    /// <summary>Default stack name and service name (the <c>ServiceName</c> metric dimension).</summary>
    public const string DefaultServiceName = "kvs-inference";

    /// <summary>Default Fargate task CPU units (1 vCPU).</summary>
    public const int DefaultCpu = 1024;

    /// <summary>Default Fargate task memory in MiB.</summary>
    public const int DefaultMemoryMiB = 2048;

    /// <summary>Default number of worker tasks at deploy time.</summary>
    public const int DefaultDesiredCount = 2;

    /// <summary>Default lower bound of the worker autoscaling.</summary>
    public const int DefaultMinTasks = 1;

    /// <summary>Default upper bound of the worker autoscaling.</summary>
    public const int DefaultMaxTasks = 10;

    /// <summary>Default CPU utilisation the worker autoscaling tracks.</summary>
    public const int DefaultTargetCpuPercent = 60;

    /// <summary>Default number of leased streams per worker the load autoscaling tracks.</summary>
    public const int DefaultTargetStreamsPerWorker = 100;

    /// <summary>Default MillisBehindNow above which the fleet adds a worker (and the behind alarm fires).</summary>
    public const int DefaultScaleOutBehindMs = 10_000;

    /// <summary>Default NAT gateways in the private subnet mode (one: cheap, not zone-redundant).</summary>
    public const int DefaultNatGateways = 1;

    /// <summary>Default availability zones of a new VPC.</summary>
    public const int DefaultMaxAzs = 2;

    /// <summary>Default worker log retention in days.</summary>
    public const int DefaultLogRetentionDays = 30;

    /// <summary>Default retention of the output Kinesis stream in hours (the Kinesis minimum).</summary>
    public const int DefaultOutputRetentionHours = 24;

    /// <summary>Default SageMaker instance type when the stack creates the endpoint.</summary>
    public const string DefaultEndpointInstanceType = "ml.m5.large";

    /// <summary>Default initial and minimum SageMaker instance count.</summary>
    public const int DefaultEndpointMinInstances = 1;

    /// <summary>Default maximum SageMaker instance count.</summary>
    public const int DefaultEndpointMaxInstances = 2;

    /// <summary>Default SageMaker invocations per instance per minute the endpoint autoscaling tracks.</summary>
    public const int DefaultEndpointInvocationsPerInstance = 600;

    /// <summary>Default content type of inference requests (the batch JSON of docs/architecture.md).</summary>
    public const string DefaultInferenceContentType = "application/json";

    /// <summary>Default data retention of the meeting KVS stream in hours.</summary>
    public const int DefaultMeetingRetentionHours = 24;

    /// <summary>Default p99 IngestToProcessLatencyMs above which the latency alarm fires.</summary>
    public const int DefaultLatencyAlarmMs = 2_000;

    /// <summary>Default errors per 100 frames received above which the error-rate alarm fires.</summary>
    public const double DefaultErrorRateAlarmPercent = 5;

    /// <summary>Port of the worker's /healthz and /metrics (8080 is the SageMaker serve port).</summary>
    public const int HealthPort = 8081;

    /// <summary>ECS stop timeout: SIGTERM, then SIGKILL after this many seconds (the worker drains within 25 s).</summary>
    public const int StopTimeoutSeconds = 30;

    /// <summary>The log retention values CloudWatch Logs accepts, in days.</summary>
    public static readonly IReadOnlyList<int> AllowedLogRetentionDays =
        [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
}
