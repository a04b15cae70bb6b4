using KvsInference.Tests.EndToEnd;
using KvsInference.Worker.Commands;

namespace KvsInference.Tests.Commands;

public sealed class TrainModelCommandTests
{
    [Theory]
    [InlineData("--label-smoothing", "1.5", "--label-smoothing must be at least 0 and below 1 (got 1.5).")]
    [InlineData("--class-weight-power", "9", "--class-weight-power must be in 0..4 (got 9).")]
    [InlineData("--input-dropout", "1", "--input-dropout must be at least 0 and below 1 (got 1).")]
    [InlineData("--warm-share", "1.5", "--warm-share must be in 0..1 (got 1.5).")]
    [InlineData("--noise-floor", "7", "--noise-floor must be 0 or 20..100 dB (got 7).")]
    [InlineData("--max-sentences", "126", "--max-sentences must be in 1..125: the training corpus's last 24 sentences are kept for validation (got 126).")]
    public void Parse_OutOfRangeClassifierOption_IsAUsageErrorNamingIt(string option, string value, string expected)
    {
        var parsed = TrainModelCommand.Create().Parse(["-o", "weights.bin", option, value]);

        Assert.Contains(expected, parsed.Errors.Select(e => e.Message));
    }

    [Fact]
    public void Parse_InRangeClassifierOptions_HasNoErrors()
    {
        var parsed = TrainModelCommand.Create().Parse(["-o", "weights.bin", "--label-smoothing", "0.1", "--class-weight-power", "0.5", "--input-dropout", "0.3", "--warm-share", "0.5", "--fit-seed", "3", "--hidden2", "64"]);

        Assert.Empty(parsed.Errors);
    }

    [Fact]
    public async Task TrainModel_EnsembleWiderThanANetwork_ExitsOneWithALineNamingBothOptions()
    {
        var dir = Directory.CreateTempSubdirectory("kvsi-train-").FullName;
        using var harness = new FleetHarness();
        using var train = harness.StartWorkerProcess("train-model", ["train-model", "-o", Path.Combine(dir, "w.bin"), "--ensemble", "3", "--hidden", "512"]);
        Assert.True(await train.WaitForExitAsync(TimeSpan.FromSeconds(120)), "train-model did not end:\n" + harness.Diagnostics());

        Assert.True(train.ExitCodeOrNull == 1, harness.Diagnostics());
        Assert.Contains(train.Lines, l => l.Contains("train-model: --ensemble must be in 1..8, --hidden and --hidden2 at least 0 and each x --ensemble at most 1024, and --hidden2 needs --hidden (got 3 x 512 and 128).", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(dir, "w.bin")));
    }

    [Fact]
    public async Task TrainModel_FeatureCacheNotACache_ExitsOneWithALineNamingTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("kvsi-train-").FullName;
        var cache = Path.Combine(dir, "features.bin");
        await File.WriteAllTextAsync(cache, "hello");
        using var harness = new FleetHarness();
        using var train = harness.StartWorkerProcess("train-model", ["train-model", "-o", Path.Combine(dir, "w.bin"), "--feature-cache", cache]);
        Assert.True(await train.WaitForExitAsync(TimeSpan.FromSeconds(120)), "train-model did not end:\n" + harness.Diagnostics());

        Assert.True(train.ExitCodeOrNull == 1, harness.Diagnostics());
        Assert.Contains(train.Lines, l => l.StartsWith("[err] train-model: ", StringComparison.Ordinal) && l.Contains(cache, StringComparison.Ordinal));
        Assert.DoesNotContain(train.Lines, l => l.Contains("Unhandled exception", StringComparison.Ordinal) || l.Contains("   at ", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(dir, "w.bin")));
    }
}
