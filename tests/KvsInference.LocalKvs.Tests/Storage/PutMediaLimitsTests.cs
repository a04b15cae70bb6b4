using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Storage;

/// <summary>PutMedia from a hostile producer over a real socket: elements the store holds in memory have a cap.</summary>
public class PutMediaLimitsTests
{
    private const long HeaderCap = 256 * 1024;
    private const long PaddingBytes = 64L * 1024 * 1024;
    private const long FourGiB = 4L * 1024 * 1024 * 1024;

    public static TheoryData<string, string> HugeHeaders => new()
    {
        // An EBML header declaring 4 GiB, then Void elements inside it.
        { "ebml", "EBML header element" },
        // A valid start, then a Tracks element declaring 4 GiB filled with Void elements.
        { "tracks", "Tracks element" },
        // A valid start, then a Tags element whose one TagString value declares 40 MB (under the 50 MB fragment cap).
        { "tag-value", "element 0x4487" },
    };

    [Theory]
    [MemberData(nameof(HugeHeaders))]
    public async Task PutMedia_HeaderElementDeclaringHugeSize_ErrorNamingElementAndCapBeforePaddingIsSent(string shape, string element)
    {
        await using var kit = await MediaStoreTestKit.StartAsync(o => o.MaxHeaderElementSizeBytes = HeaderCap);
        await kit.CreateStreamAsync("huge-header");

        (byte[] prefix, bool voidPadding) = shape switch
        {
            "ebml" => (Ebml.Concat(Ebml.Id(0x1A45DFA3), Ebml.Size(FourGiB, 8)), true),
            "tracks" => (Ebml.Concat(Ebml.Header(), Ebml.Id(0x18538067), Ebml.UnknownSize, Ebml.Master(0x1549A966, Ebml.UInt(0x2AD7B1, 1_000_000)),
                Ebml.Id(0x1654AE6B), Ebml.Size(FourGiB, 8)), true),
            _ => (Ebml.Concat(Ebml.Header(), Ebml.Id(0x18538067), Ebml.UnknownSize, Ebml.Master(0x1549A966, Ebml.UInt(0x2AD7B1, 1_000_000)),
                Ebml.OpusTracks(), TagsWithValueOf(40_000_000)), false),
        };

        var (sentWhenError, ack) = await UploadUntilErrorAsync(kit.Server.Url, "huge-header", prefix, voidPadding);

        Assert.Equal(4006, ack.GetProperty("ErrorId").GetInt32());
        string message = ack.GetProperty("Message").GetString()!;
        Assert.Contains(element, message);
        Assert.Contains($"{HeaderCap} bytes", message);
        Assert.Contains("MaxHeaderElementSizeBytes", message);
        // The store refused at its cap; the rest of the padding (tens of MB) was never needed. Socket buffers on
        // loopback let the sender run a few MB ahead of the server at most.
        Assert.True(sentWhenError < PaddingBytes / 2, $"the error came only after {sentWhenError} bytes were sent");
    }

    private static byte[] TagsWithValueOf(int valueBytes)
    {
        byte[] name = Ebml.String(0x45A3, "BIG");
        byte[] valueHeader = Ebml.Concat(Ebml.Id(0x4487), Ebml.Size(valueBytes, 8));
        long simpleTag = name.Length + valueHeader.Length + valueBytes;
        byte[] simpleTagHeader = Ebml.Concat(Ebml.Id(0x67C8), Ebml.Size(simpleTag, 8));
        byte[] targets = Ebml.Master(0x63C0);
        long tag = targets.Length + simpleTagHeader.Length + simpleTag;
        byte[] tagHeader = Ebml.Concat(Ebml.Id(0x7373), Ebml.Size(tag, 8));
        long tags = tagHeader.Length + tag;
        return Ebml.Concat(Ebml.Id(0x1254C367), Ebml.Size(tags, 8), tagHeader, targets, simpleTagHeader, name, valueHeader);
    }

    /// <summary>
    /// Sends a chunked PutMedia: the prefix, then up to <see cref="PaddingBytes"/> of padding (Void elements, or raw
    /// bytes that continue the open value) in 64 KiB pieces, while reading the acks; returns how many bytes had been
    /// sent when the ERROR ack arrived, and that ack.
    /// </summary>
    private static async Task<(long SentWhenError, JsonElement Ack)> UploadUntilErrorAsync(string url, string stream, byte[] prefix, bool voidPadding)
    {
        var uri = new Uri(url);
        using var client = new TcpClient();
        await client.ConnectAsync(uri.Host, uri.Port);
        NetworkStream network = client.GetStream();
        string head = $"POST /putMedia HTTP/1.1\r\nHost: {uri.Authority}\r\nx-amzn-stream-name: {stream}\r\n" +
            "x-amzn-fragment-timecode-type: ABSOLUTE\r\nTransfer-Encoding: chunked\r\n\r\n";
        await network.WriteAsync(Encoding.ASCII.GetBytes(head));

        long sent = 0;
        var error = new TaskCompletionSource<(long, JsonElement)>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task reading = Task.Run(async () =>
        {
            var text = new StringBuilder();
            var buffer = new byte[4096];
            int read;
            while ((read = await network.ReadAsync(buffer)) > 0)
            {
                text.Append(Encoding.UTF8.GetString(buffer, 0, read));
                foreach (string line in text.ToString().Split('\n'))
                {
                    if (line.Contains("\"EventType\":\"ERROR\"", StringComparison.Ordinal))
                    {
                        error.TrySetResult((Interlocked.Read(ref sent), JsonDocument.Parse(line.Trim()).RootElement.Clone()));
                        return;
                    }
                }
            }
            error.TrySetException(new InvalidOperationException("The response ended without an ERROR ack: " + text));
        });

        async Task SendChunkAsync(byte[] data)
        {
            await network.WriteAsync(Encoding.ASCII.GetBytes($"{data.Length:X}\r\n"));
            await network.WriteAsync(data);
            await network.WriteAsync("\r\n"u8.ToArray());
            Interlocked.Add(ref sent, data.Length);
        }

        const int piece = 64 * 1024;
        byte[] padding = voidPadding ? Ebml.Concat(Ebml.Id(0xEC), Ebml.Size(piece - 9, 8), new byte[piece - 9]) : new byte[piece];
        try
        {
            await SendChunkAsync(prefix);
            while (!error.Task.IsCompleted && Interlocked.Read(ref sent) < PaddingBytes) await SendChunkAsync(padding);
            if (!error.Task.IsCompleted) await network.WriteAsync("0\r\n\r\n"u8.ToArray());
        }
        catch (IOException)
        {
            // The server closed the connection after its ERROR ack.
        }
        var result = await error.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await reading.WaitAsync(TimeSpan.FromSeconds(10));
        return result;
    }
}
