using KvsInference.Avatar.Model;
using KvsInference.Avatar.Training;

namespace KvsInference.Tests.Training;

public class PhonemeVisemeMapTests
{
    [Theory]
    [InlineData("ɑː", VisemeClass.Aa)]
    [InlineData("aɪ", VisemeClass.Aa)]
    [InlineData("ɑːɹ", VisemeClass.Aa)]
    [InlineData("ɪ", VisemeClass.Ih)]
    [InlineData("əl", VisemeClass.Ih)]
    [InlineData("uː", VisemeClass.Ou)]
    [InlineData("iː", VisemeClass.Ee)]
    [InlineData("eɪ", VisemeClass.Ee)]
    [InlineData("oʊ", VisemeClass.Oh)]
    [InlineData("əʊ", VisemeClass.Oh)]
    [InlineData("ɔɪ", VisemeClass.Oh)]
    [InlineData("", VisemeClass.Silence)]
    [InlineData("m", VisemeClass.Silence)]
    [InlineData("b", VisemeClass.Silence)]
    [InlineData("w", VisemeClass.Ou)]
    [InlineData("tʃ", VisemeClass.Ou)]
    [InlineData("t̪", VisemeClass.Ih)]
    [InlineData("s", VisemeClass.Ih)]
    [InlineData("j", VisemeClass.Ee)]
    public void TryMap_EspeakIpaName_GivesTheTableClass(string name, VisemeClass expected)
    {
        Assert.True(PhonemeVisemeMap.TryMap(name, out var viseme));
        Assert.Equal(expected, viseme);
    }

    [Fact]
    public void TryMap_UnknownSymbol_IsFalse() => Assert.False(PhonemeVisemeMap.TryMap("ʘ", out _));
}
