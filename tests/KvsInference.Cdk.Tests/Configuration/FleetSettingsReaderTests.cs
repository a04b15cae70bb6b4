using KvsInference.Cdk.Configuration;

namespace KvsInference.Cdk.Tests.Configuration;

public sealed class FleetSettingsReaderTests
{
    private static FleetSettings Read(Dictionary<string, object?> context, Dictionary<string, string>? environment = null) =>
        FleetSettingsReader.Read(k => context.GetValueOrDefault(k), k => environment?.GetValueOrDefault(k));

    [Fact]
    public void Read_Nothing_Defaults()
    {
        var s = Read([]);
        Assert.Equal(Json(new FleetSettings()), Json(s));
        Assert.Equal("kvs-inference", s.ServiceName);
        Assert.Equal(1024, s.Cpu);
        Assert.Empty(s.StreamNames);
    }

    [Fact]
    public void Read_StringsFromCommandLine_Parsed()
    {
        var s = Read(new()
        {
            ["subnetMode"] = "PUBLIC",
            ["cpu"] = "2048",
            ["memoryMiB"] = "4096",
            ["streamNames"] = " a, b ,a,",
            ["streamTagFilters"] = "team=avatar; env = prod",
            ["createSageMakerEndpoint"] = "true",
            ["removalPolicy"] = "destroy",
            ["errorRateAlarmPercent"] = "2.5",
        });
        Assert.Equal(SubnetMode.Public, s.SubnetMode);
        Assert.Equal(2048, s.Cpu);
        Assert.Equal(4096, s.MemoryMiB);
        Assert.Equal(["a", "b"], s.StreamNames);
        Assert.Equal("avatar", s.StreamTagFilters["team"]);
        Assert.Equal("prod", s.StreamTagFilters["env"]);
        Assert.True(s.CreateSageMakerEndpoint);
        Assert.Equal(DataRemoval.Destroy, s.RemovalPolicy);
        Assert.Equal(2.5, s.ErrorRateAlarmPercent);
    }

    [Fact]
    public void Read_JsonValuesFromCdkJson_Parsed()
    {
        var s = Read(new() { ["cpu"] = 512.0, ["memoryMiB"] = 1024.0, ["alarmTopic"] = true, ["streamNames"] = new object[] { "x", "y" } });
        Assert.Equal(512, s.Cpu);
        Assert.Equal(1024, s.MemoryMiB);
        Assert.True(s.AlarmTopic);
        Assert.Equal(["x", "y"], s.StreamNames);
    }

    [Fact]
    public void Read_Environment_UsedWhenNoContext()
    {
        var s = Read(new() { ["cpu"] = "4096" }, new()
        {
            ["KVSI_CDK_CPU"] = "256",
            ["KVSI_CDK_MEMORY_MIB"] = "8192",
            ["KVSI_CDK_STREAM_PREFIX"] = "room-",
            ["KVSI_CDK_SAGE_MAKER_ENDPOINT_NAME"] = "visemes",
        });
        Assert.Equal(4096, s.Cpu); // context wins
        Assert.Equal(8192, s.MemoryMiB);
        Assert.Equal("room-", s.StreamPrefix);
        Assert.Equal("visemes", s.SageMakerEndpointName);
    }

    [Theory]
    [InlineData("streamNames", "KVSI_CDK_STREAM_NAMES")]
    [InlineData("memoryMiB", "KVSI_CDK_MEMORY_MIB")]
    [InlineData("sageMakerEndpointName", "KVSI_CDK_SAGE_MAKER_ENDPOINT_NAME")]
    [InlineData("maxAzs", "KVSI_CDK_MAX_AZS")]
    public void EnvironmentName_Key_UpperSnakeCase(string key, string expected)
    {
        Assert.Equal(expected, FleetSettingsReader.EnvironmentName(key));
    }

    [Fact]
    public void Read_UnparsableValues_AllReported()
    {
        var e = Assert.Throws<FleetSettingsException>(() => Read(new()
        {
            ["cpu"] = "lots",
            ["subnetMode"] = "dmz",
            ["removalPolicy"] = "1",
            ["containerInsights"] = "yes",
            ["streamTagFilters"] = "team;team=a;team=b",
            ["errorRateAlarmPercent"] = "NaN",
        }));
        Assert.Equal(
        [
            "subnetMode 'dmz' must be one of: private, public.",
            "cpu 'lots' is not a whole number.",
            "containerInsights 'yes' must be true or false.",
            "removalPolicy '1' must be one of: retain, destroy.",
            "streamTagFilters 'team' must be key=value (pairs separated by ';').",
            "streamTagFilters names tag 'team' twice.",
            "errorRateAlarmPercent 'NaN' is not a number.",
        ], e.Errors);
    }

    [Fact]
    public void Keys_EveryKey_ReadByReader()
    {
        // Each documented key must change the result when set: no key is listed but ignored.
        var defaults = Json(Read([]));
        foreach (var key in FleetSettingsReader.Keys)
        {
            var property = typeof(FleetSettings).GetProperty(char.ToUpperInvariant(key[0]) + key[1..]);
            Assert.True(property is not null, $"no property for key {key}");
            var value = property.PropertyType switch
            {
                var t when t == typeof(int) || t == typeof(double) => "77",
                var t when t == typeof(bool) => "true",
                var t when t == typeof(SubnetMode) => "public",
                var t when t == typeof(DataRemoval) => "destroy",
                _ when key == "streamTagFilters" => "k=v",
                _ => "zz-value",
            };
            Assert.NotEqual(defaults, Json(Read(new() { [key] = value })));
        }
    }

    private static string Json(FleetSettings settings) => System.Text.Json.JsonSerializer.Serialize(settings);
}
