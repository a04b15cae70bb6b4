using Amazon.CDK;
using Amazon.CDK.AWS.ApplicationAutoScaling;
using Amazon.CDK.AWS.CloudWatch;
using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.EC2;
using Amazon.CDK.AWS.Ecr.Assets;
using Amazon.CDK.AWS.ECS;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Logs;
using Constructs;
using KvsInference.Cdk.Configuration;
using AppScalingPolicy = Amazon.CDK.AWS.ApplicationAutoScaling.CfnScalingPolicy;

namespace KvsInference.Cdk.Fleet;

/// <summary>Inputs of <see cref="WorkerService"/>.</summary>
public sealed class WorkerServiceProps
{
    /// <summary>Gets or sets the validated parameters.</summary>
    /// <value>Required.</value>
    public required FleetSettings Settings { get; init; }

    /// <summary>Gets or sets the VPC.</summary>
    /// <value>Required.</value>
    public required IVpc Vpc { get; init; }

    /// <summary>Gets or sets the worker image.</summary>
    /// <value>Required.</value>
    public required DockerImageAsset Image { get; init; }

    /// <summary>Gets or sets the lease table.</summary>
    /// <value>Required.</value>
    public required Table LeaseTable { get; init; }

    /// <summary>Gets or sets the output stream.</summary>
    /// <value>Required.</value>
    public required Amazon.CDK.AWS.Kinesis.Stream OutputStream { get; init; }

    /// <summary>Gets or sets the ARN of the SageMaker endpoint the workers call.</summary>
    /// <value>Null: the workers run the in-process model.</value>
    public string? EndpointArn { get; init; }

    /// <summary>Gets or sets what happens to the log group when the stack is deleted.</summary>
    /// <value>Required.</value>
    public required RemovalPolicy Removal { get; init; }
}

/// <summary>
/// The worker fleet: ECS cluster, Fargate task definition with the least-privilege task role, the service
/// (circuit breaker with rollback) and its autoscaling on CPU, on streams per worker and on MillisBehindNow.
/// </summary>
public sealed class WorkerService : Construct
{
    /// <summary>The container's name in the task definition.</summary>
    public const string ContainerName = "worker";

    /// <summary>KVS read actions granted on the selected streams only.</summary>
    public static readonly IReadOnlyList<string> StreamReadActions =
    [
        "kinesisvideo:DescribeStream", "kinesisvideo:GetDataEndpoint", "kinesisvideo:GetMedia",
        "kinesisvideo:ListFragments", "kinesisvideo:GetMediaForFragmentList", "kinesisvideo:ListTagsForStream",
    ];

    /// <summary>DynamoDB actions the lease coordinator uses on the lease table.</summary>
    public static readonly IReadOnlyList<string> LeaseTableActions =
    [
        "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
        "dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:Query",
    ];

    /// <summary>Kinesis actions the record sink uses on the output stream.</summary>
    public static readonly IReadOnlyList<string> OutputStreamActions =
    [
        "kinesis:PutRecord", "kinesis:PutRecords", "kinesis:DescribeStreamSummary", "kinesis:ListShards",
    ];

    /// <summary>Creates the cluster, task definition, service and autoscaling.</summary>
    /// <param name="scope">The stack.</param>
    /// <param name="id">Construct id.</param>
    /// <param name="props">Inputs.</param>
    public WorkerService(Construct scope, string id, WorkerServiceProps props)
        : base(scope, id)
    {
        var settings = props.Settings;
        var isPublic = settings.SubnetMode == SubnetMode.Public;

        Cluster = new Cluster(this, "Cluster", new ClusterProps { Vpc = props.Vpc, ContainerInsights = settings.ContainerInsights });

        LogGroup = new LogGroup(this, "Logs", new LogGroupProps { RemovalPolicy = props.Removal });
        // Exact days rather than the RetentionDays enum: the parameter is any value CloudWatch accepts.
        ((CfnLogGroup)LogGroup.Node.DefaultChild!).RetentionInDays = settings.LogRetentionDays;

        TaskRole = new Role(this, "TaskRole", new RoleProps
        {
            AssumedBy = new ServicePrincipal("ecs-tasks.amazonaws.com"),
            Description = "KvsInference worker: read the selected KVS streams, hold leases, write records, call the model",
        });
        GrantWorkerPermissions(settings, props);

        TaskDefinition = new FargateTaskDefinition(this, "Task", new FargateTaskDefinitionProps
        {
            Cpu = settings.Cpu,
            MemoryLimitMiB = settings.MemoryMiB,
            TaskRole = TaskRole,
            RuntimePlatform = new RuntimePlatform
            {
                CpuArchitecture = CpuArchitecture.X86_64,
                OperatingSystemFamily = OperatingSystemFamily.LINUX,
            },
        });
        Container = TaskDefinition.AddContainer(ContainerName, new ContainerDefinitionOptions
        {
            Image = ContainerImage.FromDockerImageAsset(props.Image),
            Essential = true,
            Environment = WorkerEnvironment(settings, props),
            Logging = LogDrivers.AwsLogs(new AwsLogDriverProps
            {
                LogGroup = LogGroup,
                StreamPrefix = ContainerName,
                // A slow log service must not block the worker's stdout (and so its media loop).
                Mode = AwsLogDriverMode.NON_BLOCKING,
                MaxBufferSize = Size.Mebibytes(25),
            }),
            PortMappings = [new PortMapping { ContainerPort = FleetConstants.HealthPort, Name = "health" }],
            HealthCheck = new Amazon.CDK.AWS.ECS.HealthCheck
            {
                // curl is installed in the runtime image for this (the ASP.NET base image has none).
                Command = ["CMD-SHELL", $"curl -fsS http://localhost:{FleetConstants.HealthPort}/healthz || exit 1"],
                Interval = Duration.Seconds(15),
                Timeout = Duration.Seconds(5),
                Retries = 3,
                StartPeriod = Duration.Seconds(30),
            },
            // SIGTERM, then SIGKILL after 30 s; the worker checkpoints and releases its leases within 25 s.
            StopTimeout = Duration.Seconds(FleetConstants.StopTimeoutSeconds),
        });

        SecurityGroup = new SecurityGroup(this, "TaskSecurityGroup", new SecurityGroupProps
        {
            Vpc = props.Vpc,
            Description = "KvsInference workers: no inbound traffic, outbound HTTPS to AWS APIs",
            AllowAllOutbound = true,
        });

        Service = new FargateService(this, "Service", new FargateServiceProps
        {
            Cluster = Cluster,
            TaskDefinition = TaskDefinition,
            DesiredCount = settings.DesiredCount,
            AssignPublicIp = isPublic,
            VpcSubnets = new SubnetSelection { SubnetType = isPublic ? SubnetType.PUBLIC : SubnetType.PRIVATE_WITH_EGRESS },
            SecurityGroups = [SecurityGroup],
            CircuitBreaker = new DeploymentCircuitBreaker { Enable = true, Rollback = true },
            // New tasks start before old ones stop; leases move by expiry or graceful release.
            MinHealthyPercent = 100,
            MaxHealthyPercent = 200,
            PropagateTags = PropagatedTagSource.SERVICE,
            EnableECSManagedTags = true,
        });

        Scaling = AddAutoscaling(settings);
    }

    /// <summary>Gets the ECS cluster.</summary>
    /// <value>Set by the constructor.</value>
    public Cluster Cluster { get; }

    /// <summary>Gets the worker log group (EMF metrics are extracted from it).</summary>
    /// <value>Set by the constructor.</value>
    public LogGroup LogGroup { get; }

    /// <summary>Gets the role the worker's AWS calls use.</summary>
    /// <value>Set by the constructor.</value>
    public Role TaskRole { get; }

    /// <summary>Gets the task definition.</summary>
    /// <value>Set by the constructor.</value>
    public FargateTaskDefinition TaskDefinition { get; }

    /// <summary>Gets the worker container.</summary>
    /// <value>Set by the constructor.</value>
    public ContainerDefinition Container { get; }

    /// <summary>Gets the tasks' security group.</summary>
    /// <value>Set by the constructor.</value>
    public SecurityGroup SecurityGroup { get; }

    /// <summary>Gets the Fargate service.</summary>
    /// <value>Set by the constructor.</value>
    public FargateService Service { get; }

    /// <summary>Gets the task count autoscaling target.</summary>
    /// <value>Set by the constructor.</value>
    public ScalableTarget Scaling { get; }

    /// <summary>The environment the worker reads its configuration from (see <see cref="WorkerContract"/>).</summary>
    internal static Dictionary<string, string> WorkerEnvironment(FleetSettings settings, WorkerServiceProps props)
    {
        var env = new Dictionary<string, string>
        {
            [WorkerContract.LeaseTableName] = props.LeaseTable.TableName,
            [WorkerContract.SinkStreamName] = props.OutputStream.StreamName,
            [WorkerContract.InferenceContentType] = settings.InferenceContentType,
            [WorkerContract.MetricsServiceName] = settings.ServiceName,
            [WorkerContract.MetricsNamespace] = FleetConstants.MetricNamespace,
            [WorkerContract.Region] = Aws.REGION,
        };
        for (int i = 0; i < settings.AllStreamNames.Count; i++) env[WorkerContract.ListItem(WorkerContract.StreamNames, i)] = settings.AllStreamNames[i];
        if (settings.StreamPrefix is not null) env[WorkerContract.StreamPrefix] = settings.StreamPrefix;
        if (settings.StreamTagFilters.Count > 0)
        {
            env[WorkerContract.StreamTagFilters] = string.Join(";", settings.StreamTagFilters.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"));
        }
        if (settings.EffectiveEndpointName is not null) env[WorkerContract.SageMakerEndpoint] = settings.EffectiveEndpointName;
        return env;
    }

    private void GrantWorkerPermissions(FleetSettings settings, WorkerServiceProps props)
    {
        var stack = Stack.Of(this);
        string StreamArn(string pattern) =>
            // KVS stream ARNs end with /<creation time>, hence the trailing /*.
            Arn.Format(new ArnComponents { Service = "kinesisvideo", Resource = "stream", ResourceName = pattern + "/*" }, stack);

        var selected = settings.AllStreamNames.Select(StreamArn).ToList();
        if (settings.StreamPrefix is not null) selected.Add(StreamArn(settings.StreamPrefix + "*"));
        if (selected.Count > 0)
        {
            TaskRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps
            {
                Sid = "ReadSelectedStreams",
                Actions = [.. StreamReadActions],
                Resources = [.. selected],
            }));
        }
        if (settings.StreamTagFilters.Count > 0)
        {
            // Selection by tags: the worker must read the tags of every listed stream to filter them,
            // and may read media only from streams that carry every required tag.
            TaskRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps
            {
                Sid = "InspectStreamTags",
                Actions = ["kinesisvideo:DescribeStream", "kinesisvideo:ListTagsForStream"],
                Resources = [StreamArn("*")],
            }));
            TaskRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps
            {
                Sid = "ReadTaggedStreams",
                Actions = [.. StreamReadActions],
                Resources = [StreamArn("*")],
                Conditions = new Dictionary<string, object>
                {
                    ["StringEquals"] = settings.StreamTagFilters.ToDictionary(t => $"aws:ResourceTag/{t.Key}", t => (object)t.Value),
                },
            }));
        }
        TaskRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            // ListStreams has no resource-level permissions: AWS only accepts "*".
            Sid = "DiscoverStreams",
            Actions = ["kinesisvideo:ListStreams"],
            Resources = ["*"],
        }));
        TaskRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "Leases",
            Actions = [.. LeaseTableActions],
            Resources = [props.LeaseTable.TableArn],
        }));
        TaskRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "WriteRecords",
            Actions = [.. OutputStreamActions],
            Resources = [props.OutputStream.StreamArn],
        }));
        if (props.EndpointArn is not null)
        {
            TaskRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps
            {
                Sid = "InvokeModel",
                Actions = ["sagemaker:InvokeEndpoint"],
                Resources = [props.EndpointArn],
            }));
        }
        // Logs and metrics: the awslogs driver writes with the execution role on this log group only, and
        // the metrics are EMF lines in those logs, so the task role needs no logs:* or cloudwatch:PutMetricData.
    }

    private ScalableTarget AddAutoscaling(FleetSettings settings)
    {
        var target = new ScalableTarget(this, "TaskCount", new ScalableTargetProps
        {
            ServiceNamespace = ServiceNamespace.ECS,
            ResourceId = Fn.Join("", ["service/", Cluster.ClusterName, "/", Service.ServiceName]),
            ScalableDimension = "ecs:service:DesiredCount",
            MinCapacity = settings.MinTasks,
            MaxCapacity = settings.MaxTasks,
        });

        target.ScaleToTrackMetric("Cpu", new BasicTargetTrackingScalingPolicyProps
        {
            PredefinedMetric = PredefinedMetric.ECS_SERVICE_AVERAGE_CPU_UTILIZATION,
            TargetValue = settings.TargetCpuPercent,
            ScaleInCooldown = Duration.Minutes(5),
            ScaleOutCooldown = Duration.Minutes(1),
        });

        // Streams per worker = LeasesTotal / WorkersSeen: target tracking over metric math, which the CDK L2
        // policy does not render (it takes one metric), so the CloudFormation resource is written directly.
        AppScalingPolicy.TargetTrackingMetricDataQueryProperty Stat(string queryId, string metricName) => new()
        {
            Id = queryId,
            ReturnData = false,
            MetricStat = new AppScalingPolicy.TargetTrackingMetricStatProperty
            {
                Stat = "Maximum",
                Metric = new AppScalingPolicy.TargetTrackingMetricProperty
                {
                    Namespace = FleetConstants.MetricNamespace,
                    MetricName = metricName,
                    Dimensions = new object[] { new AppScalingPolicy.TargetTrackingMetricDimensionProperty { Name = WorkerContract.ServiceNameDimension, Value = settings.ServiceName } },
                },
            },
        };
        StreamsPerWorkerPolicy = new AppScalingPolicy(this, "StreamsPerWorkerScaling", new CfnScalingPolicyProps
        {
            PolicyName = $"{settings.ServiceName}-streams-per-worker",
            PolicyType = "TargetTrackingScaling",
            ScalingTargetId = target.ScalableTargetId,
            TargetTrackingScalingPolicyConfiguration = new AppScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty
            {
                TargetValue = settings.TargetStreamsPerWorker,
                ScaleInCooldown = 300,
                ScaleOutCooldown = 60,
                CustomizedMetricSpecification = new AppScalingPolicy.CustomizedMetricSpecificationProperty
                {
                    Metrics = new object[]
                    {
                        Stat("leases", WorkerContract.Metrics.LeasesTotal),
                        Stat("workers", WorkerContract.Metrics.WorkersSeen),
                        new AppScalingPolicy.TargetTrackingMetricDataQueryProperty
                        {
                            Id = "streamsPerWorker",
                            Label = "Leased streams per worker",
                            Expression = "leases / workers",
                            ReturnData = true,
                        },
                    },
                },
            },
        });

        // Falling behind the live edge: add workers in steps (scale-in is left to the two tracking policies).
        target.ScaleOnMetric("Behind", new BasicStepScalingPolicyProps
        {
            Metric = FleetMonitoring.WorkerMetric(settings, WorkerContract.Metrics.MillisBehindNow, Stats.MAXIMUM),
            AdjustmentType = AdjustmentType.CHANGE_IN_CAPACITY,
            ScalingSteps =
            [
                new ScalingInterval { Upper = settings.ScaleOutBehindMs, Change = 0 },
                new ScalingInterval { Lower = settings.ScaleOutBehindMs, Change = +1 },
                new ScalingInterval { Lower = settings.ScaleOutBehindMs * 6, Change = +3 },
            ],
            EvaluationPeriods = 2,
            Cooldown = Duration.Minutes(2),
        });
        return target;
    }

    /// <summary>Gets the streams-per-worker target tracking policy (metric math).</summary>
    /// <value>Set by the constructor.</value>
    public AppScalingPolicy StreamsPerWorkerPolicy { get; private set; } = null!;
}
