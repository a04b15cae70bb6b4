using KvsInference.Kvs;

namespace KvsInference.Tests.Kvs;

public sealed class FragmentNumberTests
{
    [Theory]
    [InlineData("9", "10", -1)]
    [InlineData("91343852333181432392682062607743920146264440123", "100000000000000000000000000000000000000000000000", -1)]
    [InlineData("91343852333181432392682062607743920146264440124", "91343852333181432392682062607743920146264440123", 1)]
    [InlineData("0042", "42", 0)]
    [InlineData("0", "000", 0)]
    public void Compare_DecimalStrings_ComparesNumerically(string left, string right, int expected)
    {
        Assert.Equal(expected, Math.Sign(FragmentNumber.Compare(left, right)));
        Assert.Equal(-expected, Math.Sign(FragmentNumber.Compare(right, left)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("1e5")]
    [InlineData(" 12")]
    public void Compare_NotDigits_ThrowsNamingValue(string bad)
    {
        var e = Assert.Throws<ArgumentException>(() => FragmentNumber.Compare(bad, "1"));
        Assert.Contains($"'{bad}'", e.Message);
    }

    [Fact]
    public void IsValid_LongerThanKvsLimit_IsFalse()
    {
        Assert.True(FragmentNumber.IsValid(new string('9', FragmentNumber.MaxLength)));
        Assert.False(FragmentNumber.IsValid(new string('9', FragmentNumber.MaxLength + 1)));
    }
}
