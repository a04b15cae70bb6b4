namespace KvsInference.Tests.Stun;

/// <summary>A bitwise CRC-32 (IEEE), written independently of the server's table-driven one, for checking FINGERPRINT.</summary>
internal static class Crc32Reference
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }
}
