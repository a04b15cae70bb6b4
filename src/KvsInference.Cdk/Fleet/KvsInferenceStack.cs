using Amazon.CDK;
using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.EC2;
using Amazon.CDK.AWS.Ecr.Assets;
using Amazon.CDK.AWS.Kinesis;
using Amazon.CDK.AWS.SNS;
using Amazon.CDK.AWS.SNS.Subscriptions;
using Constructs;
using KvsInference.Cdk.Configuration;

namespace KvsInference.Cdk.Fleet;

/// <summary>
/// The deployable fleet: network, lease table, output stream, the worker service on Fargate, an optional
/// SageMaker endpoint, optional meeting channel and stream, and the dashboard and alarms.
/// </summary>
public sealed class KvsInferenceStack : Stack
{
    /// <summary>Builds the stack.</summary>
    /// <param name="scope">The CDK app.</param>
    /// <param name="id">The stack id (the CloudFormation stack name).</param>
    /// <param name="props">Parameters; <see cref="KvsInferenceStackProps.Settings"/> is validated here.</param>
    /// <exception cref="FleetSettingsException">A parameter is invalid.</exception>
    /// <exception cref="ArgumentException">The Docker context holds no Dockerfile.</exception>
    public KvsInferenceStack(Construct scope, string id, KvsInferenceStackProps props)
        : base(scope, id, props)
    {
        var settings = props.Settings;
        settings.Validate(hasExplicitEnvironment: props.Env?.Account is not null && props.Env?.Region is not null);
        if (!File.Exists(Path.Combine(props.DockerContextDirectory, "Dockerfile")))
        {
            throw new ArgumentException($"No Dockerfile in the Docker context '{props.DockerContextDirectory}'.", nameof(props));
        }
        Settings = settings;
        var removal = settings.RemovalPolicy == DataRemoval.Destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

        Vpc = CreateNetwork(settings);

        LeaseTable = new Table(this, "LeaseTable", new TableProps
        {
            // KCL's lease schema (docs/architecture.md, "Lease table"): one item per stream, keyed by stream name or ARN.
            PartitionKey = new Amazon.CDK.AWS.DynamoDB.Attribute { Name = "leaseKey", Type = AttributeType.STRING },
            BillingMode = BillingMode.PAY_PER_REQUEST,
            PointInTimeRecovery = true,
            RemovalPolicy = removal,
        });

        OutputStream = new Amazon.CDK.AWS.Kinesis.Stream(this, "OutputStream", new StreamProps
        {
            StreamMode = StreamMode.ON_DEMAND,
            // The AWS managed key (alias/aws/kinesis): encrypted at rest, no key policy to maintain, and
            // principals of the account may use it through Kinesis without a KMS grant.
            Encryption = StreamEncryption.MANAGED,
            RetentionPeriod = Duration.Hours(settings.OutputRetentionHours),
            RemovalPolicy = removal,
        });

        // One image for the workers and the SageMaker model (`serve`); built from the repository's Dockerfile.
        // amd64 explicitly: Fargate's default platform and SageMaker's ml.* CPU instances.
        Image = new DockerImageAsset(this, "WorkerImage", new DockerImageAssetProps
        {
            Directory = props.DockerContextDirectory,
            File = "Dockerfile",
            Platform = Platform_.LINUX_AMD64,
        });

        if (settings.MeetingName is not null)
        {
            Meeting = new MeetingMedia(this, "Meeting", settings, removal);
        }
        if (settings.CreateSageMakerEndpoint)
        {
            Endpoint = new InferenceEndpoint(this, "Inference", settings, Image);
        }

        Worker = new WorkerService(this, "Worker", new WorkerServiceProps
        {
            Settings = settings,
            Vpc = Vpc,
            Image = Image,
            LeaseTable = LeaseTable,
            OutputStream = OutputStream,
            EndpointArn = Endpoint?.EndpointArn ?? ExistingEndpointArn(settings.SageMakerEndpointName),
            Removal = removal,
        });
        if (Endpoint is not null)
        {
            // Workers started before the endpoint is InService would only fail their first batches.
            Worker.Service.Node.AddDependency(Endpoint);
        }

        if (settings.HasAlarmTopic)
        {
            AlarmTopic = new Topic(this, "AlarmTopic", new TopicProps { DisplayName = $"{settings.ServiceName} alarms" });
            if (settings.AlarmEmail is not null)
            {
                AlarmTopic.AddSubscription(new EmailSubscription(settings.AlarmEmail));
            }
        }
        Monitoring = new FleetMonitoring(this, "Monitoring", settings, Worker, OutputStream, Endpoint, AlarmTopic);

        AddOutputs(settings);
    }

    /// <summary>Gets the validated parameters the stack was built with.</summary>
    /// <value>Set by the constructor.</value>
    public FleetSettings Settings { get; }

    /// <summary>Gets the VPC the workers run in (new or looked up).</summary>
    /// <value>Set by the constructor.</value>
    public IVpc Vpc { get; }

    /// <summary>Gets the DynamoDB lease table.</summary>
    /// <value>Set by the constructor.</value>
    public Table LeaseTable { get; }

    /// <summary>Gets the Kinesis stream receiving inference records.</summary>
    /// <value>Set by the constructor.</value>
    public Amazon.CDK.AWS.Kinesis.Stream OutputStream { get; }

    /// <summary>Gets the worker image asset.</summary>
    /// <value>Set by the constructor.</value>
    public DockerImageAsset Image { get; }

    /// <summary>Gets the worker service.</summary>
    /// <value>Set by the constructor.</value>
    public WorkerService Worker { get; }

    /// <summary>Gets the SageMaker endpoint the stack created.</summary>
    /// <value>Null unless <see cref="FleetSettings.CreateSageMakerEndpoint"/>.</value>
    public InferenceEndpoint? Endpoint { get; }

    /// <summary>Gets the meeting channel and stream the stack created.</summary>
    /// <value>Null unless <see cref="FleetSettings.MeetingName"/> is set.</value>
    public MeetingMedia? Meeting { get; }

    /// <summary>Gets the SNS topic the alarms notify.</summary>
    /// <value>Null unless <see cref="FleetSettings.HasAlarmTopic"/>.</value>
    public Topic? AlarmTopic { get; }

    /// <summary>Gets the dashboard and alarms.</summary>
    /// <value>Set by the constructor.</value>
    public FleetMonitoring Monitoring { get; }

    private IVpc CreateNetwork(FleetSettings settings)
    {
        var isPublic = settings.SubnetMode == SubnetMode.Public;
        if (settings.VpcId is not null)
        {
            return Amazon.CDK.AWS.EC2.Vpc.FromLookup(this, "Vpc", new VpcLookupOptions { VpcId = settings.VpcId });
        }
        var subnets = new List<ISubnetConfiguration>
        {
            new SubnetConfiguration { Name = "public", SubnetType = SubnetType.PUBLIC, CidrMask = 24 },
        };
        if (!isPublic)
        {
            subnets.Add(new SubnetConfiguration { Name = "workers", SubnetType = SubnetType.PRIVATE_WITH_EGRESS, CidrMask = 22 });
        }
        var vpc = new Amazon.CDK.AWS.EC2.Vpc(this, "Vpc", new VpcProps
        {
            MaxAzs = settings.MaxAzs,
            NatGateways = isPublic ? 0 : settings.NatGateways,
            SubnetConfiguration = subnets.ToArray(),
            // Restricting the default security group needs a custom-resource Lambda; the tasks use their own group.
            RestrictDefaultSecurityGroup = false,
        });
        // Lease traffic stays off the NAT gateway (and its per-GB charge): gateway endpoints are free.
        vpc.AddGatewayEndpoint("DynamoDb", new GatewayVpcEndpointOptions { Service = GatewayVpcEndpointAwsService.DYNAMODB });
        return vpc;
    }

    private string? ExistingEndpointArn(string? endpointName) =>
        endpointName is null
            ? null
            // SageMaker lower-cases endpoint names in ARNs.
            : Arn.Format(new ArnComponents { Service = "sagemaker", Resource = "endpoint", ResourceName = endpointName.ToLowerInvariant() }, this);

    private void AddOutputs(FleetSettings settings)
    {
        _ = new CfnOutput(this, "OutputStreamName", new CfnOutputProps { Value = OutputStream.StreamName, Description = "Kinesis stream receiving inference records" });
        _ = new CfnOutput(this, "OutputStreamArn", new CfnOutputProps { Value = OutputStream.StreamArn, Description = "ARN of the inference record stream" });
        _ = new CfnOutput(this, "LeaseTableName", new CfnOutputProps { Value = LeaseTable.TableName, Description = "DynamoDB lease table" });
        _ = new CfnOutput(this, "ClusterName", new CfnOutputProps { Value = Worker.Cluster.ClusterName, Description = "ECS cluster" });
        _ = new CfnOutput(this, "WorkerServiceName", new CfnOutputProps { Value = Worker.Service.ServiceName, Description = "ECS service running the workers" });
        _ = new CfnOutput(this, "WorkerLogGroup", new CfnOutputProps { Value = Worker.LogGroup.LogGroupName, Description = "Worker logs and EMF metrics" });
        _ = new CfnOutput(this, "DashboardUrl", new CfnOutputProps { Value = Monitoring.DashboardUrl, Description = "CloudWatch dashboard" });
        var endpointName = Endpoint?.EndpointName ?? settings.SageMakerEndpointName;
        if (endpointName is not null)
        {
            _ = new CfnOutput(this, "InferenceEndpointName", new CfnOutputProps { Value = endpointName, Description = "SageMaker endpoint the workers call" });
        }
        if (AlarmTopic is not null)
        {
            _ = new CfnOutput(this, "AlarmTopicArn", new CfnOutputProps { Value = AlarmTopic.TopicArn, Description = "SNS topic of the alarms" });
        }
        if (Meeting is not null)
        {
            _ = new CfnOutput(this, "MeetingChannelArn", new CfnOutputProps { Value = Meeting.Channel.AttrArn, Description = "KVS signaling channel of the meeting" });
            _ = new CfnOutput(this, "MeetingStreamArn", new CfnOutputProps { Value = Meeting.Stream.AttrArn, Description = "KVS stream of the meeting (consumed by the workers)" });
        }
    }
}
