using Amazon.CDK;
using Amazon.CDK.AWS.CloudWatch;
using Amazon.CDK.AWS.CloudWatch.Actions;
using Amazon.CDK.AWS.SNS;
using Constructs;
using KvsInference.Cdk.Configuration;
using M = KvsInference.Cdk.Fleet.WorkerContract.Metrics;

namespace KvsInference.Cdk.Fleet;

/// <summary>
/// The CloudWatch dashboard (KIT's set: frames, IngestToProcessLatency, leases total and per worker, workers;
/// plus errors, batch size, MillisBehindNow, records, the service and the endpoint) and the alarms:
/// no workers, latency, error rate, Kinesis write failures, falling behind.
/// </summary>
public sealed class FleetMonitoring : Construct
{
    private static readonly Duration Period = Duration.Minutes(1);

    /// <summary>Creates the dashboard and alarms; alarms notify <paramref name="topic"/> when given.</summary>
    /// <param name="scope">The stack.</param>
    /// <param name="id">Construct id.</param>
    /// <param name="settings">Validated parameters.</param>
    /// <param name="worker">The worker service.</param>
    /// <param name="outputStream">The record stream.</param>
    /// <param name="endpoint">The created SageMaker endpoint, if any.</param>
    /// <param name="topic">The alarm topic, if any.</param>
    public FleetMonitoring(Construct scope, string id, FleetSettings settings, WorkerService worker,
        Amazon.CDK.AWS.Kinesis.Stream outputStream, InferenceEndpoint? endpoint, ITopic? topic)
        : base(scope, id)
    {
        Metric W(string name, string stat, string? label = null) => WorkerMetric(settings, name, stat, label);
        var service = settings.ServiceName;

        NoWorkersAlarm = new Alarm(this, "NoWorkers", new AlarmProps
        {
            AlarmDescription = "No KvsInference worker has reported for 3 minutes: streams are not being processed.",
            Metric = W(M.WorkersSeen, Stats.MAXIMUM),
            ComparisonOperator = ComparisonOperator.LESS_THAN_THRESHOLD,
            Threshold = 1,
            EvaluationPeriods = 3,
            // Silence is the symptom: a fleet with no running worker emits nothing.
            TreatMissingData = TreatMissingData.BREACHING,
        });
        LatencyAlarm = new Alarm(this, "Latency", new AlarmProps
        {
            AlarmDescription = $"p99 ingest-to-process latency above {settings.LatencyAlarmMs} ms for 3 minutes.",
            Metric = W(M.IngestToProcessLatencyMs, Stats.Percentile(99)),
            ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
            Threshold = settings.LatencyAlarmMs,
            EvaluationPeriods = 3,
            TreatMissingData = TreatMissingData.NOT_BREACHING,
        });
        ErrorRateAlarm = new Alarm(this, "ErrorRate", new AlarmProps
        {
            AlarmDescription = $"More than {settings.ErrorRateAlarmPercent}% errors per frame received for 3 minutes.",
            Metric = new MathExpression(new MathExpressionProps
            {
                // Errors with no frames at all (e.g. every GetMedia failing) count as 100 %.
                Expression = "IF(frames > 0, 100 * errors / frames, IF(errors > 0, 100, 0))",
                UsingMetrics = new Dictionary<string, IMetric>
                {
                    ["errors"] = W(M.Errors, Stats.SUM),
                    ["frames"] = W(M.FramesReceived, Stats.SUM),
                },
                Label = "Errors per 100 frames",
                Period = Period,
            }),
            ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
            Threshold = settings.ErrorRateAlarmPercent,
            EvaluationPeriods = 3,
            TreatMissingData = TreatMissingData.NOT_BREACHING,
        });
        KinesisWriteFailuresAlarm = new Alarm(this, "KinesisWriteFailures", new AlarmProps
        {
            AlarmDescription = "Kinesis refused inference records (after retries) in 3 consecutive minutes.",
            Metric = W(M.RecordsFailed, Stats.SUM),
            ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
            Threshold = 0,
            EvaluationPeriods = 3,
            TreatMissingData = TreatMissingData.NOT_BREACHING,
        });
        BehindAlarm = new Alarm(this, "FallingBehind", new AlarmProps
        {
            AlarmDescription = $"A stream is more than {settings.ScaleOutBehindMs * 6} ms behind its live edge for 5 minutes.",
            Metric = W(M.MillisBehindNow, Stats.MAXIMUM),
            ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
            Threshold = settings.ScaleOutBehindMs * 6,
            EvaluationPeriods = 5,
            TreatMissingData = TreatMissingData.NOT_BREACHING,
        });
        Alarms = [NoWorkersAlarm, LatencyAlarm, ErrorRateAlarm, KinesisWriteFailuresAlarm, BehindAlarm];
        if (topic is not null)
        {
            var action = new SnsAction(topic);
            foreach (var alarm in Alarms)
            {
                alarm.AddAlarmAction(action);
                alarm.AddOkAction(action);
            }
        }

        Dashboard = new Dashboard(this, "Dashboard", new DashboardProps
        {
            // Dashboard names are account-wide (their ARNs have no region): suffix the region.
            DashboardName = Fn.Join("-", [service, Stack.Of(this).Region]),
            DefaultInterval = Duration.Hours(3),
        });
        string Search(string dimensions, string metricName, string stat) =>
            $"SEARCH('{{{FleetConstants.MetricNamespace},{dimensions}}} MetricName=\"{metricName}\" ServiceName=\"{service}\"', '{stat}', 60)";
        Dashboard.AddWidgets(
            new TextWidget(new TextWidgetProps
            {
                Markdown = $"# {service}\nKVS audio -> visemes -> Kinesis. Metrics: namespace `{FleetConstants.MetricNamespace}`, dimension `ServiceName={service}`.",
                Width = 24,
                Height = 2,
            }));
        Dashboard.AddWidgets(
            new AlarmStatusWidget(new AlarmStatusWidgetProps { Title = "Alarms", Alarms = Alarms.ToArray(), Width = 24, Height = 3 }));
        Dashboard.AddWidgets(
            Graph("Frames per minute", [W(M.FramesReceived, Stats.SUM, "received"), W(M.FramesProcessed, Stats.SUM, "processed"), W(M.FramesDropped, Stats.SUM, "dropped")]),
            Graph("IngestToProcessLatency (ms)", [W(M.IngestToProcessLatencyMs, Stats.Percentile(50), "p50"), W(M.IngestToProcessLatencyMs, Stats.Percentile(90), "p90"), W(M.IngestToProcessLatencyMs, Stats.Percentile(99), "p99")]),
            Graph("MillisBehindNow (max)", [W(M.MillisBehindNow, Stats.MAXIMUM, "behind")]));
        Dashboard.AddWidgets(
            Graph("Leases and workers", [W(M.LeasesTotal, Stats.MAXIMUM, "leases total"), W(M.WorkersSeen, Stats.MAXIMUM, "workers")]),
            Graph("Leases per worker", [new MathExpression(new MathExpressionProps
            {
                Expression = Search($"{WorkerContract.ServiceNameDimension},{WorkerContract.WorkerIdDimension}", M.LeasesHeld, "Maximum"),
                UsingMetrics = new Dictionary<string, IMetric>(),
                Label = "",
                Period = Period,
            })]),
            Graph("Errors by kind", [new MathExpression(new MathExpressionProps
            {
                Expression = Search($"{WorkerContract.ServiceNameDimension},{WorkerContract.ErrorKindDimension}", M.Errors, "Sum"),
                UsingMetrics = new Dictionary<string, IMetric>(),
                Label = "",
                Period = Period,
            })]));
        Dashboard.AddWidgets(
            Graph("Inference latency (ms)", [W(M.InferenceLatencyMs, Stats.Percentile(50), "p50"), W(M.InferenceLatencyMs, Stats.Percentile(99), "p99")]),
            Graph("Batch size (windows)", [W(M.BatchSize, Stats.AVERAGE, "average"), W(M.BatchSize, Stats.MAXIMUM, "max")]),
            Graph("Records per minute", [W(M.RecordsWritten, Stats.SUM, "written"), W(M.RecordsFailed, Stats.SUM, "failed")]));
        var platform = new List<IWidget>
        {
            Graph("Worker service CPU / memory (%)", [worker.Service.MetricCpuUtilization(), worker.Service.MetricMemoryUtilization()]),
            Graph("Output stream", [
                outputStream.MetricIncomingRecords(new MetricOptions { Statistic = Stats.SUM, Period = Period }),
                outputStream.MetricWriteProvisionedThroughputExceeded(new MetricOptions { Statistic = Stats.SUM, Period = Period }),
            ]),
        };
        if (endpoint is not null)
        {
            Metric Sm(string name, string stat) => new(new MetricProps
            {
                Namespace = "AWS/SageMaker",
                MetricName = name,
                DimensionsMap = new Dictionary<string, string> { ["EndpointName"] = endpoint.EndpointName, ["VariantName"] = InferenceEndpoint.VariantName },
                Statistic = stat,
                Period = Period,
            });
            platform.Add(Graph("SageMaker endpoint", [Sm("Invocations", Stats.SUM), Sm("ModelLatency", Stats.Percentile(99))]));
        }
        Dashboard.AddWidgets([.. platform]);

        DashboardUrl = Fn.Join("", ["https://", Aws.REGION, ".console.aws.amazon.com/cloudwatch/home?region=", Aws.REGION, "#dashboards:name=", Dashboard.DashboardName]);
    }

    /// <summary>Gets the dashboard.</summary>
    /// <value>Set by the constructor; named <c>{serviceName}-{region}</c>.</value>
    public Dashboard Dashboard { get; }

    /// <summary>Gets the console URL of the dashboard.</summary>
    /// <value>Set by the constructor.</value>
    public string DashboardUrl { get; }

    /// <summary>Gets the alarm raised when no worker reports.</summary>
    /// <value>Set by the constructor.</value>
    public Alarm NoWorkersAlarm { get; }

    /// <summary>Gets the ingest-to-process latency alarm.</summary>
    /// <value>Set by the constructor.</value>
    public Alarm LatencyAlarm { get; }

    /// <summary>Gets the error-rate alarm.</summary>
    /// <value>Set by the constructor.</value>
    public Alarm ErrorRateAlarm { get; }

    /// <summary>Gets the Kinesis write failure alarm.</summary>
    /// <value>Set by the constructor.</value>
    public Alarm KinesisWriteFailuresAlarm { get; }

    /// <summary>Gets the falling-behind alarm.</summary>
    /// <value>Set by the constructor.</value>
    public Alarm BehindAlarm { get; }

    /// <summary>Gets every alarm.</summary>
    /// <value>Set by the constructor.</value>
    public IReadOnlyList<Alarm> Alarms { get; }

    /// <summary>A one-minute worker metric in the KvsInference namespace with the service's dimension.</summary>
    /// <param name="settings">Parameters (the service name).</param>
    /// <param name="metricName">A name from <see cref="WorkerContract.Metrics"/>.</param>
    /// <param name="statistic">The statistic, e.g. <c>Maximum</c> or <c>p99</c>.</param>
    /// <param name="label">The graph label, or null for the metric name.</param>
    /// <returns>The metric.</returns>
    public static Metric WorkerMetric(FleetSettings settings, string metricName, string statistic, string? label = null) =>
        new(new MetricProps
        {
            Namespace = FleetConstants.MetricNamespace,
            MetricName = metricName,
            DimensionsMap = new Dictionary<string, string> { [WorkerContract.ServiceNameDimension] = settings.ServiceName },
            Statistic = statistic,
            Period = Period,
            Label = label,
        });

    private static GraphWidget Graph(string title, IMetric[] left) =>
        new(new GraphWidgetProps { Title = title, Left = left, Width = 8, Height = 6 });
}
