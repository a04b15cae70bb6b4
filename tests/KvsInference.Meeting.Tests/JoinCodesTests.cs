using KvsInference.Meeting;

namespace KvsInference.Tests.Meeting;

public sealed class JoinCodesTests
{
    private static JoinGrant Grant(string id) => new("local", id, "arn:channel/" + id, "token-" + id, "/kvs", true);

    [Fact]
    public void Issue_Grant_GroupedCodeLooksUpWhateverCaseAndDashes()
    {
        var codes = new JoinCodes();
        var code = codes.Issue(Grant("m1"));
        Assert.Matches("^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$", code);
        Assert.DoesNotContain(code, c => c is 'i' or 'l' or 'o' or '0' or '1');
        Assert.True(codes.TryGet(code, out var grant, out _));
        Assert.Equal("token-m1", grant!.ViewerToken);
        Assert.True(codes.TryGet(code.Replace("-", " ", StringComparison.Ordinal).ToUpperInvariant(), out grant, out _));
        Assert.Equal("m1", grant!.MeetingId);
        Assert.True(codes.TryGet(code.Replace("-", "", StringComparison.Ordinal), out _, out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("abcd-efgh-jkm")]       // one letter short
    [InlineData("abcd-efgh-jkmnp")]     // one too many
    [InlineData("abcd-efgh-jkm0")]      // not in the alphabet
    [InlineData("abcd/efgh/jkmn")]
    public void TryGet_NotAnIssuedCode_FalseAndNotEnded(string? code)
    {
        var codes = new JoinCodes();
        codes.Issue(Grant("m1"));
        Assert.False(codes.TryGet(code, out var grant, out var ended));
        Assert.Null(grant);
        Assert.False(ended);
    }

    [Fact]
    public void End_Meeting_CodeAnsweredAsEndedOthersStay()
    {
        var codes = new JoinCodes();
        var ending = codes.Issue(Grant("m1"));
        var staying = codes.Issue(Grant("m2"));
        Assert.NotEqual(ending, staying);
        codes.End("m1");
        Assert.False(codes.TryGet(ending, out _, out var ended));
        Assert.True(ended);
        Assert.True(codes.HasEnded("m1"));
        Assert.False(codes.HasEnded("m2"));
        Assert.True(codes.TryGet(staying, out _, out _));
    }

    [Fact]
    public void End_MoreThanTheMemory_OldestForgotten()
    {
        var codes = new JoinCodes();
        var first = codes.Issue(Grant("m0"));
        codes.End("m0");
        for (int i = 1; i <= JoinCodes.EndedMemory; i++)
        {
            codes.Issue(Grant("m" + i));
            codes.End("m" + i);
        }
        Assert.False(codes.TryGet(first, out _, out var ended));
        Assert.False(ended);
        Assert.False(codes.HasEnded("m0"));
        Assert.True(codes.HasEnded("m1"));
    }
}
