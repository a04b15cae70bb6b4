using KvsInference.Tests.EndToEnd;

namespace KvsInference.Tests.Commands;

public sealed class EvalModelCommandTests
{
    /// <summary>Without --validation the command scores the held-out speakers and voices (it once scored no one: the
    /// option read as an empty list of validation names).</summary>
    [Fact]
    public async Task EvalModel_WithoutValidation_ScoresEveryHeldOutSpeakerAndVoice()
    {
        using var harness = new FleetHarness();
        using var eval = harness.StartWorkerProcess("eval-model", ["eval-model", "--prompts", "1", "--sentences", "1"]);
        Assert.True(await eval.WaitForExitAsync(TimeSpan.FromSeconds(240)), "eval-model did not end:\n" + harness.Diagnostics());
        Assert.True(eval.ExitCodeOrNull == 0, harness.Diagnostics());

        foreach (var row in new[] { "| recorded | fr_CA_f_June | 1 |", "| recorded | it_IT_m_Carlo | 1 |", "| espeak-ng | en-us+m6@160wpm/p45 | 1 |" })
        {
            Assert.True(eval.Lines.Any(l => l.StartsWith(row, StringComparison.Ordinal)), $"no row '{row}' in:\n{string.Join('\n', eval.Lines)}");
        }
    }

    [Fact]
    public async Task EvalModel_WeightsNotAWeightsFile_ExitsOneWithALineNamingTheProblem()
    {
        var weights = Path.Combine(Directory.CreateTempSubdirectory("kvsi-eval-").FullName, "not-weights.bin");
        await File.WriteAllTextAsync(weights, string.Concat(Enumerable.Repeat("not weights ", 20)));
        using var harness = new FleetHarness();
        using var eval = harness.StartWorkerProcess("eval-model", ["eval-model", "--weights", weights, "--prompts", "1"]);
        Assert.True(await eval.WaitForExitAsync(TimeSpan.FromSeconds(120)), "eval-model did not end:\n" + harness.Diagnostics());

        Assert.True(eval.ExitCodeOrNull == 1, harness.Diagnostics());
        Assert.Contains($"[err] eval-model: {weights}: not a viseme weights file (magic 'KVSV' missing)", eval.Lines);
        Assert.DoesNotContain(eval.Lines, l => l.Contains("Unhandled exception", StringComparison.Ordinal) || l.Contains("   at ", StringComparison.Ordinal));
    }
}
