using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using KvsInference.Matroska;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Storage;

/// <summary>
/// GetMedia at the live tail streams the fragment being uploaded block by block, as KVS does, instead of waiting for
/// the Cluster to end: a reader gets a frame while the rest of its Cluster has not even been sent.
/// </summary>
public sealed class LiveGetMediaTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task GetMedia_ClusterStillOpen_BlockReachesReaderBeforeTheClusterEnds()
    {
        await using var kit = await MediaStoreTestKit.StartAsync(o => o.GetMediaIdleTimeout = TimeSpan.FromMinutes(10));
        await kit.CreateStreamAsync("live");
        using HttpResponseMessage response = await kit.StartGetMediaAsync("live", new { StartSelectorType = "NOW" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reader = new LiveCollector();
        Task reading = new MkvStreamParser().ParseAsync(await response.Content.ReadAsStreamAsync(), reader).AsTask();

        // One unknown-size Cluster of three blocks (Chromium's shape), sent in two parts: up to the end of the first
        // block, then, only once the reader has that block, the rest.
        byte[] media = StoreMedia.UnknownSizeWebm(null, 0);
        byte[] secondBlock = Ebml.SimpleBlock(1, 60, Ebml.Payload(2, 130));
        int split = media.AsSpan().IndexOf(secondBlock);
        Assert.True(split > 0);
        var upload = new HeldContent(media, split);
        Task<List<JsonElement>> put = PutAsync(kit, upload);

        await reader.FirstFrame.Task.WaitAsync(Wait);
        Assert.False(upload.Released, "the rest of the Cluster was sent before the reader had its first block");
        Assert.False(put.IsCompleted);
        Assert.Equal(Ebml.Payload(1, 120), reader.Frames.Single());
        Assert.NotNull(reader.FragmentNumber);

        upload.Release();
        List<JsonElement> acks = await put.WaitAsync(Wait);
        string persisted = acks.Single(a => a.GetProperty("EventType").GetString() == "PERSISTED").GetProperty("FragmentNumber").GetString()!;
        await reader.End.Task.WaitAsync(Wait);

        // The whole fragment as stored: the same number before and after the Cluster, every frame once, in order.
        Assert.Equal(persisted, reader.FragmentNumber);
        Assert.Equal(persisted, reader.EndToken);
        Assert.Equal([Ebml.Payload(1, 120), Ebml.Payload(2, 130), Ebml.Payload(3, 140)], reader.Frames);
        Assert.False(reading.IsCompleted);
    }

    [Fact]
    public async Task GetMedia_UploadFailsMidCluster_ReadEndsWithoutEndTagsAndNothingIsStored()
    {
        // Far longer than the test: the read must end because the fragment failed, not because the stream went idle.
        await using var kit = await MediaStoreTestKit.StartAsync(o => o.GetMediaIdleTimeout = TimeSpan.FromMinutes(10));
        await kit.CreateStreamAsync("live");
        using HttpResponseMessage response = await kit.StartGetMediaAsync("live", new { StartSelectorType = "NOW" });
        var reader = new LiveCollector();
        Task reading = new MkvStreamParser().ParseAsync(await response.Content.ReadAsStreamAsync(), reader).AsTask();

        // The first block, then a block for a track the Tracks element does not declare: the upload fails mid-Cluster.
        byte[] media = StoreMedia.UnknownSizeWebm(null, 0);
        byte[] secondBlock = Ebml.SimpleBlock(1, 60, Ebml.Payload(2, 130));
        int split = media.AsSpan().IndexOf(secondBlock);
        byte[] bad = [.. media.AsSpan(0, split), .. Ebml.SimpleBlock(9, 60, Ebml.Payload(2, 130))];
        var upload = new HeldContent(bad, split);
        Task<List<JsonElement>> put = PutAsync(kit, upload);
        await reader.FirstFrame.Task.WaitAsync(Wait);
        upload.Release();
        List<JsonElement> acks = await put.WaitAsync(Wait);
        Assert.Equal("ERROR", acks[^1].GetProperty("EventType").GetString());

        // The reader's response ends (mid-Cluster: the fragment is not stored, there are no end tags to send).
        await ((Task)Task.WhenAny(reading)).WaitAsync(Wait);
        Assert.Null(reader.EndToken);
        JsonElement listed = await kit.PostOkAsync("/listFragments", new { StreamName = "live" });
        Assert.Equal(0, listed.GetProperty("Fragments").GetArrayLength());
    }

    private static async Task<List<JsonElement>> PutAsync(MediaStoreTestKit kit, HttpContent content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/putMedia") { Content = content };
        request.Headers.Add("x-amzn-stream-name", "live");
        request.Headers.Add("x-amzn-fragment-timecode-type", "RELATIVE");
        request.Headers.Add("x-amzn-producer-start-timestamp", (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000m).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture));
        using var response = await kit.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var acks = new List<JsonElement>();
        using var lines = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await lines.ReadLineAsync() is { } line)
        {
            if (line.Length > 0) acks.Add(JsonDocument.Parse(line).RootElement.Clone());
        }
        return acks;
    }

    /// <summary>Sends the first <c>split</c> bytes at once and the rest only when released.</summary>
    private sealed class HeldContent(byte[] data, int split) : HttpContent
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Released => _release.Task.IsCompleted;

        public void Release() => _release.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(data.AsMemory(0, split));
            await stream.FlushAsync();
            await _release.Task;
            await stream.WriteAsync(data.AsMemory(split));
            await stream.FlushAsync();
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private sealed class LiveCollector : IMkvHandler
    {
        private readonly ConcurrentQueue<byte[]> _frames = new();

        public TaskCompletionSource FirstFrame { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource End { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public IReadOnlyList<byte[]> Frames => [.. _frames];
        public string? FragmentNumber { get; private set; }
        public string? EndToken { get; private set; }

        public void OnFrame(in MkvFrame frame)
        {
            var payload = new byte[frame.PayloadLength];
            frame.CopyPayloadTo(payload);
            _frames.Enqueue(payload);
            FirstFrame.TrySetResult();
        }

        public void OnFragmentMetadata(MkvFragmentMetadata metadata)
        {
            if (metadata.IsEndOfFragment)
            {
                EndToken = metadata.ContinuationToken;
                End.TrySetResult();
            }
            else
            {
                FragmentNumber = metadata.FragmentNumber;
            }
        }
    }
}
