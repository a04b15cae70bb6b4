using KvsInference.Kvs;

namespace KvsInference.Tests.Kvs;

public sealed class KvsStartSelectorTests
{
    [Fact]
    public void TryParse_EveryWireName_RoundTripsToItsType()
    {
        foreach (var type in Enum.GetValues<KvsStartSelectorType>())
        {
            var name = KvsStartSelectorTypes.ToWireName(type);
            Assert.True(KvsStartSelectorTypes.TryParse(name, out var parsed), name);
            Assert.Equal(type, parsed);
        }
        Assert.Equal(Enum.GetValues<KvsStartSelectorType>().Length, KvsStartSelectorTypes.WireNames.Count);
    }

    [Theory]
    [InlineData("earliest")]
    [InlineData("LATEST")]
    [InlineData("")]
    [InlineData(null)]
    public void TryParse_NotAWireName_IsFalse(string? name) => Assert.False(KvsStartSelectorTypes.TryParse(name, out _));

    [Fact]
    public void ToWireName_UndefinedType_ThrowsNamingIt()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => KvsStartSelectorTypes.ToWireName((KvsStartSelectorType)42));
        Assert.Equal("type", e.ParamName);
    }

    [Fact]
    public void AfterFragment_LongerThanKvsLimit_Throws() =>
        Assert.Throws<ArgumentException>(() => KvsStartSelector.AfterFragment(new string('1', FragmentNumber.MaxLength + 1)));

    [Fact]
    public void ToString_FragmentSelector_NamesTypeAndNumber() =>
        Assert.Equal("FRAGMENT_NUMBER 123", KvsStartSelector.AfterFragment("123").ToString());
}
