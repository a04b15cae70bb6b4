using KvsInference.Kvs;
using KvsInference.Worker.Configuration;
using Microsoft.Extensions.Configuration;
using static KvsInference.Tests.Configuration.ConfigurationTestData;

namespace KvsInference.Tests.Configuration;

public sealed class KeyAliasSourceTests
{
    /// <summary>One case per alias of <see cref="ConfigurationAliases.All"/>: an old value and what the new key then holds.</summary>
    public static TheoryData<string, string, string, string> Aliases => new()
    {
        { "KVSI:Streams:Names", "a,b", "KVSI:Discovery:StreamNames", "a,b" },
        { "KVSI:Streams:Prefix", "room-", "KVSI:Discovery:NamePrefix", "room-" },
        { "KVSI:Streams:TagFilters", "env=prod", "KVSI:Discovery:TagFilters", "env=prod" },
        { "KVSI:Streams:RefreshSeconds", "90", "KVSI:Discovery:RefreshPeriod", "00:01:30" },
        { "KVSI:Streams:InitialPosition", "SERVER_TIMESTAMP", "KVSI:Processing:InitialPosition", "ServerTimestamp" },
        { "KVSI:Streams:InitialTimestamp", "2026-01-02T03:04:05Z", "KVSI:Processing:InitialTimestamp", "2026-01-02T03:04:05Z" },
        { "KVSI:Leases:FailoverSeconds", "3", "KVSI:Leases:FailoverTime", "00:00:03" },
        { "KVSI:Leases:TableName", "leases", "KVSI:LeaseTable:TableName", "leases" },
        { "KVSI:Leases:CreateTable", "false", "KVSI:LeaseTable:CreateTableIfMissing", "false" },
        { "KVSI:Sink:KinesisStreamName", "records", "KVSI:KinesisSink:StreamName", "records" },
        { "KVSI:Inference:MaxBatchWindows", "8", "KVSI:Batching:MaxBatchWindows", "8" },
        { "KVSI:Inference:MaxWaitMs", "5", "KVSI:Batching:MaxWait", "00:00:00.0050000" },
        { "KVSI:Inference:MaxConcurrentBatches", "4", "KVSI:Batching:MaxConcurrentBatches", "4" },
        { "KVSI:Processing:WindowMs", "100", "KVSI:Processing:WindowDuration", "00:00:00.1000000" },
        { "KVSI:Processing:SkipToNowWhenBehindMs", "1500", "KVSI:Processing:SkipToNowWhenBehind", "00:00:01.5000000" },
        { "streamNames", "lobby", "KVSI:Discovery:StreamNames", "lobby" },
        { "tagFilters", "team=avatar", "KVSI:Discovery:TagFilters", "team=avatar" },
        { "sageMakerEndpoint", "visemes", "KVSI:Inference:SageMakerEndpoint", "visemes" },
        { "endPointAcceptContentType", "application/jsonlines", "KVSI:Inference:Accept", "application/jsonlines" },
        { "kdsStreamName", "kit-records", "KVSI:KinesisSink:StreamName", "kit-records" },
    };

    [Theory]
    [MemberData(nameof(Aliases))]
    public void Load_OldKey_ValueUnderTheNewKeyAndOneWarningNamingIt(string oldKey, string oldValue, string newKey, string expected)
    {
        var configuration = Build(out var aliases, (oldKey, oldValue));

        Assert.Equal(expected, configuration[newKey]);
        Assert.Equal($"{oldKey} is deprecated: use {newKey}.", Assert.Single(aliases.Warnings));
        Assert.Empty(aliases.Errors);
    }

    [Fact]
    public void Aliases_EveryAliasHasACase()
    {
        var tested = Aliases.Select(row => ((string)row[0], (string)row[2])).ToHashSet();

        Assert.All(ConfigurationAliases.All, alias => Assert.Contains((alias.OldKey, alias.NewKey), tested));
    }

    [Fact]
    public void Bind_OldKeys_SameOptionsAsTheNewKeys()
    {
        var old = Bind(aws: true, ("KVSI:Streams:Names", "a,b"), ("KVSI:Streams:InitialPosition", "EARLIEST"), ("KVSI:Processing:WindowMs", "100"),
            ("KVSI:Leases:FailoverSeconds", "3"), ("kdsStreamName", "records"));
        var current = Bind(aws: true, ("KVSI:Discovery:StreamNames:0", "a"), ("KVSI:Discovery:StreamNames:1", "b"), ("KVSI:Processing:InitialPosition", "Earliest"),
            ("KVSI:Processing:WindowDuration", "00:00:00.1"), ("KVSI:Leases:FailoverTime", "00:00:03"), ("KVSI:KinesisSink:StreamName", "records"));

        Assert.Empty(old.Errors);
        Assert.Equal(current.Pipeline.Discovery.StreamNames, old.Pipeline.Discovery.StreamNames);
        Assert.Equal(KvsStartSelectorType.Earliest, old.Pipeline.Processing.InitialPosition);
        Assert.Equal(current.Pipeline.Processing.WindowDuration, old.Pipeline.Processing.WindowDuration);
        Assert.Equal(current.Pipeline.Leases.FailoverTime, old.Pipeline.Leases.FailoverTime);
        Assert.Equal(current.Worker.KinesisSink.StreamName, old.Worker.KinesisSink.StreamName);
        Assert.Equal(5, old.Warnings.Count);
        Assert.Empty(current.Warnings);
    }

    [Fact]
    public void Load_OldListAsIndexedKeys_KeepTheirIndexes()
    {
        var config = Bind(aws: true, ("KVSI:Streams:Names:0", "a"), ("KVSI:Streams:Names:1", "b"));

        Assert.Empty(config.Errors);
        Assert.Equal(["a", "b"], config.Pipeline.Discovery.StreamNames);
    }

    [Fact]
    public void Load_NewAndOldKeyInOneSource_NewKeyWinsAndTheOldOneIsReportedIgnored()
    {
        var configuration = Build(out var aliases, ("KVSI:Processing:WindowMs", "100"), ("KVSI:Processing:WindowDuration", "00:00:00.3"));

        Assert.Equal("00:00:00.3", configuration["KVSI:Processing:WindowDuration"]);
        Assert.Equal("KVSI:Processing:WindowMs is deprecated and ignored: KVSI:Processing:WindowDuration is set.", Assert.Single(aliases.Warnings));
    }

    [Fact]
    public void Load_OldKeyInALaterSource_OverridesTheNewKeyOfAnEarlierOne()
    {
        // appsettings.json with the new key, an environment variable with the old one: the later source decides, as for any key.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new("KVSI:Processing:WindowDuration", "00:00:00.3")])
            .AddInMemoryCollection([new("KVSI:Processing:WindowMs", "100")])
            .AddKeyAliases(out _).Build();

        Assert.Equal("00:00:00.1000000", configuration["KVSI:Processing:WindowDuration"]);
    }

    [Fact]
    public void Load_OursAndKitsName_OursWins()
    {
        var configuration = Build(out var aliases, ("KVSI:Sink:KinesisStreamName", "ours"), ("kdsStreamName", "kits"));

        Assert.Equal("ours", configuration["KVSI:KinesisSink:StreamName"]);
        Assert.Contains("kdsStreamName is deprecated and ignored: KVSI:KinesisSink:StreamName is set.", aliases.Warnings);
    }

    [Fact]
    public void Load_SkipAheadZero_NewKeyUnset()
    {
        var config = Bind(aws: false, ("KVSI:Processing:SkipToNowWhenBehindMs", "0"));

        Assert.Empty(config.Errors);
        Assert.Null(config.Pipeline.Processing.SkipToNowWhenBehind);
    }

    [Theory]
    [InlineData("KVSI:Processing:WindowMs", "fast", "KVSI:Processing:WindowMs: 'fast' is not a number of milliseconds.")]
    [InlineData("KVSI:Streams:RefreshSeconds", "1e300", "KVSI:Streams:RefreshSeconds: '1e300' seconds is out of range.")]
    [InlineData("KVSI:Streams:InitialPosition", "LATEST", "KVSI:Streams:InitialPosition: 'LATEST' is not NOW, EARLIEST, SERVER_TIMESTAMP or PRODUCER_TIMESTAMP.")]
    public void Bind_OldValueNotConvertible_ErrorNamesTheOldKey(string key, string value, string error)
    {
        Assert.Contains(error, Bind(aws: false, (key, value)).Errors);
    }
}
