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
