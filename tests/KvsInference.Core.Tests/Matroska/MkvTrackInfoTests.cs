using KvsInference.Matroska;

namespace KvsInference.Tests.Matroska;

public class MkvTrackInfoTests
{
    [Fact]
    public void New_NoValues_HasMatroskaDefaults()
    {
        var track = new MkvTrackInfo();
        Assert.Equal(8000, track.SamplingFrequency);
        Assert.Equal(1, track.Channels);
    }
}
