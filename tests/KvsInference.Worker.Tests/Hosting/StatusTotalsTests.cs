using KvsInference.Worker.Hosting;

namespace KvsInference.Tests.Hosting;

public sealed class StatusTotalsTests
{
    [Fact]
    public void Advance_LeaseMovesAwayAndAnotherArrives_CountsOnlyNewWorkWithoutDipOrJump()
    {
        var totals = new StatusTotals();
        object a = new(), b = new(), c = new();
        Assert.Equal(150, totals.Advance([(a, 100, 10), (b, 50, 5)]));
        Assert.Equal(15, totals.Records);
        // b's lease moved away; a did 100 more frames; c is new with 40 frames since it started.
        Assert.Equal(140, totals.Advance([(a, 200, 20), (c, 40, 4)]));
        Assert.Equal(29, totals.Records);
        Assert.Equal(0, totals.Advance([(a, 200, 20), (c, 40, 4)]));
        Assert.Equal(29, totals.Records);
    }
}
