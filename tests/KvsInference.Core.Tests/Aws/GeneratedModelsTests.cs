using KvsInference.TestSupport;
using KvsInference.Tools.AwsModelGen;

namespace KvsInference.Tests.Aws;

/// <summary>The checked-in src/KvsInference.Core/Aws/Generated is exactly what tools/AwsModelGen makes of the installed official models.</summary>
public sealed class GeneratedModelsTests
{
    [Fact]
    public void Generate_FromInstalledModels_MatchesCheckedInFilesByteForByte()
    {
        Assert.True(Directory.Exists(ModelGenerator.DefaultDataDirectory),
            $"{ModelGenerator.DefaultDataDirectory} is missing: run scripts/setup (it installs the Debian package awscli, which ships the models).");
        var generated = ModelGenerator.Generate(ModelGenerator.DefaultDataDirectory);
        var folder = Path.Combine(TestPaths.RepoRoot, "src", "KvsInference.Core", "Aws", "Generated");
        var checkedIn = Directory.GetFiles(folder, "*.g.cs").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(generated.Keys, checkedIn);
        foreach (var (name, text) in generated)
        {
            var onDisk = File.ReadAllBytes(Path.Combine(folder, name));
            Assert.True(onDisk.AsSpan().SequenceEqual(System.Text.Encoding.UTF8.GetBytes(text)),
                $"{name} differs from the generator's output: run `dotnet run --project tools/AwsModelGen` and commit the result.");
        }
    }

    [Fact]
    public void Generate_MissingModelFolder_FailsNamingThePath()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-botocore-data-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<ModelException>(() => ModelGenerator.Generate(missing));
        Assert.Contains(missing, e.Message);
    }
}

/// <summary>The generated types put on the wire what the model says (so a client built on them conforms).</summary>
public sealed class GeneratedTypesWireTests
{
    private static readonly System.Text.Json.JsonSerializerOptions Wire = new()
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    [Fact]
    public void Serialize_GeneratedRequests_ConformToTheirModels()
    {
        var start = DateTimeOffset.FromUnixTimeMilliseconds(1_600_000_000_250);
        var listFragments = new KvsInference.Aws.Generated.KinesisVideoArchivedMedia.ListFragmentsRequest
        {
            StreamName = "cam-1",
            MaxResults = 100,
            FragmentSelector = new KvsInference.Aws.Generated.KinesisVideoArchivedMedia.FragmentSelector
            {
                FragmentSelectorType = "PRODUCER_TIMESTAMP",
                TimestampRange = new KvsInference.Aws.Generated.KinesisVideoArchivedMedia.TimestampRange { StartTimestamp = start, EndTimestamp = start.AddMinutes(1) },
            },
        };
        var putRecords = new KvsInference.Aws.Generated.Kinesis.PutRecordsRequest
        {
            StreamName = "records",
            Records = [new KvsInference.Aws.Generated.Kinesis.PutRecordsRequestEntry { Data = [1, 2, 3], PartitionKey = "k" }],
        };
        var models = KvsInference.Aws.Generated.AwsServiceModels.KinesisVideoArchivedMedia;
        var kinesis = KvsInference.Aws.Generated.AwsServiceModels.Kinesis;

        var v = new List<string>();
        using (var doc = System.Text.Json.JsonDocument.Parse(System.Text.Json.JsonSerializer.Serialize(listFragments, Wire)))
            AwsModelConformance.CheckValue(models, "ListFragmentsInput", doc.RootElement, "$", v);
        using (var doc = System.Text.Json.JsonDocument.Parse(System.Text.Json.JsonSerializer.Serialize(putRecords, Wire)))
        {
            AwsModelConformance.CheckValue(kinesis, "PutRecordsInput", doc.RootElement, "$", v);
            Assert.Equal("AQID", doc.RootElement.GetProperty("Records")[0].GetProperty("Data").GetString());
        }
        Assert.True(v.Count == 0, string.Join("\n", v));
    }

    [Fact]
    public void Serialize_HeaderAndPayloadMembers_StayOutOfTheJsonBody()
    {
        var invoke = new KvsInference.Aws.Generated.SageMakerRuntime.InvokeEndpointRequest
        {
            EndpointName = "ep", Body = [1], ContentType = "application/json", Accept = "application/json",
        };
        Assert.Equal("{}", System.Text.Json.JsonSerializer.Serialize(invoke, Wire));
    }
}
