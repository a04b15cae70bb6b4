using System.Text.Json;
using Amazon.CDK.Assertions;
using KvsInference.Cdk.Fleet;
using KvsInference.TestSupport;
using static KvsInference.Cdk.Tests.Fleet.KvsInferenceStackTests;

namespace KvsInference.Cdk.Tests.Fleet;

[Collection(FleetStacksCollection.Name)]
public sealed class WorkerServiceTests(FleetStacks stacks)
{
    [Fact]
    public void Service_Defaults_FargateWithCircuitBreakerRollback()
    {
        var t = stacks.Defaults.Template;
        t.ResourceCountIs("AWS::ECS::Cluster", 1);
        t.HasResourceProperties("AWS::ECS::Service", O(
            ("LaunchType", "FARGATE"),
            ("DesiredCount", 2),
            ("DeploymentConfiguration", O(
                ("DeploymentCircuitBreaker", O(("Enable", true), ("Rollback", true))),
                ("MinimumHealthyPercent", 100),
                ("MaximumPercent", 200)))));
        stacks.Created.Template.HasResourceProperties("AWS::ECS::Service", O(("DesiredCount", 3)));
    }

    [Fact]
    public void TaskDefinition_Defaults_SizeHealthCheckStopTimeoutLogs()
    {
        var t = stacks.Defaults.Template;
        t.HasResourceProperties("AWS::ECS::TaskDefinition", O(
            ("Cpu", "1024"),
            ("Memory", "2048"),
            ("NetworkMode", "awsvpc"),
            ("RequiresCompatibilities", new object[] { "FARGATE" }),
            ("ContainerDefinitions", new object[]
            {
                Match.ObjectLike(O(
                    ("Name", WorkerService.ContainerName),
                    ("Essential", true),
                    ("StopTimeout", 30),
                    ("HealthCheck", O(
                        ("Command", new object[] { "CMD-SHELL", "curl -fsS http://localhost:8081/healthz || exit 1" }),
                        ("Interval", 15), ("Timeout", 5), ("Retries", 3), ("StartPeriod", 30))),
                    ("PortMappings", new object[] { Match.ObjectLike(O(("ContainerPort", 8081))) }),
                    ("LogConfiguration", O(
                        ("LogDriver", "awslogs"),
                        ("Options", Match.ObjectLike(O(("awslogs-stream-prefix", "worker"), ("mode", "non-blocking"))))))))
            })));
        stacks.Created.Template.HasResourceProperties("AWS::ECS::TaskDefinition", O(("Cpu", "2048"), ("Memory", "4096")));
    }

    [Fact]
    public void Image_Defaults_BuiltFromRepositoryDockerfile()
    {
        var image = stacks.Defaults.Single("AWS::ECS::TaskDefinition").GetProperty("Properties").GetProperty("ContainerDefinitions")[0]
            .GetProperty("Image").GetRawText();
        // The bootstrap's container asset repository, tagged with the hash of the Docker context.
        Assert.Contains("container-assets", image);
        Assert.Contains(":" + stacks.Defaults.Stack.Image.AssetHash, image);
    }

    [Fact]
    public void LogGroup_Retention_FromParameter()
    {
        stacks.Defaults.Template.HasResource("AWS::Logs::LogGroup", O(("Properties", O(("RetentionInDays", 30))), ("DeletionPolicy", "Retain")));
        stacks.Created.Template.HasResourceProperties("AWS::Logs::LogGroup", O(("RetentionInDays", 7)));
    }

    [Fact]
    public void Environment_EachConfiguration_WorkerContractNames()
    {
        var defaults = stacks.Defaults.WorkerEnvironment();
        Assert.Equal("meeting-", defaults[WorkerContract.StreamPrefix]);
        Assert.Equal("application/json", defaults[WorkerContract.InferenceContentType]);
        Assert.Equal("kvs-inference", defaults[WorkerContract.MetricsServiceName]);
        Assert.Equal("KvsInference", defaults[WorkerContract.MetricsNamespace]);
        Assert.Contains("LeaseTable", defaults[WorkerContract.LeaseTableName]);
        Assert.Contains("OutputStream", defaults[WorkerContract.SinkStreamName]);
        Assert.Contains("AWS::Region", defaults[WorkerContract.Region]);
        Assert.False(defaults.ContainsKey(WorkerContract.SageMakerEndpoint)); // in-process model
        Assert.DoesNotContain(defaults.Keys, k => k.StartsWith(WorkerContract.StreamNames, StringComparison.Ordinal));

        var created = stacks.Created.WorkerEnvironment();
        Assert.Equal("lobby", created["KVSI__Discovery__StreamNames__0"]);
        Assert.Equal("standup", created["KVSI__Discovery__StreamNames__1"]);
        Assert.False(created.ContainsKey(WorkerContract.StreamNames)); // a list, not a comma string
        Assert.Equal("kvsi-full-model", created[WorkerContract.SageMakerEndpoint]);

        var existing = stacks.Existing.WorkerEnvironment();
        Assert.Equal("env=prod;team=avatar", existing[WorkerContract.StreamTagFilters]);
        Assert.Equal("Visemes-Prod", existing[WorkerContract.SageMakerEndpoint]);
    }

    [Fact]
    public void Environment_EveryKvsiVariable_AKeyOfTheWorkersSettingsTable()
    {
        // docs/operating.md's table is checked against the worker's options classes by the worker's tests, so a key
        // found there is one the worker binds (not an old key that only an alias still maps).
        var page = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "operating.md"));
        var table = page[page.IndexOf("<!-- settings:", StringComparison.Ordinal)..page.IndexOf("<!-- /settings -->", StringComparison.Ordinal)];
        var variables = new[] { stacks.Defaults, stacks.Created, stacks.Existing }.SelectMany(s => s.WorkerEnvironment().Keys).Distinct()
            .Where(k => k.StartsWith("KVSI__", StringComparison.Ordinal)).ToList();

        Assert.Contains(WorkerContract.StreamTagFilters, variables);
        Assert.All(variables, variable =>
        {
            var key = System.Text.RegularExpressions.Regex.Replace(variable, "__[0-9]+$", "").Replace("__", ":", StringComparison.Ordinal);
            Assert.Contains($"| `{key}` |", table, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void TaskRole_Defaults_StreamsByPrefixLeasesRecordsOnly()
    {
        var statements = TaskRoleStatements(stacks.Defaults);
        Assert.Equal(["DiscoverStreams", "Leases", "ReadSelectedStreams", "WriteRecords"], statements.Keys.Order());
        Assert.Equal(WorkerService.StreamReadActions.Order(), Actions(statements["ReadSelectedStreams"]));
        Assert.EndsWith(":stream/meeting-*/*\"]]}", Resources(statements["ReadSelectedStreams"]).Single());
        Assert.Equal(WorkerService.LeaseTableActions.Order(), Actions(statements["Leases"]));
        Assert.Contains("LeaseTable", Resources(statements["Leases"]).Single());
        Assert.Equal(WorkerService.OutputStreamActions.Order(), Actions(statements["WriteRecords"]));
        Assert.Contains("OutputStream", Resources(statements["WriteRecords"]).Single());
    }

    [Fact]
    public void TaskRole_CreatedEndpointAndNamedStreams_InvokeOnThatEndpoint()
    {
        var statements = TaskRoleStatements(stacks.Created);
        var streams = Resources(statements["ReadSelectedStreams"]);
        Assert.Equal(2, streams.Count);
        Assert.Contains(streams, r => r.EndsWith(":stream/lobby/*\"]]}", StringComparison.Ordinal));
        Assert.Contains(streams, r => r.EndsWith(":stream/standup/*\"]]}", StringComparison.Ordinal));
        Assert.Equal(["sagemaker:InvokeEndpoint"], Actions(statements["InvokeModel"]));
        Assert.Matches("^\\{\"Ref\":\"InferenceEndpoint[0-9A-F]+\"\\}$", Resources(statements["InvokeModel"]).Single());
    }

    [Fact]
    public void TaskRole_ExistingEndpointAndTagFilters_LowercaseArnAndTagConditions()
    {
        var statements = TaskRoleStatements(stacks.Existing);
        Assert.False(statements.ContainsKey("ReadSelectedStreams"));
        Assert.Equal(["kinesisvideo:DescribeStream", "kinesisvideo:ListTagsForStream"], Actions(statements["InspectStreamTags"]));
        var tagged = statements["ReadTaggedStreams"];
        Assert.Equal(WorkerService.StreamReadActions.Order(), Actions(tagged));
        var condition = tagged.GetProperty("Condition").GetProperty("StringEquals");
        Assert.Equal("avatar", condition.GetProperty("aws:ResourceTag/team").GetString());
        Assert.Equal("prod", condition.GetProperty("aws:ResourceTag/env").GetString());
        // Environment-specific stack: literal ARNs; SageMaker lower-cases endpoint names in them.
        Assert.Equal("\"arn:aws:sagemaker:eu-west-1:123456789012:endpoint/visemes-prod\"", Resources(statements["InvokeModel"]).Single());
        Assert.Equal("\"arn:aws:kinesisvideo:eu-west-1:123456789012:stream/*/*\"", Resources(tagged).Single());
    }

    [Fact]
    public void Autoscaling_Defaults_CpuStreamsPerWorkerAndBehind()
    {
        var t = stacks.Defaults.Template;
        t.HasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", O(
            ("ServiceNamespace", "ecs"), ("ScalableDimension", "ecs:service:DesiredCount"), ("MinCapacity", 1), ("MaxCapacity", 10)));
        t.HasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", O(
            ("PolicyType", "TargetTrackingScaling"),
            ("TargetTrackingScalingPolicyConfiguration", Match.ObjectLike(O(
                ("PredefinedMetricSpecification", O(("PredefinedMetricType", "ECSServiceAverageCPUUtilization"))),
                ("TargetValue", 60))))));
        var leases = Match.ObjectLike(O(("Id", "leases"), ("MetricStat", O(("Stat", "Maximum"), ("Metric", O(
            ("Namespace", "KvsInference"),
            ("MetricName", "LeasesTotal"),
            ("Dimensions", new object[] { O(("Name", "ServiceName"), ("Value", "kvs-inference")) })))))));
        var workers = Match.ObjectLike(O(("Id", "workers"), ("MetricStat", Match.ObjectLike(O(("Metric", Match.ObjectLike(O(("MetricName", "WorkersSeen")))))))));
        var ratio = Match.ObjectLike(O(("Id", "streamsPerWorker"), ("Expression", "leases / workers"), ("ReturnData", true)));
        var custom = O(("Metrics", new object[] { leases, workers, ratio }));
        t.HasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", O(
            ("PolicyType", "TargetTrackingScaling"),
            ("TargetTrackingScalingPolicyConfiguration", Match.ObjectLike(O(("TargetValue", 100), ("CustomizedMetricSpecification", custom))))));
        t.HasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", O(
            ("PolicyType", "StepScaling"),
            ("StepScalingPolicyConfiguration", Match.ObjectLike(O(("AdjustmentType", "ChangeInCapacity"))))));
        t.HasResourceProperties("AWS::CloudWatch::Alarm", O(
            ("MetricName", "MillisBehindNow"), ("Threshold", 10000), ("ComparisonOperator", "GreaterThanOrEqualToThreshold")));
        Assert.Equal(3, stacks.Defaults.Resources("AWS::ApplicationAutoScaling::ScalingPolicy").Count);
    }

    private static Dictionary<string, JsonElement> TaskRoleStatements(SynthesizedStack stack) =>
        stack.PolicyStatements().Where(s => s.Policy.StartsWith("WorkerTaskRole", StringComparison.Ordinal))
            .ToDictionary(s => s.Statement.GetProperty("Sid").GetString()!, s => s.Statement);

    private static List<string> Actions(JsonElement statement) =>
        SynthesizedStack.Many(statement, "Action").Select(a => a.GetString()!).Order().ToList();

    private static List<string> Resources(JsonElement statement) =>
        SynthesizedStack.Many(statement, "Resource").Select(r => r.ValueKind == JsonValueKind.String ? $"\"{r.GetString()}\"" : JsonSerializer.Serialize(r)).ToList();
}
