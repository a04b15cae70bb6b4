using KvsInference.LocalKvs.Signaling;
using Microsoft.Extensions.Time.Testing;

namespace KvsInference.Tests.Signaling;

public sealed class MeetingTokensTests
{
    private const string Arn = "arn:aws:kinesisvideo:us-west-2:123456789012:channel/m/1";

    [Fact]
    public void Validate_AfterExpiry_Refused()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var tokens = new MeetingTokens(new byte[32], time);
        var token = tokens.Issue(Arn, SignalingRole.Master, null, TimeSpan.FromMinutes(10));
        Assert.Null(tokens.Validate(token, Arn, SignalingRole.Master, null));
        time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal("the meeting token has expired", tokens.Validate(token, Arn, SignalingRole.Master, null));
    }

    [Fact]
    public void Validate_OtherKeyOrTamperedClaims_Refused()
    {
        var tokens = new MeetingTokens(new byte[32], TimeProvider.System);
        var other = new MeetingTokens(Enumerable.Repeat((byte)7, 32).ToArray(), TimeProvider.System);
        var token = tokens.Issue(Arn, SignalingRole.Viewer, "v1", TimeSpan.FromMinutes(10));
        Assert.Equal("the meeting token's signature does not match", other.Validate(token, Arn, SignalingRole.Viewer, "v1"));
        var forged = other.Issue(Arn, SignalingRole.Viewer, "v2", TimeSpan.FromMinutes(10));
        var spliced = forged[..forged.IndexOf('.')] + token[token.IndexOf('.')..];
        Assert.Equal("the meeting token's signature does not match", tokens.Validate(spliced, Arn, SignalingRole.Viewer, "v2"));
        Assert.Equal("the meeting token is for another client id", tokens.Validate(token, Arn, SignalingRole.Viewer, "v2"));
        Assert.Null(tokens.ValidateForChannel(token, Arn));
    }

    [Fact]
    public void Constructor_ShortKey_Throws() =>
        Assert.Throws<ArgumentException>(() => new MeetingTokens(new byte[8], TimeProvider.System));
}
