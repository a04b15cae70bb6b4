using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using KvsInference.LocalKvs.Stun;

namespace KvsInference.Tests.Stun;

public sealed class StunServerTests
{
    // Built by hand from RFC 5389 (not with the server's own writer): header, then optional SOFTWARE and FINGERPRINT.
    private static byte[] BindingRequest(byte[] transactionId, bool withFingerprint)
    {
        var software = "kvsi-test"u8.ToArray();               // 9 bytes, padded to 12
        var length = 4 + 12 + (withFingerprint ? 8 : 0);
        var packet = new byte[20 + length];
        packet[1] = 0x01;                                      // Binding Request
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)length);
        new byte[] { 0x21, 0x12, 0xA4, 0x42 }.CopyTo(packet, 4);
        transactionId.CopyTo(packet, 8);
        packet[20] = 0x80; packet[21] = 0x22;                  // SOFTWARE
        packet[23] = 9;
        software.CopyTo(packet, 24);
        if (withFingerprint)
        {
            packet[36] = 0x80; packet[37] = 0x28; packet[39] = 4;
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(40), Crc32Reference.Compute(packet.AsSpan(0, 36)) ^ 0x5354554E);
        }
        return packet;
    }

    private static async Task<byte[]?> ExchangeAsync(UdpClient client, IPEndPoint server, byte[] packet, TimeSpan wait)
    {
        await client.SendAsync(packet, server);
        using var cts = new CancellationTokenSource(wait);
        try
        {
            return (await client.ReceiveAsync(cts.Token)).Buffer;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Start_BindingRequest_AnsweredWithXorMappedAddressAndFingerprint(bool withFingerprint)
    {
        await using var server = StunServer.Start(new StunOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0) });
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var local = (IPEndPoint)client.Client.LocalEndPoint!;
        var txid = Enumerable.Range(1, 12).Select(i => (byte)(i * 17)).ToArray();

        var response = await ExchangeAsync(client, server.LocalEndPoint, BindingRequest(txid, withFingerprint), TimeSpan.FromSeconds(5));

        Assert.NotNull(response);
        Assert.Equal(0x0101, BinaryPrimitives.ReadUInt16BigEndian(response));
        Assert.Equal(response.Length - 20, BinaryPrimitives.ReadUInt16BigEndian(response.AsSpan(2)));
        Assert.Equal(0x2112A442u, BinaryPrimitives.ReadUInt32BigEndian(response.AsSpan(4)));
        Assert.Equal(txid, response[8..20]);
        // XOR-MAPPED-ADDRESS, IPv4: port ^ 0x2112, address ^ 0x2112A442.
        Assert.Equal(0x0020, BinaryPrimitives.ReadUInt16BigEndian(response.AsSpan(20)));
        Assert.Equal(8, BinaryPrimitives.ReadUInt16BigEndian(response.AsSpan(22)));
        Assert.Equal(0x01, response[25]);
        Assert.Equal(local.Port, BinaryPrimitives.ReadUInt16BigEndian(response.AsSpan(26)) ^ 0x2112);
        var address = new IPAddress(BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(BinaryPrimitives.ReadUInt32BigEndian(response.AsSpan(28)) ^ 0x2112A442u)));
        Assert.Equal(IPAddress.Loopback, address);
        // FINGERPRINT last, CRC-32 of everything before it XOR 0x5354554E.
        Assert.Equal(0x8028, BinaryPrimitives.ReadUInt16BigEndian(response.AsSpan(32)));
        Assert.Equal(Crc32Reference.Compute(response.AsSpan(0, 32)) ^ 0x5354554Eu, BinaryPrimitives.ReadUInt32BigEndian(response.AsSpan(36)));
        Assert.Equal(1, server.Answered);
    }

    public static TheoryData<string, byte[]> Malformed()
    {
        var good = BindingRequest(new byte[12], withFingerprint: true);
        var badFingerprint = (byte[])good.Clone();
        badFingerprint[^1] ^= 0xFF;
        var noCookie = (byte[])good.Clone();
        noCookie[4] = 0;
        var wrongLength = (byte[])good.Clone();
        wrongLength[3] += 4;
        var response = (byte[])good.Clone();
        response[0] = 0x01; response[1] = 0x01;
        var notStun = (byte[])good.Clone();
        notStun[0] = 0xC0;
        var overrun = (byte[])good.Clone();
        overrun[23] = 200;
        return new TheoryData<string, byte[]>
        {
            { "empty", [] },
            { "short", good[..12] },
            { "bad fingerprint", badFingerprint },
            { "no magic cookie", noCookie },
            { "length mismatch", wrongLength },
            { "a response, not a request", response },
            { "leading bits set", notStun },
            { "attribute overruns", overrun },
            { "text", "GET / HTTP/1.1\r\n\r\n"u8.ToArray() },
        };
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Start_MalformedDatagram_IgnoredAndServerKeepsAnswering(string what, byte[] packet)
    {
        await using var server = StunServer.Start(new StunOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0) });
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        Assert.True(await ExchangeAsync(client, server.LocalEndPoint, packet, TimeSpan.FromMilliseconds(300)) is null, what + " was answered");
        Assert.Equal(1, server.Ignored);
        Assert.NotNull(await ExchangeAsync(client, server.LocalEndPoint, BindingRequest(new byte[12], true), TimeSpan.FromSeconds(5)));
    }
}
