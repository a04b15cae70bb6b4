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
    [InlineData("m", VisemeClass.Pp)]
    [InlineData("b", VisemeClass.Pp)]
    [InlineData("f", VisemeClass.Ff)]
    [InlineData("v", VisemeClass.Ff)]
    [InlineData("ð", VisemeClass.Th)]
    [InlineData("w", VisemeClass.Ou)]
    [InlineData("tʃ", VisemeClass.Ch)]
    [InlineData("ʃ", VisemeClass.Ch)]
    [InlineData("t̪", VisemeClass.Dd)]
    [InlineData("tʲ", VisemeClass.Dd)]
    [InlineData("s", VisemeClass.Ss)]
    [InlineData("k", VisemeClass.Kk)]
    [InlineData("ŋ", VisemeClass.Kk)]
    [InlineData("n", VisemeClass.Nn)]
    [InlineData("l", VisemeClass.Nn)]
    [InlineData("ɹ", VisemeClass.Rr)]
    [InlineData("ʁ", VisemeClass.Rr)]
    [InlineData("j", VisemeClass.Ee)]
    [InlineData("ɑ̃", VisemeClass.Aa)]   // French nasal vowel
    [InlineData("y", VisemeClass.Ou)]    // French "u": rounded
    [InlineData("ø", VisemeClass.Oh)]
    [InlineData("ɨ", VisemeClass.Ih)]    // Russian "ы"
    public void TryMap_EspeakIpaName_GivesTheTableClass(string name, VisemeClass expected)
    {
        Assert.True(PhonemeVisemeMap.TryMap(name, out var viseme));
        Assert.Equal(expected, viseme);
    }

    [Fact]
    public void TryMap_UnknownSymbol_IsFalse() => Assert.False(PhonemeVisemeMap.TryMap("ʘ", out _));
}
