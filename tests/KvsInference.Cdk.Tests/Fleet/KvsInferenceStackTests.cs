using System.Text.Json;
using Amazon.CDK.Assertions;
using KvsInference.Cdk.Configuration;
using KvsInference.Cdk.Fleet;

namespace KvsInference.Cdk.Tests.Fleet;

[Collection(FleetStacksCollection.Name)]
public sealed class KvsInferenceStackTests(FleetStacks stacks)
{
    /// <summary>
    /// The only IAM actions allowed on Resource "*", each with the reason AWS forces it. Any other "*" fails the test.
    /// </summary>
    private static readonly Dictionary<string, string> RequiredWildcards = new()
    {
        ["kinesisvideo:ListStreams"] = "ListStreams has no resource type in the KVS authorization reference: only \"*\" is accepted (stream discovery by prefix or tags).",
        ["ecr:GetAuthorizationToken"] = "GetAuthorizationToken has no resource type: the ECS execution role and the SageMaker role need it to pull the image; the pull itself is scoped to the asset repository.",
    };

    internal static Dictionary<string, object> O(params (string Key, object Value)[] pairs) => pairs.ToDictionary(p => p.Key, p => p.Value);

    [Fact]
    public void Vpc_Defaults_PrivateSubnetsWithOneNatGateway()
    {
        var t = stacks.Defaults.Template;
        t.ResourceCountIs("AWS::EC2::VPC", 1);
        t.ResourceCountIs("AWS::EC2::NatGateway", 1);
        t.ResourceCountIs("AWS::EC2::Subnet", 4); // 2 AZs x (public + private)
        t.HasResourceProperties("AWS::EC2::Subnet", O(("MapPublicIpOnLaunch", false)));
        t.HasResourceProperties("AWS::EC2::VPCEndpoint", O(("VpcEndpointType", "Gateway")));
        t.HasResourceProperties("AWS::ECS::Service", O(("NetworkConfiguration", O(("AwsvpcConfiguration", O(("AssignPublicIp", "DISABLED")))))));
    }

    [Fact]
    public void Vpc_PublicSubnetMode_NoNatAndPublicIps()
    {
        var t = stacks.Created.Template;
        t.ResourceCountIs("AWS::EC2::NatGateway", 0);
        t.ResourceCountIs("AWS::EC2::Subnet", 2);
        t.HasResourceProperties("AWS::ECS::Service", O(("NetworkConfiguration", O(("AwsvpcConfiguration", O(("AssignPublicIp", "ENABLED")))))));
    }

    [Fact]
    public void Vpc_ExistingVpcId_LookedUpNotCreated()
    {
        var existing = stacks.Existing;
        existing.Template.ResourceCountIs("AWS::EC2::VPC", 0);
        existing.Template.ResourceCountIs("AWS::EC2::NatGateway", 0);
        // Without a cached lookup CDK uses its placeholder VPC, whose private subnets are p-12345 and p-67890.
        var subnets = existing.Single("AWS::ECS::Service").GetProperty("Properties").GetProperty("NetworkConfiguration")
            .GetProperty("AwsvpcConfiguration").GetProperty("Subnets").EnumerateArray().Select(s => s.GetString()).ToList();
        Assert.Equal(["p-12345", "p-67890"], subnets);
    }

    [Fact]
    public void LeaseTable_Defaults_OnDemandPitrLeaseKeyRetained()
    {
        var t = stacks.Defaults.Template;
        t.ResourceCountIs("AWS::DynamoDB::Table", 1);
        t.HasResource("AWS::DynamoDB::Table", O(
            ("Properties", O(
                ("BillingMode", "PAY_PER_REQUEST"),
                ("KeySchema", new object[] { O(("AttributeName", "leaseKey"), ("KeyType", "HASH")) }),
                ("AttributeDefinitions", new object[] { O(("AttributeName", "leaseKey"), ("AttributeType", "S")) }),
                ("PointInTimeRecoverySpecification", O(("PointInTimeRecoveryEnabled", true))))),
            ("DeletionPolicy", "Retain"),
            ("UpdateReplacePolicy", "Retain")));
    }

    [Fact]
    public void LeaseTable_RemovalPolicyDestroy_Deleted()
    {
        stacks.Created.Template.HasResource("AWS::DynamoDB::Table", O(("DeletionPolicy", "Delete")));
        stacks.Created.Template.HasResource("AWS::Kinesis::Stream", O(("DeletionPolicy", "Delete")));
        stacks.Created.Template.HasResource("AWS::Logs::LogGroup", O(("DeletionPolicy", "Delete")));
    }

    [Fact]
    public void OutputStream_Defaults_OnDemandKmsEncrypted()
    {
        var t = stacks.Defaults.Template;
        t.ResourceCountIs("AWS::Kinesis::Stream", 1);
        t.HasResource("AWS::Kinesis::Stream", O(
            ("Properties", O(
                ("StreamModeDetails", O(("StreamMode", "ON_DEMAND"))),
                ("StreamEncryption", O(("EncryptionType", "KMS"), ("KeyId", "alias/aws/kinesis"))),
                ("RetentionPeriodHours", 24))),
            ("DeletionPolicy", "Retain")));
        stacks.Created.Template.HasResourceProperties("AWS::Kinesis::Stream", O(("RetentionPeriodHours", 48)));
    }

    [Fact]
    public void Meeting_MeetingName_SignalingChannelAndStreamWithRetention()
    {
        var t = stacks.Created.Template;
        t.HasResourceProperties("AWS::KinesisVideo::SignalingChannel", O(("Name", "standup"), ("Type", "SINGLE_MASTER")));
        t.HasResource("AWS::KinesisVideo::Stream", O(
            ("Properties", O(("Name", "standup"), ("DataRetentionInHours", 48))),
            ("DeletionPolicy", "Delete")));
        stacks.Defaults.Template.ResourceCountIs("AWS::KinesisVideo::SignalingChannel", 0);
        stacks.Defaults.Template.ResourceCountIs("AWS::KinesisVideo::Stream", 0);
    }

    [Fact]
    public void Outputs_Defaults_StreamTableClusterDashboard()
    {
        var t = stacks.Defaults.Template;
        t.HasOutput("OutputStreamName", O(("Value", O(("Ref", Match.StringLikeRegexp("^OutputStream"))))));
        t.HasOutput("OutputStreamArn", Match.AnyValue());
        t.HasOutput("LeaseTableName", O(("Value", O(("Ref", Match.StringLikeRegexp("^LeaseTable"))))));
        t.HasOutput("ClusterName", Match.AnyValue());
        t.HasOutput("WorkerServiceName", Match.AnyValue());
        t.HasOutput("WorkerLogGroup", Match.AnyValue());
        var url = stacks.Defaults.Json.GetProperty("Outputs").GetProperty("DashboardUrl").GetProperty("Value").GetRawText();
        Assert.Contains("console.aws.amazon.com/cloudwatch/home?region=", url);
        Assert.Contains("#dashboards:name=", url);
        var outputs = stacks.Defaults.Json.GetProperty("Outputs").EnumerateObject().Select(o => o.Name).ToList();
        Assert.DoesNotContain("InferenceEndpointName", outputs);
        Assert.DoesNotContain("AlarmTopicArn", outputs);
        Assert.DoesNotContain("MeetingChannelArn", outputs);
    }

    [Fact]
    public void Outputs_EverythingCreated_EndpointTopicAndMeeting()
    {
        var t = stacks.Created.Template;
        t.HasOutput("InferenceEndpointName", O(("Value", "kvsi-full-model")));
        t.HasOutput("AlarmTopicArn", O(("Value", O(("Ref", Match.StringLikeRegexp("^AlarmTopic"))))));
        t.HasOutput("MeetingChannelArn", Match.AnyValue());
        t.HasOutput("MeetingStreamArn", Match.AnyValue());
        stacks.Existing.Template.HasOutput("InferenceEndpointName", O(("Value", "Visemes-Prod")));
    }

    [Fact]
    public void PolicyStatements_AnyConfiguration_WildcardOnlyWhereAwsRequiresIt()
    {
        foreach (var stack in stacks.All)
        {
            foreach (var (policy, statement) in stack.PolicyStatements())
            {
                var actions = SynthesizedStack.Many(statement, "Action").Select(a => a.GetString()!).ToList();
                Assert.All(actions, a => Assert.DoesNotContain("*", a)); // no wildcard actions either
                var resources = SynthesizedStack.Many(statement, "Resource");
                if (resources.Any(r => r.ValueKind == JsonValueKind.String && r.GetString() == "*"))
                {
                    Assert.True(resources.Count == 1, $"{policy}: '*' mixed with other resources");
                    Assert.All(actions, a => Assert.True(RequiredWildcards.ContainsKey(a),
                        $"{stack.Stack.StackName}/{policy}: {a} on Resource \"*\" is not one AWS requires"));
                }
            }
        }
        // Each listed reason is still needed: the defaults use both.
        var used = stacks.Defaults.PolicyStatements()
            .Where(s => SynthesizedStack.Many(s.Statement, "Resource").Any(r => r.ValueKind == JsonValueKind.String && r.GetString() == "*"))
            .SelectMany(s => SynthesizedStack.Many(s.Statement, "Action").Select(a => a.GetString()!))
            .ToHashSet();
        Assert.Equal(RequiredWildcards.Keys.Order(), used.Order());
    }

    [Fact]
    public void Constructor_InvalidSettings_ThrowsWithEveryProblem()
    {
        var e = Assert.Throws<FleetSettingsException>(() => SynthesizedStack.Synthesize(new FleetSettings
        {
            Cpu = 1024,
            MemoryMiB = 1024,
            SageMakerEndpointName = "existing",
            CreateSageMakerEndpoint = true,
        }));
        Assert.Contains("cpu 1024 / memoryMiB 1024 is not a Fargate task size", e.Message);
        Assert.Contains("no streams selected", e.Message);
        Assert.Contains("sageMakerEndpointName and createSageMakerEndpoint=true exclude each other", e.Message);
        Assert.Equal(3, e.Errors.Count);
    }

    [Fact]
    public void Constructor_VpcIdWithoutAccountAndRegion_Throws()
    {
        var e = Assert.Throws<FleetSettingsException>(() => SynthesizedStack.Synthesize(
            FleetStacks.ExistingSettings));
        Assert.Contains("vpcId needs an environment-specific stack: set CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION", Assert.Single(e.Errors));
    }
}
