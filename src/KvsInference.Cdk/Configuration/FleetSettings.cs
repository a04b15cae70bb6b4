using System.Text.RegularExpressions;

namespace KvsInference.Cdk.Configuration;

/// <summary>Where the worker tasks run.</summary>
public enum SubnetMode
{
    /// <summary>Private subnets; outbound traffic through NAT gateways (the default).</summary>
    Private,

    /// <summary>Public subnets with public IPs and no NAT gateway: cheaper, tasks still accept no inbound traffic.</summary>
    Public,
}

/// <summary>What happens to the lease table, the output stream, the meeting stream and the log group when the stack is deleted.</summary>
public enum DataRemoval
{
    /// <summary>Keep them (the default: deleting a stack never deletes data by surprise).</summary>
    Retain,

    /// <summary>Delete them with the stack (for test deployments).</summary>
    Destroy,
}

/// <summary>
/// The deployment parameters of the KvsInference stack. Read from CDK context (cdk.json or <c>-c key=value</c>)
/// or the environment by <see cref="FleetSettingsReader"/>; checked by <see cref="Validate"/>.
/// </summary>
public sealed partial record FleetSettings
{
    /// <summary>Gets the stack and service name; also the <c>ServiceName</c> metric dimension. Context key <c>serviceName</c>.</summary>
    /// <value>The default value is <c>kvs-inference</c>.</value>
    public string ServiceName { get; init; } = FleetConstants.DefaultServiceName;

    /// <summary>Gets where the tasks run. Context key <c>subnetMode</c> (<c>private</c> or <c>public</c>).</summary>
    /// <value>The default value is <see cref="SubnetMode.Private"/>.</value>
    public SubnetMode SubnetMode { get; init; } = SubnetMode.Private;

    /// <summary>Gets the NAT gateway count of a new VPC in the private mode (ignored in the public mode). Context key <c>natGateways</c>.</summary>
    /// <value>The default value is 1.</value>
    public int NatGateways { get; init; } = FleetConstants.DefaultNatGateways;

    /// <summary>Gets the availability zones of a new VPC. Context key <c>maxAzs</c>.</summary>
    /// <value>The default value is 2.</value>
    public int MaxAzs { get; init; } = FleetConstants.DefaultMaxAzs;

    /// <summary>Gets the id of an existing VPC to use instead of a new one (looked up at synth; needs account and region). Context key <c>vpcId</c>.</summary>
    /// <value>The default value is null: a new VPC.</value>
    public string? VpcId { get; init; }

    /// <summary>Gets the Fargate task CPU units. Context key <c>cpu</c>.</summary>
    /// <value>The default value is 1024 (1 vCPU).</value>
    public int Cpu { get; init; } = FleetConstants.DefaultCpu;

    /// <summary>Gets the Fargate task memory in MiB. Context key <c>memoryMiB</c>.</summary>
    /// <value>The default value is 2048.</value>
    public int MemoryMiB { get; init; } = FleetConstants.DefaultMemoryMiB;

    /// <summary>Gets the task count set at each deployment. Context key <c>desiredCount</c>.</summary>
    /// <value>The default value is 2.</value>
    public int DesiredCount { get; init; } = FleetConstants.DefaultDesiredCount;

    /// <summary>Gets the autoscaling lower bound. Context key <c>minTasks</c>.</summary>
    /// <value>The default value is 1.</value>
    public int MinTasks { get; init; } = FleetConstants.DefaultMinTasks;

    /// <summary>Gets the autoscaling upper bound. Context key <c>maxTasks</c>.</summary>
    /// <value>The default value is 10.</value>
    public int MaxTasks { get; init; } = FleetConstants.DefaultMaxTasks;

    /// <summary>Gets the average CPU utilisation the autoscaling tracks. Context key <c>targetCpuPercent</c>.</summary>
    /// <value>The default value is 60.</value>
    public int TargetCpuPercent { get; init; } = FleetConstants.DefaultTargetCpuPercent;

    /// <summary>Gets the leased streams per worker (LeasesTotal / WorkersSeen) the autoscaling tracks. Context key <c>targetStreamsPerWorker</c>.</summary>
    /// <value>The default value is 100.</value>
    public int TargetStreamsPerWorker { get; init; } = FleetConstants.DefaultTargetStreamsPerWorker;

    /// <summary>Gets the MillisBehindNow (maximum over workers) above which a worker is added. Context key <c>scaleOutBehindMs</c>.</summary>
    /// <value>The default value is 10000.</value>
    public int ScaleOutBehindMs { get; init; } = FleetConstants.DefaultScaleOutBehindMs;

    /// <summary>Gets whether ECS Container Insights is on (extra CloudWatch cost). Context key <c>containerInsights</c>.</summary>
    /// <value>The default value is false.</value>
    public bool ContainerInsights { get; init; }

    /// <summary>Gets the worker log retention in days (a value CloudWatch accepts). Context key <c>logRetentionDays</c>.</summary>
    /// <value>The default value is 30.</value>
    public int LogRetentionDays { get; init; } = FleetConstants.DefaultLogRetentionDays;

    /// <summary>Gets what happens to the data resources on stack deletion. Context key <c>removalPolicy</c> (<c>retain</c> or <c>destroy</c>).</summary>
    /// <value>The default value is <see cref="DataRemoval.Retain"/>.</value>
    public DataRemoval RemovalPolicy { get; init; } = DataRemoval.Retain;

    /// <summary>Gets the output Kinesis stream retention in hours (24 to 8760). Context key <c>outputRetentionHours</c>.</summary>
    /// <value>The default value is 24.</value>
    public int OutputRetentionHours { get; init; } = FleetConstants.DefaultOutputRetentionHours;

    /// <summary>Gets the KVS stream names the workers consume. Context key <c>streamNames</c> (comma list).</summary>
    /// <value>The default value is empty.</value>
    public IReadOnlyList<string> StreamNames { get; init; } = [];

    /// <summary>Gets the KVS stream name prefix the workers consume (ListStreams by prefix). Context key <c>streamPrefix</c>.</summary>
    /// <value>The default value is null.</value>
    public string? StreamPrefix { get; init; }

    /// <summary>Gets the tags a KVS stream must carry to be consumed. Context key <c>streamTagFilters</c> (<c>k=v;k2=v2</c>).</summary>
    /// <value>The default value is empty.</value>
    public IReadOnlyDictionary<string, string> StreamTagFilters { get; init; } = new Dictionary<string, string>();

    /// <summary>Gets the name of a meeting signaling channel and KVS stream the stack creates (the stream is consumed too). Context key <c>meetingName</c>.</summary>
    /// <value>The default value is null: none created.</value>
    public string? MeetingName { get; init; }

    /// <summary>Gets the meeting stream's data retention in hours. Context key <c>meetingRetentionHours</c>.</summary>
    /// <value>The default value is 24.</value>
    public int MeetingRetentionHours { get; init; } = FleetConstants.DefaultMeetingRetentionHours;

    /// <summary>Gets the name of an existing SageMaker endpoint to call. Context key <c>sageMakerEndpointName</c>.</summary>
    /// <value>The default value is null.</value>
    public string? SageMakerEndpointName { get; init; }

    /// <summary>Gets whether the stack creates a SageMaker model, endpoint config and endpoint running the worker image with <c>serve</c>. Context key <c>createSageMakerEndpoint</c>.</summary>
    /// <value>The default value is false: with no endpoint the workers run the in-process model.</value>
    public bool CreateSageMakerEndpoint { get; init; }

    /// <summary>Gets the instance type of a created endpoint. Context key <c>endpointInstanceType</c>.</summary>
    /// <value>The default value is <c>ml.m5.large</c>.</value>
    public string EndpointInstanceType { get; init; } = FleetConstants.DefaultEndpointInstanceType;

    /// <summary>Gets the initial and minimum instance count of a created endpoint. Context key <c>endpointMinInstances</c>.</summary>
    /// <value>The default value is 1.</value>
    public int EndpointMinInstances { get; init; } = FleetConstants.DefaultEndpointMinInstances;

    /// <summary>Gets the maximum instance count of a created endpoint. Context key <c>endpointMaxInstances</c>.</summary>
    /// <value>The default value is 2.</value>
    public int EndpointMaxInstances { get; init; } = FleetConstants.DefaultEndpointMaxInstances;

    /// <summary>Gets the invocations per instance per minute a created endpoint's autoscaling tracks. Context key <c>endpointInvocationsPerInstance</c>.</summary>
    /// <value>The default value is 600.</value>
    public int EndpointInvocationsPerInstance { get; init; } = FleetConstants.DefaultEndpointInvocationsPerInstance;

    /// <summary>Gets the content type of inference requests. Context key <c>inferenceContentType</c>.</summary>
    /// <value>The default value is <c>application/json</c>.</value>
    public string InferenceContentType { get; init; } = FleetConstants.DefaultInferenceContentType;

    /// <summary>Gets whether alarms notify an SNS topic the stack creates. Context key <c>alarmTopic</c>.</summary>
    /// <value>The default value is false (true when <see cref="AlarmEmail"/> is set).</value>
    public bool AlarmTopic { get; init; }

    /// <summary>Gets an e-mail address subscribed to the alarm topic (implies <see cref="AlarmTopic"/>). Context key <c>alarmEmail</c>.</summary>
    /// <value>The default value is null.</value>
    public string? AlarmEmail { get; init; }

    /// <summary>Gets the p99 IngestToProcessLatencyMs above which the latency alarm fires. Context key <c>latencyAlarmMs</c>.</summary>
    /// <value>The default value is 2000.</value>
    public int LatencyAlarmMs { get; init; } = FleetConstants.DefaultLatencyAlarmMs;

    /// <summary>Gets the errors per 100 frames received above which the error-rate alarm fires. Context key <c>errorRateAlarmPercent</c>.</summary>
    /// <value>The default value is 5.</value>
    public double ErrorRateAlarmPercent { get; init; } = FleetConstants.DefaultErrorRateAlarmPercent;

    /// <summary>Gets whether the alarms notify an SNS topic.</summary>
    /// <value>True when <see cref="AlarmTopic"/> is set or an <see cref="AlarmEmail"/> is given.</value>
    public bool HasAlarmTopic => AlarmTopic || AlarmEmail is not null;

    /// <summary>Gets the stream names the workers consume, the meeting stream included.</summary>
    /// <value><see cref="StreamNames"/> plus <see cref="MeetingName"/> when set.</value>
    public IReadOnlyList<string> AllStreamNames =>
        MeetingName is null || StreamNames.Contains(MeetingName) ? StreamNames : [.. StreamNames, MeetingName];

    /// <summary>Gets the endpoint the workers call, if any.</summary>
    /// <value>The existing endpoint's name, the created endpoint's name (<c>{ServiceName}-model</c>) or null.</value>
    public string? EffectiveEndpointName =>
        SageMakerEndpointName ?? (CreateSageMakerEndpoint ? ServiceName + "-model" : null);

    /// <summary>Checks every parameter and reports all problems together.</summary>
    /// <param name="hasExplicitEnvironment">Whether the stack has an account and region (a VPC lookup needs them).</param>
    /// <exception cref="FleetSettingsException">Any parameter is invalid; the message lists each one by context key.</exception>
    public void Validate(bool hasExplicitEnvironment)
    {
        var errors = new List<string>();
        void Check(bool ok, string message)
        {
            if (!ok) errors.Add(message);
        }

        Check(ServiceNamePattern().IsMatch(ServiceName),
            $"serviceName '{ServiceName}' must start with a letter and hold only letters, digits and '-', at most 32 characters.");
        Check(MaxAzs is >= 1 and <= 6, $"maxAzs {MaxAzs} must be between 1 and 6.");
        if (SubnetMode == SubnetMode.Private)
        {
            Check(NatGateways >= 1 || VpcId is not null,
                $"natGateways {NatGateways}: subnetMode=private needs at least one NAT gateway (use subnetMode=public to run without NAT).");
            Check(NatGateways <= MaxAzs, $"natGateways {NatGateways} cannot exceed maxAzs {MaxAzs}.");
        }
        if (VpcId is not null)
        {
            Check(VpcIdPattern().IsMatch(VpcId), $"vpcId '{VpcId}' is not a VPC id (vpc-0123abcd...).");
            Check(hasExplicitEnvironment,
                "vpcId needs an environment-specific stack: set CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION (the CDK CLI does when it has credentials).");
        }

        Check(IsFargateSize(Cpu, MemoryMiB),
            $"cpu {Cpu} / memoryMiB {MemoryMiB} is not a Fargate task size (e.g. 256/512, 512/1024, 1024/2048, 2048/4096, 4096/8192).");
        Check(MinTasks >= 0, $"minTasks {MinTasks} must be >= 0.");
        Check(MaxTasks >= 1 && MaxTasks >= MinTasks, $"maxTasks {MaxTasks} must be >= 1 and >= minTasks {MinTasks}.");
        Check(MaxTasks <= 1000, $"maxTasks {MaxTasks} must be <= 1000.");
        Check(DesiredCount >= MinTasks && DesiredCount <= MaxTasks,
            $"desiredCount {DesiredCount} must be between minTasks {MinTasks} and maxTasks {MaxTasks}.");
        Check(TargetCpuPercent is >= 10 and <= 95, $"targetCpuPercent {TargetCpuPercent} must be between 10 and 95.");
        Check(TargetStreamsPerWorker >= 1, $"targetStreamsPerWorker {TargetStreamsPerWorker} must be >= 1.");
        Check(ScaleOutBehindMs >= 1000, $"scaleOutBehindMs {ScaleOutBehindMs} must be >= 1000.");
        Check(FleetConstants.AllowedLogRetentionDays.Contains(LogRetentionDays),
            $"logRetentionDays {LogRetentionDays} must be one of {string.Join(", ", FleetConstants.AllowedLogRetentionDays)}.");
        Check(OutputRetentionHours is >= 24 and <= 8760, $"outputRetentionHours {OutputRetentionHours} must be between 24 and 8760.");

        foreach (var name in StreamNames)
        {
            Check(StreamNamePattern().IsMatch(name), $"streamNames: '{name}' is not a KVS stream name (1-256 of a-z A-Z 0-9 _ . -).");
        }
        if (StreamPrefix is not null)
        {
            Check(StreamNamePattern().IsMatch(StreamPrefix), $"streamPrefix '{StreamPrefix}' is not a KVS stream name prefix (1-256 of a-z A-Z 0-9 _ . -).");
        }
        foreach (var (key, value) in StreamTagFilters)
        {
            Check(key.Length is >= 1 and <= 128 && !key.StartsWith("aws:", StringComparison.Ordinal),
                $"streamTagFilters: tag key '{key}' must be 1-128 characters and not start with 'aws:'.");
            Check(value.Length <= 256, $"streamTagFilters: the value of tag '{key}' exceeds 256 characters.");
        }
        if (MeetingName is not null)
        {
            Check(StreamNamePattern().IsMatch(MeetingName), $"meetingName '{MeetingName}' is not a KVS stream/channel name (1-256 of a-z A-Z 0-9 _ . -).");
            Check(MeetingRetentionHours is >= 1 and <= 87600, $"meetingRetentionHours {MeetingRetentionHours} must be between 1 and 87600.");
        }
        Check(StreamNames.Count > 0 || StreamPrefix is not null || StreamTagFilters.Count > 0 || MeetingName is not null,
            "no streams selected: set streamNames, streamPrefix, streamTagFilters or meetingName.");

        if (SageMakerEndpointName is not null)
        {
            Check(!CreateSageMakerEndpoint, "sageMakerEndpointName and createSageMakerEndpoint=true exclude each other: use an existing endpoint or create one.");
            Check(EndpointNamePattern().IsMatch(SageMakerEndpointName),
                $"sageMakerEndpointName '{SageMakerEndpointName}' is not a SageMaker endpoint name (1-63 of a-z A-Z 0-9 and inner '-').");
        }
        if (CreateSageMakerEndpoint)
        {
            Check(EndpointInstanceType.StartsWith("ml.", StringComparison.Ordinal) && EndpointInstanceType.Count(c => c == '.') == 2,
                $"endpointInstanceType '{EndpointInstanceType}' is not a SageMaker instance type (ml.family.size).");
            Check(EndpointMinInstances >= 1, $"endpointMinInstances {EndpointMinInstances} must be >= 1.");
            Check(EndpointMaxInstances >= EndpointMinInstances,
                $"endpointMaxInstances {EndpointMaxInstances} must be >= endpointMinInstances {EndpointMinInstances}.");
            Check(EndpointInvocationsPerInstance >= 1, $"endpointInvocationsPerInstance {EndpointInvocationsPerInstance} must be >= 1.");
        }
        Check(InferenceContentType is "application/json" or "audio/wav",
            $"inferenceContentType '{InferenceContentType}' must be application/json or audio/wav (the inference contract).");

        if (AlarmEmail is not null)
        {
            Check(EmailPattern().IsMatch(AlarmEmail), $"alarmEmail '{AlarmEmail}' is not an e-mail address.");
        }
        Check(LatencyAlarmMs >= 1, $"latencyAlarmMs {LatencyAlarmMs} must be >= 1.");
        Check(ErrorRateAlarmPercent is > 0 and <= 100, $"errorRateAlarmPercent {ErrorRateAlarmPercent} must be in (0, 100].");

        if (errors.Count > 0) throw new FleetSettingsException(errors);
    }

    /// <summary>Whether a CPU/memory pair is one Fargate accepts (Linux, platform 1.4).</summary>
    internal static bool IsFargateSize(int cpu, int memoryMiB) => cpu switch
    {
        256 => memoryMiB is 512 or 1024 or 2048,
        512 => memoryMiB is >= 1024 and <= 4096 && memoryMiB % 1024 == 0,
        1024 => memoryMiB is >= 2048 and <= 8192 && memoryMiB % 1024 == 0,
        2048 => memoryMiB is >= 4096 and <= 16384 && memoryMiB % 1024 == 0,
        4096 => memoryMiB is >= 8192 and <= 30720 && memoryMiB % 1024 == 0,
        8192 => memoryMiB is >= 16384 and <= 61440 && memoryMiB % 4096 == 0,
        16384 => memoryMiB is >= 32768 and <= 122880 && memoryMiB % 8192 == 0,
        _ => false,
    };

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9-]{0,31}$")]
    private static partial Regex ServiceNamePattern();

    [GeneratedRegex("^vpc-[0-9a-f]{8,17}$")]
    private static partial Regex VpcIdPattern();

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,256}$")]
    private static partial Regex StreamNamePattern();

    [GeneratedRegex("^[A-Za-z0-9](-*[A-Za-z0-9]){0,62}$")]
    private static partial Regex EndpointNamePattern();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailPattern();
}
