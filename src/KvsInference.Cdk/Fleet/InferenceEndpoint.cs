using Amazon.CDK;
using Amazon.CDK.AWS.ApplicationAutoScaling;
using Amazon.CDK.AWS.Ecr.Assets;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Sagemaker;
using Constructs;
using KvsInference.Cdk.Configuration;

namespace KvsInference.Cdk.Fleet;

/// <summary>
/// A SageMaker real-time endpoint running the worker image; SageMaker starts the container with the
/// argument <c>serve</c>, which answers <c>GET /ping</c> and <c>POST /invocations</c> on port 8080.
/// Autoscales on invocations per instance.
/// </summary>
public sealed class InferenceEndpoint : Construct
{
    /// <summary>The production variant's name (the autoscaling resource id names it).</summary>
    public const string VariantName = "AllTraffic";

    /// <summary>Creates the execution role, model, endpoint config, endpoint and its autoscaling.</summary>
    /// <param name="scope">The stack.</param>
    /// <param name="id">Construct id.</param>
    /// <param name="settings">Validated parameters with <see cref="FleetSettings.CreateSageMakerEndpoint"/> set.</param>
    /// <param name="image">The worker image.</param>
    public InferenceEndpoint(Construct scope, string id, FleetSettings settings, DockerImageAsset image)
        : base(scope, id)
    {
        EndpointName = settings.EffectiveEndpointName ?? throw new ArgumentException("No endpoint to create.", nameof(settings));

        ExecutionRole = new Role(this, "ExecutionRole", new RoleProps
        {
            AssumedBy = new ServicePrincipal("sagemaker.amazonaws.com"),
            Description = "SageMaker pulls the worker image and writes the endpoint's logs",
        });
        // Pull from the CDK asset repository only (adds ecr:GetAuthorizationToken, which AWS grants on * only).
        image.Repository.GrantPull(ExecutionRole);
        ExecutionRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "EndpointLogs",
            Actions = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            Resources =
            [
                Arn.Format(new ArnComponents
                {
                    Service = "logs",
                    Resource = "log-group",
                    ArnFormat = ArnFormat.COLON_RESOURCE_NAME,
                    ResourceName = $"/aws/sagemaker/Endpoints/{EndpointName}:*",
                }, Stack.Of(this)),
            ],
        }));

        Model = new CfnModel(this, "Model", new CfnModelProps
        {
            ExecutionRoleArn = ExecutionRole.RoleArn,
            PrimaryContainer = new CfnModel.ContainerDefinitionProperty
            {
                Image = image.ImageUri,
                Mode = "SingleModel",
                Environment = new Dictionary<string, object>
                {
                    [WorkerContract.MetricsServiceName] = settings.ServiceName,
                    [WorkerContract.MetricsNamespace] = FleetConstants.MetricNamespace,
                },
            },
        });
        // CreateModel checks that the role can pull the image: the policy must exist first.
        Model.Node.AddDependency(ExecutionRole);

        Config = new CfnEndpointConfig(this, "Config", new CfnEndpointConfigProps
        {
            ProductionVariants = new object[]
            {
                new CfnEndpointConfig.ProductionVariantProperty
                {
                    VariantName = VariantName,
                    ModelName = Model.AttrModelName,
                    InstanceType = settings.EndpointInstanceType,
                    InitialInstanceCount = settings.EndpointMinInstances,
                    InitialVariantWeight = 1,
                },
            },
        });

        Endpoint = new CfnEndpoint(this, "Endpoint", new CfnEndpointProps
        {
            EndpointName = EndpointName,
            EndpointConfigName = Config.AttrEndpointConfigName,
        });

        Scaling = new ScalableTarget(this, "InstanceCount", new ScalableTargetProps
        {
            ServiceNamespace = ServiceNamespace.SAGEMAKER,
            ResourceId = $"endpoint/{EndpointName}/variant/{VariantName}",
            ScalableDimension = "sagemaker:variant:DesiredInstanceCount",
            MinCapacity = settings.EndpointMinInstances,
            MaxCapacity = settings.EndpointMaxInstances,
        });
        Scaling.Node.AddDependency(Endpoint);
        Scaling.ScaleToTrackMetric("Invocations", new BasicTargetTrackingScalingPolicyProps
        {
            PredefinedMetric = PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
            TargetValue = settings.EndpointInvocationsPerInstance,
            ScaleInCooldown = Duration.Minutes(5),
            ScaleOutCooldown = Duration.Minutes(1),
        });
    }

    /// <summary>Gets the endpoint name (<c>{serviceName}-model</c>).</summary>
    /// <value>Set by the constructor.</value>
    public string EndpointName { get; }

    /// <summary>Gets the endpoint's ARN (what InvokeEndpoint is granted on).</summary>
    /// <value>The endpoint's CloudFormation reference, which is its ARN.</value>
    public string EndpointArn => Endpoint.Ref;

    /// <summary>Gets the role SageMaker runs the model with.</summary>
    /// <value>Set by the constructor.</value>
    public Role ExecutionRole { get; }

    /// <summary>Gets the SageMaker model.</summary>
    /// <value>Set by the constructor.</value>
    public CfnModel Model { get; }

    /// <summary>Gets the endpoint configuration.</summary>
    /// <value>Set by the constructor.</value>
    public CfnEndpointConfig Config { get; }

    /// <summary>Gets the endpoint.</summary>
    /// <value>Set by the constructor.</value>
    public CfnEndpoint Endpoint { get; }

    /// <summary>Gets the instance count autoscaling target.</summary>
    /// <value>Set by the constructor.</value>
    public ScalableTarget Scaling { get; }
}
