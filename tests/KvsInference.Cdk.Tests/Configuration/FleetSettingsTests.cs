using KvsInference.Cdk.Configuration;

namespace KvsInference.Cdk.Tests.Configuration;

public sealed class FleetSettingsTests
{
    private static readonly FleetSettings Valid = new() { StreamPrefix = "meeting-" };

    [Fact]
    public void Validate_DefaultsWithAStreamSelector_Passes()
    {
        Valid.Validate(hasExplicitEnvironment: false);
    }

    [Theory]
    [InlineData(256, 512, true)]
    [InlineData(256, 4096, false)]
    [InlineData(1024, 2048, true)]
    [InlineData(1024, 1024, false)]
    [InlineData(1024, 2500, false)]
    [InlineData(4096, 30720, true)]
    [InlineData(8192, 20480, true)]
    [InlineData(8192, 18432, false)]
    [InlineData(3000, 8192, false)]
    public void IsFargateSize_Pairs_MatchFargateTable(int cpu, int memory, bool expected)
    {
        Assert.Equal(expected, FleetSettings.IsFargateSize(cpu, memory));
    }

    [Theory]
    [InlineData("serviceName '1bad' must start with a letter")]
    [InlineData("natGateways 0: subnetMode=private needs at least one NAT gateway")]
    [InlineData("desiredCount 11 must be between minTasks 1 and maxTasks 10")]
    [InlineData("logRetentionDays 10 must be one of 1, 3, 5, 7, 14, 30")]
    [InlineData("outputRetentionHours 12 must be between 24 and 8760")]
    [InlineData("streamNames: 'bad name' is not a KVS stream name")]
    [InlineData("endpointInstanceType 'm5.large' is not a SageMaker instance type")]
    [InlineData("endpointMaxInstances 0 must be >= endpointMinInstances 1")]
    [InlineData("alarmEmail 'nobody' is not an e-mail address")]
    [InlineData("errorRateAlarmPercent 0 must be in (0, 100]")]
    [InlineData("inferenceContentType 'text/plain' must be application/json or audio/wav")]
    [InlineData("streamTagFilters: tag key 'aws:owner' must be 1-128 characters and not start with 'aws:'")]
    public void Validate_BadParameters_AllReportedTogether(string expected)
    {
        var bad = Valid with
        {
            ServiceName = "1bad",
            NatGateways = 0,
            DesiredCount = 11,
            LogRetentionDays = 10,
            OutputRetentionHours = 12,
            StreamNames = ["bad name"],
            CreateSageMakerEndpoint = true,
            EndpointInstanceType = "m5.large",
            EndpointMaxInstances = 0,
            AlarmEmail = "nobody",
            ErrorRateAlarmPercent = 0,
            InferenceContentType = "text/plain",
            StreamTagFilters = new Dictionary<string, string> { ["aws:owner"] = "x" },
        };
        var e = Assert.Throws<FleetSettingsException>(() => bad.Validate(hasExplicitEnvironment: false));
        Assert.Contains(e.Errors, m => m.StartsWith(expected, StringComparison.Ordinal));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Validate_MalformedVpcId_Rejected()
    {
        var e = Assert.Throws<FleetSettingsException>(() => (Valid with { VpcId = "vpc-XYZ" }).Validate(hasExplicitEnvironment: true));
        Assert.Equal("vpcId 'vpc-XYZ' is not a VPC id (vpc-0123abcd...).", Assert.Single(e.Errors));
    }

    [Fact]
    public void Validate_NoStreamSelector_Rejected()
    {
        var e = Assert.Throws<FleetSettingsException>(() => new FleetSettings().Validate(false));
        Assert.Equal("no streams selected: set streamNames, streamPrefix, streamTagFilters or meetingName.", Assert.Single(e.Errors));
    }

    [Fact]
    public void Validate_PublicModeWithoutNat_Passes()
    {
        (Valid with { SubnetMode = SubnetMode.Public, NatGateways = 0 }).Validate(false);
    }

    [Fact]
    public void AllStreamNames_MeetingName_AddedOnce()
    {
        Assert.Equal(["a", "m"], (Valid with { StreamNames = ["a"], MeetingName = "m" }).AllStreamNames);
        Assert.Equal(["m"], (Valid with { StreamNames = ["m"], MeetingName = "m" }).AllStreamNames);
    }

    [Fact]
    public void EffectiveEndpointName_CreateOrExisting_Named()
    {
        Assert.Null(Valid.EffectiveEndpointName);
        Assert.Equal("kvs-inference-model", (Valid with { CreateSageMakerEndpoint = true }).EffectiveEndpointName);
        Assert.Equal("mine", (Valid with { SageMakerEndpointName = "mine" }).EffectiveEndpointName);
    }
}
