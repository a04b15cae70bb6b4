using System.Text;
using Amazon.Runtime;
using KvsInference.Aws;
using KvsInference.Aws.Generated.Kinesis;
using KvsInference.Aws.Kinesis;
using KvsInference.Inference;
using KvsInference.Meeting;
using KvsInference.Sinks;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Meeting;

/// <summary>The AWS-mode records feed of the meeting page, against kinesalite (the npm Kinesis emulator).</summary>
public sealed class KinesisRecordReaderTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static InferenceRecord Record(string stream, string fragment) => new()
    {
        StreamName = stream, FragmentNumber = fragment, ProducerTimestamp = 1700000000000, StartOffsetMs = 0, FrameRate = 60,
        Frames = [new VisemeFrame(0.1f, 0, 0, 0, 0, 0.4f, 0)], Model = "test", RecordId = InferenceRecord.MakeRecordId(stream, fragment, 0),
    };

    [Fact]
    public async Task Reader_RecordsWrittenByTheSink_ReachWatchersOfTheirStreamFromLatestOn()
    {
        using var kinesis = new AmazonKinesisClient(new KinesisClientOptions
        {
            Region = "us-east-1",
            ServiceUrl = new Uri(Emulators.KinesisUrl),
            Credentials = new BasicAWSCredentials("AKIDEXAMPLE", "secret"),
            Resilience = new AwsResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(20), TotalTimeout = TimeSpan.FromSeconds(30) },
        });
        var name = "kvsi-reader-" + Guid.NewGuid().ToString("N")[..12];
        await kinesis.CreateStreamAsync(new CreateStreamRequest { StreamName = name, ShardCount = 2 }, CancellationToken.None);
        await kinesis.WaitForStreamActiveAsync(name, TimeSpan.FromSeconds(10), CancellationToken.None);
        var sink = new KinesisRecordSink(kinesis, new KinesisRecordSinkOptions { StreamName = name });
        await sink.WriteAsync([Record("meeting-a", "1")], CancellationToken.None); // before the reader: not live, not shown

        var broadcaster = new RecordBroadcaster();
        using var watching = broadcaster.Subscribe("meeting-a");
        var reader = new KinesisRecordReader(kinesis, new KinesisRecordReaderOptions { StreamName = name, PollInterval = TimeSpan.FromMilliseconds(200) }, broadcaster);
        await reader.StartAsync(CancellationToken.None);
        try
        {
            var deadline = DateTime.UtcNow + Patience;
            while (reader.ShardsRead < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, "the reader did not open both shards");
                await Task.Delay(50);
            }
            await sink.WriteAsync([Record("meeting-a", "2"), Record("meeting-b", "3"), Record("meeting-a", "4")], CancellationToken.None);
            await kinesis.PutRecordsAsync(new PutRecordsRequest
            {
                StreamName = name,
                Records = [new PutRecordsRequestEntry { Data = Encoding.UTF8.GetBytes("not a record"), PartitionKey = "x" }],
            }, CancellationToken.None);

            using var timeout = new CancellationTokenSource(Patience);
            var first = await watching.Reader.ReadAsync(timeout.Token);
            var second = await watching.Reader.ReadAsync(timeout.Token);
            Assert.Equal(["meeting-a/2/0", "meeting-a/4/0"], new[] { first.RecordId, second.RecordId });
            Assert.Equal(0.4f, first.Frames[0].JawOpen);
            while (reader.SkippedRecords < 1 || reader.PublishedRecords < 3)
            {
                await Task.Delay(50, timeout.Token);
            }
            Assert.False(watching.Reader.TryRead(out var extra), $"unexpected record {extra?.RecordId}");
        }
        finally
        {
            await reader.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void Options_NoStream_ValidationNamesIt()
    {
        var e = Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new KinesisRecordReaderOptions().Validate());
        Assert.Contains("StreamName", e.Message);
    }
}
