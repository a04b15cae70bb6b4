using KvsInference.Kvs;

namespace KvsInference.Tests.Kvs;

public sealed class KvsTimestampOriginTests
{
    [Theory]
    [InlineData(KvsTimestampOrigin.Server, "SERVER_TIMESTAMP")]
    [InlineData(KvsTimestampOrigin.Producer, "PRODUCER_TIMESTAMP")]
    public void ToWireName_EachOrigin_ReadsBackTheSame(KvsTimestampOrigin origin, string wire)
    {
        Assert.Equal(wire, KvsTimestampOrigins.ToWireName(origin));
        Assert.True(KvsTimestampOrigins.TryParse(wire, out var read));
        Assert.Equal(origin, read);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("producer_timestamp")]
    [InlineData("NOW")]
    public void TryParse_NotAWireName_False(string? name) => Assert.False(KvsTimestampOrigins.TryParse(name, out _));

    [Fact]
    public void ToWireName_UndefinedValue_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => KvsTimestampOrigins.ToWireName((KvsTimestampOrigin)7));
}
