using KvsInference.Worker.Commands;

namespace KvsInference.Tests.Commands;

public sealed class TrainModelCommandTests
{
    [Theory]
    [InlineData("--label-smoothing", "1.5", "--label-smoothing must be at least 0 and below 1 (got 1.5).")]
    [InlineData("--class-weight-power", "9", "--class-weight-power must be in 0..4 (got 9).")]
    public void Parse_OutOfRangeClassifierOption_IsAUsageErrorNamingIt(string option, string value, string expected)
    {
        var parsed = TrainModelCommand.Create().Parse(["-o", "weights.bin", option, value]);

        Assert.Contains(expected, parsed.Errors.Select(e => e.Message));
    }

    [Fact]
    public void Parse_InRangeClassifierOptions_HasNoErrors()
    {
        var parsed = TrainModelCommand.Create().Parse(["-o", "weights.bin", "--label-smoothing", "0.1", "--class-weight-power", "0.5"]);

        Assert.Empty(parsed.Errors);
    }
}
