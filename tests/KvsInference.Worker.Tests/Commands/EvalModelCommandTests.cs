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
}
