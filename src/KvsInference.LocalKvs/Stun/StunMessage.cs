using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace KvsInference.LocalKvs.Stun;

/// <summary>
/// The RFC 5389 wire format, as much as a binding server needs: recognising a well-formed Binding Request and
/// writing a Binding Success Response with XOR-MAPPED-ADDRESS and FINGERPRINT.
/// </summary>
internal static class StunMessage
{
    public const int HeaderLength = 20;
    public const uint MagicCookie = 0x2112A442;
    public const ushort BindingRequest = 0x0001;
    public const ushort BindingSuccessResponse = 0x0101;
    public const ushort XorMappedAddress = 0x0020;
    public const ushort Fingerprint = 0x8028;
    private const uint FingerprintXor = 0x5354554E;

    /// <summary>Checks that a datagram is a Binding Request this server should answer.</summary>
    /// <returns>null when it is, otherwise why it is ignored.</returns>
    public static string? ValidateBindingRequest(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < HeaderLength) return $"shorter than the {HeaderLength}-byte STUN header";
        var type = BinaryPrimitives.ReadUInt16BigEndian(packet);
        if ((type & 0xC000) != 0) return "the two leading bits are not zero (not STUN)";
        if (BinaryPrimitives.ReadUInt32BigEndian(packet[4..]) != MagicCookie) return "no RFC 5389 magic cookie";
        var length = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        if (length % 4 != 0 || HeaderLength + length != packet.Length) return $"message length {length} does not match the datagram ({packet.Length} bytes)";
        if (type != BindingRequest) return $"message type 0x{type:X4} is not a Binding Request";

        // Walk the attributes: each must fit; a FINGERPRINT, when present, must be last and correct.
        var offset = HeaderLength;
        while (offset < packet.Length)
        {
            if (offset + 4 > packet.Length) return "truncated attribute header";
            var attrType = BinaryPrimitives.ReadUInt16BigEndian(packet[offset..]);
            var attrLength = BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]);
            var padded = (attrLength + 3) & ~3;
            if (offset + 4 + padded > packet.Length) return $"attribute 0x{attrType:X4} overruns the message";
            if (attrType == Fingerprint)
            {
                if (attrLength != 4 || offset + 8 != packet.Length) return "FINGERPRINT is malformed or not the last attribute";
                var expected = Crc32(packet[..offset]) ^ FingerprintXor;
                if (BinaryPrimitives.ReadUInt32BigEndian(packet[(offset + 4)..]) != expected) return "FINGERPRINT does not match";
            }
            offset += 4 + padded;
        }
        return null;
    }

    /// <summary>Writes the success response to a request: same transaction id, the sender's address XOR-ed, FINGERPRINT.</summary>
    public static byte[] BindingSuccess(ReadOnlySpan<byte> request, IPEndPoint mapped)
    {
        var address = mapped.Address.IsIPv4MappedToIPv6 ? mapped.Address.MapToIPv4() : mapped.Address;
        var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        var addressLength = v6 ? 16 : 4;
        var xorAttrLength = 4 + addressLength;
        var total = HeaderLength + 4 + xorAttrLength + 8;
        var response = new byte[total];
        var span = response.AsSpan();
        BinaryPrimitives.WriteUInt16BigEndian(span, BindingSuccessResponse);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)(total - HeaderLength));
        request[4..HeaderLength].CopyTo(span[4..]); // magic cookie + transaction id

        var attr = span[HeaderLength..];
        BinaryPrimitives.WriteUInt16BigEndian(attr, XorMappedAddress);
        BinaryPrimitives.WriteUInt16BigEndian(attr[2..], (ushort)xorAttrLength);
        attr[4] = 0;
        attr[5] = v6 ? (byte)0x02 : (byte)0x01;
        BinaryPrimitives.WriteUInt16BigEndian(attr[6..], (ushort)(mapped.Port ^ (MagicCookie >> 16)));
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            // XOR with the magic cookie followed by the transaction id (RFC 5389 section 15.2).
            attr[8 + i] = (byte)(bytes[i] ^ span[4 + i]);
        }

        var fingerprintAt = HeaderLength + 4 + xorAttrLength;
        BinaryPrimitives.WriteUInt16BigEndian(span[fingerprintAt..], Fingerprint);
        BinaryPrimitives.WriteUInt16BigEndian(span[(fingerprintAt + 2)..], 4);
        BinaryPrimitives.WriteUInt32BigEndian(span[(fingerprintAt + 4)..], Crc32(span[..fingerprintAt]) ^ FingerprintXor);
        return response;
    }

    /// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as FINGERPRINT uses.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }
        return ~crc;
    }

    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
