using KvsInference.Worker.Hosting;
using Microsoft.Extensions.Configuration;

namespace KvsInference.Tests.Hosting;

public sealed class WorkerHostTests
{
    private static WorkerSettings Bind(params (string Key, string Value)[] values) =>
        WorkerSettings.Bind(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build());

    [Fact]
    public void LowLatencyStreamPrefix_MeetingsOn_TheMeetingsStreams()
    {
        Assert.Equal("avatar-demo-meeting-", WorkerHost.LowLatencyStreamPrefix(Bind(), local: true));
        Assert.Equal("meeting-", WorkerHost.LowLatencyStreamPrefix(
            Bind(("KVSI:Meeting:Mode", "aws"), ("KVSI:Streams:Prefix", "meeting-"), ("KVSI:Sink:KinesisStreamName", "records")), local: false));
    }

    [Fact]
    public void LowLatencyStreamPrefix_MeetingsOff_NoStreamUnlessConfigured()
    {
        Assert.Null(WorkerHost.LowLatencyStreamPrefix(Bind(), local: false));
        Assert.Null(WorkerHost.LowLatencyStreamPrefix(Bind(("KVSI:Meeting:Mode", "off")), local: true));
        Assert.Equal("live-", WorkerHost.LowLatencyStreamPrefix(Bind(("KVSI:Processing:LowLatencyStreamPrefix", "live-")), local: false));
    }
}
