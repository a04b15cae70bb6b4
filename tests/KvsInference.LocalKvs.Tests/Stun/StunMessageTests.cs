using KvsInference.LocalKvs.Stun;

namespace KvsInference.Tests.Stun;

public sealed class StunMessageTests
{
    [Fact]
    public void Crc32_CheckValue_MatchesIeeeStandard()
    {
        // The standard CRC-32 check value of "123456789".
        Assert.Equal(0xCBF43926u, StunMessage.Crc32("123456789"u8));
        Assert.Equal(0xCBF43926u, Crc32Reference.Compute("123456789"u8));
    }
}
