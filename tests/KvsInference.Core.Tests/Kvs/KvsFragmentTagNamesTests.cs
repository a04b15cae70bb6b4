using KvsInference.Kvs;

namespace KvsInference.Tests.Kvs;

public sealed class KvsFragmentTagNamesTests
{
    [Theory]
    [InlineData(KvsFragmentTagNames.MillisBehindNow, true)]
    [InlineData(KvsFragmentTagNames.ContinuationToken, true)]
    [InlineData(KvsFragmentTagNames.FragmentNumber, false)]
    [InlineData(KvsFragmentTagNames.ServerTimestamp, false)]
    [InlineData("AWS_KINESISVIDEO_MILLIS_BEHIND", false)]
    public void EndsFragment_TagName_TrueOnlyForTheTagsAfterTheCluster(string name, bool expected) =>
        Assert.Equal(expected, KvsFragmentTagNames.EndsFragment(name));

    [Fact]
    public void Names_AreTheWireNames() =>
        Assert.Equal("AWS_KINESISVIDEO_FRAGMENT_NUMBER", KvsFragmentTagNames.FragmentNumber);
}
