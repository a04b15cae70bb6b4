using Amazon.CDK.Assertions;
using static KvsInference.Cdk.Tests.Fleet.KvsInferenceStackTests;

namespace KvsInference.Cdk.Tests.Fleet;

[Collection(FleetStacksCollection.Name)]
public sealed class InferenceEndpointTests(FleetStacks stacks)
{
    [Fact]
    public void Endpoint_CreateSageMakerEndpoint_ModelConfigEndpointFromWorkerImage()
    {
        var t = stacks.Created.Template;
        t.ResourceCountIs("AWS::SageMaker::Model", 1);
        t.HasResourceProperties("AWS::SageMaker::Model", O(
            ("PrimaryContainer", Match.ObjectLike(O(("Mode", "SingleModel"), ("Image", Match.AnyValue()))))));
        var image = stacks.Created.Single("AWS::SageMaker::Model").GetProperty("Properties").GetProperty("PrimaryContainer").GetProperty("Image").GetRawText();
        Assert.Contains(":" + stacks.Created.Stack.Image.AssetHash, image); // the same image as the workers
        t.HasResourceProperties("AWS::SageMaker::EndpointConfig", O(
            ("ProductionVariants", new object[]
            {
                Match.ObjectLike(O(("VariantName", "AllTraffic"), ("InstanceType", "ml.c5.xlarge"), ("InitialInstanceCount", 1))),
            })));
        t.HasResourceProperties("AWS::SageMaker::Endpoint", O(("EndpointName", "kvsi-full-model")));
    }

    [Fact]
    public void Endpoint_CreateSageMakerEndpoint_AutoscalesOnInvocationsPerInstance()
    {
        var t = stacks.Created.Template;
        t.HasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", O(
            ("ServiceNamespace", "sagemaker"),
            ("ResourceId", "endpoint/kvsi-full-model/variant/AllTraffic"),
            ("ScalableDimension", "sagemaker:variant:DesiredInstanceCount"),
            ("MinCapacity", 1),
            ("MaxCapacity", 4)));
        t.HasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", O(
            ("TargetTrackingScalingPolicyConfiguration", Match.ObjectLike(O(
                ("PredefinedMetricSpecification", O(("PredefinedMetricType", "SageMakerVariantInvocationsPerInstance"))),
                ("TargetValue", 600))))));
        // The scalable target can only register once the endpoint exists.
        var target = stacks.Created.Resources("AWS::ApplicationAutoScaling::ScalableTarget")
            .Single(r => r.Value.GetProperty("Properties").GetProperty("ServiceNamespace").GetString() == "sagemaker").Value;
        Assert.Contains(target.GetProperty("DependsOn").EnumerateArray(), d => d.GetString()!.StartsWith("InferenceEndpoint", StringComparison.Ordinal));
    }

    [Fact]
    public void ExecutionRole_CreateSageMakerEndpoint_PullsAssetRepositoryAndWritesEndpointLogs()
    {
        var statements = stacks.Created.PolicyStatements().Where(s => s.Policy.StartsWith("InferenceExecutionRole", StringComparison.Ordinal))
            .Select(s => s.Statement).ToList();
        var pull = statements.Single(s => SynthesizedStack.Many(s, "Action").Any(a => a.GetString() == "ecr:BatchGetImage"));
        Assert.Contains("container-assets", System.Text.Json.JsonSerializer.Serialize(pull.GetProperty("Resource")));
        var logs = statements.Single(s => s.TryGetProperty("Sid", out var sid) && sid.GetString() == "EndpointLogs");
        Assert.Contains(":log-group:/aws/sagemaker/Endpoints/kvsi-full-model:*", System.Text.Json.JsonSerializer.Serialize(logs.GetProperty("Resource")));
        var trust = Match.ObjectLike(O(("Principal", O(("Service", "sagemaker.amazonaws.com")))));
        stacks.Created.Template.HasResourceProperties("AWS::IAM::Role", O(
            ("AssumeRolePolicyDocument", Match.ObjectLike(O(("Statement", new object[] { trust }))))));
    }

    [Fact]
    public void Endpoint_ExistingOrNone_NoSageMakerResources()
    {
        foreach (var stack in new[] { stacks.Defaults, stacks.Existing })
        {
            stack.Template.ResourceCountIs("AWS::SageMaker::Model", 0);
            stack.Template.ResourceCountIs("AWS::SageMaker::EndpointConfig", 0);
            stack.Template.ResourceCountIs("AWS::SageMaker::Endpoint", 0);
        }
    }
}
