using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using KvsInference.Matroska;
using KvsInference.LocalKvs.Storage;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Storage;

/// <summary>Starts a media store on 127.0.0.1:0 in a scratch directory and talks to it over HTTP like a KVS client.</summary>
internal sealed class MediaStoreTestKit : IAsyncDisposable
{
    private MediaStoreTestKit(MediaStoreServer server, MediaStoreOptions options)
    {
        Server = server;
        Options = options;
        Http = new HttpClient { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromSeconds(60) };
    }

    public MediaStoreServer Server { get; private set; }
    public MediaStoreOptions Options { get; }
    public HttpClient Http { get; private set; }

    public static async Task<MediaStoreTestKit> StartAsync(Action<MediaStoreOptions>? configure = null, string? dataDirectory = null)
    {
        var options = new MediaStoreOptions
        {
            DataDirectory = dataDirectory ?? Directory.CreateTempSubdirectory("kvsi-store-").FullName,
            Port = 0,
            GetMediaIdleTimeout = TimeSpan.FromMilliseconds(400),
        };
        configure?.Invoke(options);
        return new MediaStoreTestKit(await MediaStoreServer.StartAsync(options), options);
    }

    /// <summary>Stops the server and starts a new one on the same data directory.</summary>
    public async Task RestartAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        Server = await MediaStoreServer.StartAsync(Options);
        Http = new HttpClient { BaseAddress = new Uri(Server.Url), Timeout = TimeSpan.FromSeconds(60) };
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }

    public async Task<(HttpStatusCode Status, string? ErrorType, JsonElement Body)> PostJsonAsync(string path, object body)
    {
        using var response = await Http.PostAsync(path, new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
        string text = await response.Content.ReadAsStringAsync();
        response.Headers.TryGetValues("x-amzn-ErrorType", out var types);
        JsonElement json = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return (response.StatusCode, types?.FirstOrDefault(), json);
    }

    public async Task<JsonElement> PostOkAsync(string path, object body)
    {
        var (status, errorType, json) = await PostJsonAsync(path, body);
        Assert.True(status == HttpStatusCode.OK, $"{path} answered {status} {errorType}: {json}");
        return json;
    }

    public Task CreateStreamAsync(string name, int retentionHours = 24) =>
        PostOkAsync("/createStream", new { StreamName = name, DataRetentionInHours = retentionHours });

    /// <summary>PutMedia of <paramref name="media"/> sent in <paramref name="chunkBytes"/> pieces; returns the ack lines.</summary>
    public async Task<List<JsonElement>> PutMediaAsync(string stream, byte[] media, int chunkBytes = 1000, string timecodeType = "RELATIVE",
        DateTimeOffset? producerStart = null, TimeSpan? chunkDelay = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/putMedia") { Content = new ChunkedContent(media, chunkBytes, chunkDelay) };
        request.Headers.Add("x-amzn-stream-name", stream);
        request.Headers.Add("x-amzn-fragment-timecode-type", timecodeType);
        request.Headers.Add("x-amzn-producer-start-timestamp",
            ((producerStart ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds() / 1000m).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture));
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var acks = new List<JsonElement>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length > 0) acks.Add(JsonDocument.Parse(line).RootElement.Clone());
        }
        return acks;
    }

    /// <summary>Starts a GetMedia call and returns the response once its headers arrived.</summary>
    public async Task<HttpResponseMessage> StartGetMediaAsync(string stream, object startSelector)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/getMedia")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { StreamName = stream, StartSelector = startSelector }), Encoding.UTF8, "application/json"),
        };
        return await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    /// <summary>GetMedia to the end of the response (the store ends it after its idle timeout) and parses it.</summary>
    public async Task<List<ReadFragment>> GetMediaAsync(string stream, object startSelector)
    {
        using HttpResponseMessage response = await StartGetMediaAsync(stream, startSelector);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("video/webm", response.Content.Headers.ContentType?.MediaType);
        return await ParseAsync(await response.Content.ReadAsStreamAsync());
    }

    public static async Task<List<ReadFragment>> ParseAsync(Stream body)
    {
        var handler = new FragmentCollector();
        await new MkvStreamParser().ParseAsync(body, handler);
        return handler.Fragments;
    }

    public static long Seconds(DateTimeOffset t) => t.ToUnixTimeSeconds();
}

/// <summary>What one Segment of GetMedia output held.</summary>
internal sealed class ReadFragment
{
    public MkvFragmentMetadata? Metadata { get; set; }
    public List<(long TimestampNs, byte[] Payload)> Frames { get; } = [];
    public List<MkvSimpleTag> Tags { get; } = [];
}

internal sealed class FragmentCollector : IMkvHandler
{
    public List<ReadFragment> Fragments { get; } = [];

    public void OnSegmentStart(in MkvSegmentStart segment) => Fragments.Add(new ReadFragment());

    public void OnFrame(in MkvFrame frame)
    {
        var payload = new byte[frame.PayloadLength];
        frame.CopyPayloadTo(payload);
        Fragments[^1].Frames.Add((frame.TimestampNs, payload));
    }

    public void OnSimpleTag(MkvSimpleTag tag) => Fragments[^1].Tags.Add(tag);

    public void OnFragmentMetadata(MkvFragmentMetadata metadata) => Fragments[^1].Metadata = metadata;
}

/// <summary>A request body sent in pieces with chunked transfer encoding, flushed after each piece.</summary>
internal sealed class ChunkedContent(byte[] data, int chunkBytes, TimeSpan? delay) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        for (int offset = 0; offset < data.Length; offset += chunkBytes)
        {
            await stream.WriteAsync(data.AsMemory(offset, Math.Min(chunkBytes, data.Length - offset)));
            await stream.FlushAsync();
            if (delay is { } d) await Task.Delay(d);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}

/// <summary>Media for the store tests: ffmpeg speech with ~1 s clusters, and hand-built WebM for what ffmpeg does not write.</summary>
internal static class StoreMedia
{
    private static readonly Lazy<string> SpeechWebmPath = new(() =>
    {
        string path = Path.Combine(TestPaths.Scratch, "store-speech-1s-clusters.webm");
        ProcessRunner.Ffmpeg("-i", MatroskaTestMedia.SpeechWav(), "-c:a", "libopus", "-b:a", "32k", "-cluster_time_limit", "1000", path);
        return path;
    });

    /// <summary>espeak-ng speech as Opus in WebM, one Cluster about every second (ffmpeg, known sizes).</summary>
    public static string SpeechWebm => SpeechWebmPath.Value;

    /// <summary>The frames of a file, read by the Matroska parser: (timestamp, payload) per frame.</summary>
    public static List<(long TimestampNs, byte[] Payload)> Frames(string path)
    {
        var handler = new FragmentCollector();
        handler.Fragments.Add(new ReadFragment());
        new MkvStreamParser().ParseAsync(File.OpenRead(path), handler).AsTask().GetAwaiter().GetResult();
        return handler.Fragments.SelectMany(f => f.Frames).ToList();
    }

    /// <summary>
    /// A live-style WebM like Chromium's MediaRecorder writes: unknown-size Segment and Clusters, Opus track,
    /// clusters at the given timestamps (ms) with 3 frames of 60 ms each.
    /// </summary>
    public static byte[] UnknownSizeWebm(byte[]? tracks, params long[] clusterMs)
    {
        var parts = new List<byte[]> { Ebml.Master(0x1549A966, Ebml.UInt(0x2AD7B1, 1_000_000)), tracks ?? Ebml.OpusTracks() };
        for (int c = 0; c < clusterMs.Length; c++)
        {
            parts.Add(Ebml.MasterUnknownSize(0x1F43B675,
                Ebml.UInt(0xE7, (ulong)clusterMs[c]),
                Ebml.SimpleBlock(1, 0, Ebml.Payload(c * 10 + 1, 120)),
                Ebml.SimpleBlock(1, 60, Ebml.Payload(c * 10 + 2, 130)),
                Ebml.SimpleBlock(1, 120, Ebml.Payload(c * 10 + 3, 140))));
        }
        return Ebml.Concat(Ebml.Header(), Ebml.MasterUnknownSize(0x18538067, [.. parts]));
    }

    /// <summary>A WebM with known sizes whose clusters have the given payload sizes (one frame each) at 1 s steps.</summary>
    public static byte[] KnownSizeWebm(params int[] framePayloadBytes)
    {
        var parts = new List<byte[]> { Ebml.Master(0x1549A966, Ebml.UInt(0x2AD7B1, 1_000_000)), Ebml.OpusTracks() };
        for (int c = 0; c < framePayloadBytes.Length; c++)
        {
            parts.Add(Ebml.Master(0x1F43B675, Ebml.UInt(0xE7, (ulong)(c * 1000)), Ebml.SimpleBlock(1, 0, Ebml.Payload(c, framePayloadBytes[c]))));
        }
        return Ebml.Concat(Ebml.Header(), Ebml.Master(0x18538067, [.. parts]));
    }
}
