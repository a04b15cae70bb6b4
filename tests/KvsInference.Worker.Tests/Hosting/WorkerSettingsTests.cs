using KvsInference.Worker.Hosting;
using Microsoft.Extensions.Configuration;

namespace KvsInference.Tests.Hosting;

public sealed class WorkerSettingsTests
{
    private static WorkerSettings Bind(params (string Key, string Value)[] values) =>
        WorkerSettings.Bind(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build());

    [Fact]
    public void MeetingMode_Unset_LocalInLocalModeOffInAwsMode()
    {
        var settings = Bind();

        Assert.Equal("local", settings.MeetingMode(local: true));
        Assert.Equal("off", settings.MeetingMode(local: false));
    }

    [Fact]
    public void Validate_AwsMeetingWithoutRecordsStreamOrOutsideThePrefix_NamesTheKeys()
    {
        var settings = Bind(("KVSI:Meeting:Mode", "aws"), ("KVSI:Streams:Prefix", "meeting-"), ("KVSI:Meeting:StreamPrefix", "room-"), ("KVSI:Meeting:SignedUrlSeconds", "600"));

        var errors = settings.Validate(local: false);

        Assert.Contains(errors, e => e.StartsWith("KVSI:Meeting:Mode aws needs KVSI:Sink:KinesisStreamName", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("KVSI:Meeting:StreamPrefix 'room-' must start with KVSI:Streams:Prefix 'meeting-'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("KVSI:Meeting:SignedUrlSeconds", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_AwsMeetingComplete_NoErrorsAndPrefixFromStreams()
    {
        var settings = Bind(("KVSI:Meeting:Mode", "AWS"), ("KVSI:Streams:Prefix", "meeting-"), ("KVSI:Sink:KinesisStreamName", "records"));

        Assert.Empty(settings.Validate(local: false));
        Assert.Equal("meeting-", settings.MeetingStreamPrefix);
    }

    [Fact]
    public void Validate_ModeAgainstTheSystem_Refused()
    {
        Assert.Contains(Bind(("KVSI:Meeting:Mode", "aws")).Validate(local: true), e => e.Contains("needs AWS mode", StringComparison.Ordinal));
        Assert.Contains(Bind(("KVSI:Meeting:Mode", "local"), ("KVSI:Streams:Prefix", "m-")).Validate(local: false), e => e.Contains("embedded local system", StringComparison.Ordinal));
        Assert.Contains(Bind(("KVSI:Meeting:Mode", "cloud")).Validate(local: true), e => e.Contains("'cloud' is not local, aws or off", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_MeetingIdleTimeoutOutOfRange_NamesTheKey()
    {
        Assert.Contains(Bind(("KVSI:Meeting:IdleTimeoutSeconds", "0")).Validate(local: true), e => e.StartsWith("KVSI:Meeting:IdleTimeoutSeconds", StringComparison.Ordinal));
        Assert.DoesNotContain(Bind(("KVSI:Meeting:IdleTimeoutSeconds", "60")).Validate(local: true), e => e.StartsWith("KVSI:Meeting:IdleTimeoutSeconds", StringComparison.Ordinal));
    }
}
