using KvsInference.Kvs;
using static KvsInference.Tests.Configuration.ConfigurationTestData;

namespace KvsInference.Tests.Configuration;

public sealed class WorkerConfigurationTests
{
    [Fact]
    public void Bind_Nothing_LocalModeWithTheDefaultsAndNoErrors()
    {
        var config = Bind(aws: false);

        Assert.Empty(config.Errors);
        Assert.True(config.Local);
        Assert.Equal("local", config.MeetingMode);
        Assert.Equal("avatar-demo-", config.Pipeline.Discovery.NamePrefix);
        Assert.Equal(TimeSpan.FromMilliseconds(200), config.Pipeline.Processing.WindowDuration);
        Assert.Equal("out/records.jsonl", config.Worker.Sink.File);
    }

    [Fact]
    public void Bind_CoreOptionsByPropertyName_BoundIntoCoresOptions()
    {
        var config = Bind(aws: true,
            ("KVSI:Discovery:StreamNames:0", "a"), ("KVSI:Discovery:StreamNames:1", "b"), ("KVSI:Discovery:TagFilters:team", "avatar"),
            ("KVSI:Processing:WindowDuration", "00:00:00.1"), ("KVSI:Processing:InitialPosition", "Earliest"),
            ("KVSI:Leases:FailoverTime", "00:00:03"), ("KVSI:Leases:WorkerId", "w1"), ("KVSI:Batching:MaxWait", "00:00:00.005"),
            ("KVSI:LeaseTable:TableName", "leases"), ("KVSI:KinesisSink:StreamName", "records"), ("KVSI:KinesisSink:MaxRecordsPerKeyPerCall", "4"));

        Assert.Empty(config.Errors);
        Assert.False(config.Local);
        Assert.Equal(["a", "b"], config.Pipeline.Discovery.StreamNames);
        Assert.Equal("avatar", config.Pipeline.Discovery.TagFilters["team"]);
        Assert.Equal(TimeSpan.FromMilliseconds(100), config.Pipeline.Processing.WindowDuration);
        Assert.Equal(KvsStartSelectorType.Earliest, config.Pipeline.Processing.InitialPosition);
        Assert.Equal(TimeSpan.FromSeconds(3), config.Pipeline.Leases.FailoverTime);
        Assert.Equal("w1", config.Pipeline.Leases.WorkerId);
        Assert.Equal(TimeSpan.FromMilliseconds(5), config.Pipeline.Batching.MaxWait);
        Assert.Equal("leases", config.Worker.LeaseTable.TableName);
        Assert.Equal(4, config.Worker.KinesisSink.MaxRecordsPerKeyPerCall);
    }

    [Fact]
    public void Bind_ListsAsText_SplitIntoTheListAndTheMap()
    {
        var config = Bind(aws: true, ("KVSI:Discovery:StreamNames", "a, b;c"), ("KVSI:Discovery:TagFilters", "env=prod;aws:team=avatar"));

        Assert.Empty(config.Errors);
        Assert.Equal(["a", "b", "c"], config.Pipeline.Discovery.StreamNames);
        Assert.Equal("prod", config.Pipeline.Discovery.TagFilters["env"]);
        Assert.Equal("avatar", config.Pipeline.Discovery.TagFilters["aws:team"]);
    }

    [Fact]
    public void Bind_AwsModeWithoutStreams_NamesTheDiscoveryKey()
    {
        var config = Bind(aws: true);

        Assert.False(config.Local);
        Assert.Contains(config.Errors, e => e.StartsWith("KVSI:Discovery:StreamNames: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Bind_BadValues_EveryProblemNamedByItsFullKey()
    {
        var config = Bind(aws: false,
            ("KVSI:Processing:WindowDuration", "00:00:00.001"), ("KVSI:Batching:MaxConcurrentBatches", "0"), ("KVSI:Processing:MaxPendingWindows", "many"),
            ("KVSI:Metrics:Port", "70000"), ("KVSI:Avatar:FrameRate", "7"), ("KVSI:Avatar:Rtmp", "http://x/"), ("KVSI:DurationSeconds", "-1"),
            ("KVSI:Inference:ContentType", "audio/wav"), ("KVSI:Discovery:TagFilters", "novalue"));

        Assert.Contains(config.Errors, e => e.StartsWith("KVSI:Processing:WindowDuration: ", StringComparison.Ordinal));
        Assert.Contains(config.Errors, e => e.StartsWith("KVSI:Batching:MaxConcurrentBatches: ", StringComparison.Ordinal));
        Assert.Contains(config.Errors, e => e.StartsWith("KVSI:Processing:MaxPendingWindows: ", StringComparison.Ordinal) && e.Contains("'many'", StringComparison.Ordinal));
        Assert.Contains(config.Errors, e => e.StartsWith("KVSI:Metrics:Port: ", StringComparison.Ordinal));
        Assert.Contains(config.Errors, e => e.StartsWith("KVSI:Avatar:FrameRate: ", StringComparison.Ordinal));
        Assert.Contains(config.Errors, e => e.StartsWith("KVSI:Avatar:Rtmp: 'http://x/' is not an rtmp:// or rtmps:// URL.", StringComparison.Ordinal));
        Assert.Contains(config.Errors, e => e.StartsWith("KVSI:DurationSeconds: ", StringComparison.Ordinal));
        Assert.Contains(config.Errors, e => e.StartsWith("KVSI:Inference:ContentType: ", StringComparison.Ordinal));
        Assert.Contains(config.Errors, e => e.StartsWith("KVSI:Discovery:TagFilters: 'novalue' is not key=value.", StringComparison.Ordinal));
    }

    [Fact]
    public void Bind_TimestampStartWithoutTimestamp_NamesTheKey()
    {
        var config = Bind(aws: true, ("KVSI:Discovery:NamePrefix", "s-"), ("KVSI:Processing:InitialPosition", "ServerTimestamp"));

        Assert.Contains(config.Errors, e => e.StartsWith("KVSI:Processing:InitialTimestamp: ", StringComparison.Ordinal));
    }

    [Fact]
    public void MeetingMode_Unset_LocalInLocalModeOffInAwsMode()
    {
        Assert.Equal("local", Bind(aws: false).MeetingMode);
        Assert.Equal("off", Bind(aws: true, ("KVSI:Discovery:NamePrefix", "s-")).MeetingMode);
    }

    [Fact]
    public void Bind_AwsMeetingWithoutRecordsStreamOrOutsideThePrefix_NamesTheKeys()
    {
        var config = Bind(aws: true, ("KVSI:Meeting:Mode", "aws"), ("KVSI:Discovery:NamePrefix", "meeting-"), ("KVSI:Meeting:StreamPrefix", "room-"), ("KVSI:Meeting:SignedUrlSeconds", "600"));

        Assert.Contains(config.Errors, e => e.StartsWith("KVSI:Meeting:Mode: aws needs KVSI:KinesisSink:StreamName", StringComparison.Ordinal));
        Assert.Contains(config.Errors, e => e.StartsWith("KVSI:Meeting:StreamPrefix: 'room-' must start with KVSI:Discovery:NamePrefix 'meeting-'", StringComparison.Ordinal));
        Assert.Contains(config.Errors, e => e.StartsWith("KVSI:Meeting:SignedUrlSeconds: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Bind_AwsMeetingComplete_NoErrorsAndPrefixFromDiscovery()
    {
        var config = Bind(aws: true, ("KVSI:Meeting:Mode", "AWS"), ("KVSI:Discovery:NamePrefix", "meeting-"), ("KVSI:KinesisSink:StreamName", "records"));

        Assert.Empty(config.Errors);
        Assert.Equal("meeting-", config.MeetingStreamPrefix);
    }

    [Fact]
    public void Bind_MeetingModeAgainstTheSystem_Refused()
    {
        Assert.Contains(Bind(aws: false, ("KVSI:Meeting:Mode", "aws")).Errors, e => e.Contains("needs AWS mode", StringComparison.Ordinal));
        Assert.Contains(Bind(aws: true, ("KVSI:Meeting:Mode", "local"), ("KVSI:Discovery:NamePrefix", "m-")).Errors, e => e.Contains("embedded local system", StringComparison.Ordinal));
        Assert.Contains(Bind(aws: false, ("KVSI:Meeting:Mode", "cloud")).Errors, e => e.Contains("'cloud' is not local, aws or off", StringComparison.Ordinal));
    }

    [Fact]
    public void Bind_MeetingIdleTimeoutOutOfRange_NamesTheKey()
    {
        Assert.Contains(Bind(aws: false, ("KVSI:Meeting:IdleTimeoutSeconds", "0")).Errors, e => e.StartsWith("KVSI:Meeting:IdleTimeoutSeconds: ", StringComparison.Ordinal));
        Assert.DoesNotContain(Bind(aws: false, ("KVSI:Meeting:IdleTimeoutSeconds", "60")).Errors, e => e.StartsWith("KVSI:Meeting:IdleTimeoutSeconds", StringComparison.Ordinal));
    }

    [Fact]
    public void LowLatencyStreamPrefix_MeetingsOn_TheMeetingsStreams()
    {
        Assert.Equal("avatar-demo-meeting-", Bind(aws: false).Pipeline.Processing.LowLatencyStreamPrefix);
        Assert.Equal("meeting-", Bind(aws: true, ("KVSI:Meeting:Mode", "aws"), ("KVSI:Discovery:NamePrefix", "meeting-"), ("KVSI:KinesisSink:StreamName", "records"))
            .Pipeline.Processing.LowLatencyStreamPrefix);
    }

    [Fact]
    public void LowLatencyStreamPrefix_MeetingsOff_NoStreamUnlessConfigured()
    {
        Assert.Null(Bind(aws: true, ("KVSI:Discovery:NamePrefix", "s-")).Pipeline.Processing.LowLatencyStreamPrefix);
        Assert.Null(Bind(aws: false, ("KVSI:Meeting:Mode", "off")).Pipeline.Processing.LowLatencyStreamPrefix);
        Assert.Equal("live-", Bind(aws: true, ("KVSI:Discovery:NamePrefix", "s-"), ("KVSI:Processing:LowLatencyStreamPrefix", "live-")).Pipeline.Processing.LowLatencyStreamPrefix);
    }
}
