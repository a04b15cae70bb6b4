namespace KvsInference.Cdk.Fleet;

/// <summary>
/// The names the stack shares with the worker (src/KvsInference.Worker): the configuration it passes as
/// environment variables (.NET configuration, <c>__</c> = section separator; every key is in docs/operating.md's
/// settings table, checked by the tests) and the EMF metrics it reads back.
/// </summary>
public static class WorkerContract
{
    /// <summary>KVS stream names to consume: a list, one variable per name (<c>KVSI__Discovery__StreamNames__0</c>, <c>__1</c>, ...).</summary>
    public const string StreamNames = "KVSI__Discovery__StreamNames";

    /// <summary>KVS stream name prefix to consume (ListStreams StreamNameCondition BEGINS_WITH).</summary>
    public const string StreamPrefix = "KVSI__Discovery__NamePrefix";

    /// <summary>Tags a stream must carry, <c>k=v;k2=v2</c> (the map's text form: tag keys may hold a colon, which a variable name per key could not).</summary>
    public const string StreamTagFilters = "KVSI__Discovery__TagFilters";

    /// <summary>DynamoDB lease table name.</summary>
    public const string LeaseTableName = "KVSI__LeaseTable__TableName";

    /// <summary>Kinesis Data Stream receiving inference records.</summary>
    public const string SinkStreamName = "KVSI__KinesisSink__StreamName";

    /// <summary>SageMaker endpoint name; absent means the in-process model.</summary>
    public const string SageMakerEndpoint = "KVSI__Inference__SageMakerEndpoint";

    /// <summary>Content type of inference requests.</summary>
    public const string InferenceContentType = "KVSI__Inference__ContentType";

    /// <summary>The <c>ServiceName</c> dimension of every metric the worker emits.</summary>
    public const string MetricsServiceName = "KVSI__Metrics__ServiceName";

    /// <summary>The CloudWatch namespace of the worker's EMF metrics.</summary>
    public const string MetricsNamespace = "KVSI__Metrics__Namespace";

    /// <summary>The variable of the <paramref name="index"/>th name of the list <paramref name="list"/> (e.g. <see cref="StreamNames"/>).</summary>
    /// <param name="list">The list's variable.</param>
    /// <param name="index">The position in the list, from 0.</param>
    /// <returns>The variable's name.</returns>
    public static string ListItem(string list, int index) => $"{list}__{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>The AWS region (also set by Fargate; explicit for clarity).</summary>
    public const string Region = "AWS_REGION";

    /// <summary>The command line argument that starts the SageMaker model server (port 8080).</summary>
    public const string ServeArgument = "serve";

    /// <summary>Metric dimension naming the service (value: the stack's service name).</summary>
    public const string ServiceNameDimension = "ServiceName";

    /// <summary>Metric dimension naming one worker (for per-worker lease counts).</summary>
    public const string WorkerIdDimension = "WorkerId";

    /// <summary>Metric dimension naming the kind of an error.</summary>
    public const string ErrorKindDimension = "ErrorKind";

    /// <summary>The EMF metric names the worker emits in <see cref="Configuration.FleetConstants.MetricNamespace"/>.</summary>
    public static class Metrics
    {
        /// <summary>Audio frames read from KVS (Count).</summary>
        public const string FramesReceived = "FramesReceived";

        /// <summary>Audio frames whose inference records were acknowledged (Count).</summary>
        public const string FramesProcessed = "FramesProcessed";

        /// <summary>Audio frames dropped (skip-ahead, undecodable) (Count).</summary>
        public const string FramesDropped = "FramesDropped";

        /// <summary>Inference call duration (Milliseconds).</summary>
        public const string InferenceLatencyMs = "InferenceLatencyMs";

        /// <summary>Windows per inference request (Count).</summary>
        public const string BatchSize = "BatchSize";

        /// <summary>Frame arrival at the worker to record acknowledged (Milliseconds).</summary>
        public const string IngestToProcessLatencyMs = "IngestToProcessLatencyMs";

        /// <summary>How far a stream's processing is behind its live edge (Milliseconds).</summary>
        public const string MillisBehindNow = "MillisBehindNow";

        /// <summary>Leases a worker holds (dimensions ServiceName, WorkerId).</summary>
        public const string LeasesHeld = "LeasesHeld";

        /// <summary>Leases in the table, seen by a worker (Count).</summary>
        public const string LeasesTotal = "LeasesTotal";

        /// <summary>Live workers seen in the lease table (Count).</summary>
        public const string WorkersSeen = "WorkersSeen";

        /// <summary>Inference records acknowledged by Kinesis (Count).</summary>
        public const string RecordsWritten = "RecordsWritten";

        /// <summary>Inference records Kinesis refused after retries (Count).</summary>
        public const string RecordsFailed = "RecordsFailed";

        /// <summary>Errors, emitted with {ServiceName} and with {ServiceName, ErrorKind} (Count).</summary>
        public const string Errors = "Errors";
    }
}
