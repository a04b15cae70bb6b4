using Amazon.CDK.Assertions;
using static KvsInference.Cdk.Tests.Fleet.KvsInferenceStackTests;

namespace KvsInference.Cdk.Tests.Fleet;

[Collection(FleetStacksCollection.Name)]
public sealed class FleetMonitoringTests(FleetStacks stacks)
{
    [Fact]
    public void Alarms_Defaults_NoWorkersLatencyErrorRateKinesisFailuresBehind()
    {
        var t = stacks.Defaults.Template;
        t.HasResourceProperties("AWS::CloudWatch::Alarm", O(
            ("Namespace", "KvsInference"), ("MetricName", "WorkersSeen"), ("Statistic", "Maximum"),
            ("Dimensions", new object[] { O(("Name", "ServiceName"), ("Value", "kvs-inference")) }),
            ("ComparisonOperator", "LessThanThreshold"), ("Threshold", 1), ("TreatMissingData", "breaching")));
        t.HasResourceProperties("AWS::CloudWatch::Alarm", O(
            ("MetricName", "IngestToProcessLatencyMs"), ("ExtendedStatistic", "p99"), ("Threshold", 2000),
            ("ComparisonOperator", "GreaterThanThreshold")));
        t.HasResourceProperties("AWS::CloudWatch::Alarm", O(
            ("Metrics", Match.ArrayWith(new object[]
            {
                Match.ObjectLike(O(("Expression", "IF(frames > 0, 100 * errors / frames, IF(errors > 0, 100, 0))"))),
            })),
            ("Threshold", 5)));
        t.HasResourceProperties("AWS::CloudWatch::Alarm", O(
            ("MetricName", "RecordsFailed"), ("Statistic", "Sum"), ("Threshold", 0), ("ComparisonOperator", "GreaterThanThreshold")));
        t.HasResourceProperties("AWS::CloudWatch::Alarm", O(
            ("MetricName", "MillisBehindNow"), ("Threshold", 60000), ("ComparisonOperator", "GreaterThanThreshold")));
        // The five plus the step scaling policy's own alarm.
        t.ResourceCountIs("AWS::CloudWatch::Alarm", 6);
    }

    [Fact]
    public void Alarms_Defaults_NoTopicNoActions()
    {
        stacks.Defaults.Template.ResourceCountIs("AWS::SNS::Topic", 0);
        Assert.All(stacks.Defaults.FleetAlarms(), a => Assert.False(a.Value.GetProperty("Properties").TryGetProperty("AlarmActions", out _)));
    }

    [Fact]
    public void Alarms_AlarmEmail_TopicSubscriptionAndActions()
    {
        var t = stacks.Created.Template;
        t.ResourceCountIs("AWS::SNS::Topic", 1);
        t.HasResourceProperties("AWS::SNS::Subscription", O(("Protocol", "email"), ("Endpoint", "oncall@example.com")));
        var alarms = stacks.Created.FleetAlarms();
        Assert.Equal(5, alarms.Count);
        Assert.All(alarms, a =>
        {
            var props = a.Value.GetProperty("Properties");
            Assert.Contains("AlarmTopic", props.GetProperty("AlarmActions")[0].GetRawText());
            Assert.Contains("AlarmTopic", props.GetProperty("OKActions")[0].GetRawText());
        });
    }

    [Fact]
    public void Dashboard_Defaults_WorkerMetricsAndPerWorkerSearch()
    {
        stacks.Defaults.Template.ResourceCountIs("AWS::CloudWatch::Dashboard", 1);
        stacks.Defaults.Template.HasResourceProperties("AWS::CloudWatch::Dashboard", O(
            ("DashboardName", O(("Fn::Join", new object[] { "-", new object[] { "kvs-inference", O(("Ref", "AWS::Region")) } })))));
        stacks.Existing.Template.HasResourceProperties("AWS::CloudWatch::Dashboard", O(("DashboardName", "kvsi-existing-eu-west-1")));
        var body = stacks.Defaults.Single("AWS::CloudWatch::Dashboard").GetProperty("Properties").GetProperty("DashboardBody").GetRawText();
        foreach (var metric in new[]
        {
            "FramesReceived", "FramesProcessed", "FramesDropped", "IngestToProcessLatencyMs", "MillisBehindNow", "LeasesTotal",
            "WorkersSeen", "InferenceLatencyMs", "BatchSize", "RecordsWritten", "RecordsFailed", "CPUUtilization", "IncomingRecords",
        })
        {
            Assert.Contains($"\\\"{metric}\\\"", body);
        }
        Assert.Contains("SEARCH('{KvsInference,ServiceName,WorkerId} MetricName=\\\\\\\"LeasesHeld\\\\\\\"", body);
        Assert.Contains("SEARCH('{KvsInference,ServiceName,ErrorKind} MetricName=\\\\\\\"Errors\\\\\\\"", body);
        Assert.DoesNotContain("AWS/SageMaker", body);
        var created = stacks.Created.Single("AWS::CloudWatch::Dashboard").GetProperty("Properties").GetProperty("DashboardBody").GetRawText();
        Assert.Contains("AWS/SageMaker", created);
    }
}

internal static class MonitoringQueries
{
    /// <summary>The five fleet alarms (not the autoscaling policy's own alarm).</summary>
    public static IReadOnlyDictionary<string, System.Text.Json.JsonElement> FleetAlarms(this SynthesizedStack stack) =>
        stack.Resources("AWS::CloudWatch::Alarm").Where(a => a.Key.StartsWith("Monitoring", StringComparison.Ordinal))
            .ToDictionary(a => a.Key, a => a.Value);
}
