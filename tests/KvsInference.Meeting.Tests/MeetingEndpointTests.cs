using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using KvsInference.Inference;
using KvsInference.Meeting;
using KvsInference.LocalKvs.Storage;
using KvsInference.LocalKvs.Signaling;
using KvsInference.Sinks;
using KvsInference.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KvsInference.Tests.Meeting;

public sealed class MeetingEndpointTests : IAsyncLifetime
{
    private LocalMeetingHost _host = null!;
    private WebApplication _app = null!;
    private KvsInference.LocalKvs.Storage.MediaStore _store = null!;
    private RecordBroadcaster _records = null!;
    private string _url = "";
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        _host = await LocalMeetingHost.StartAsync("kvsi-meeting-", o => o.StreamPrefix = "avatar-demo-meeting-");
        (_app, _store, _url, _records) = (_host.App, _host.Store, _host.Url, _host.Records);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _http.Dispose();
    }

    private async Task<JsonElement> CreateMeetingAsync()
    {
        using var response = await _http.PostAsJsonAsync(_url + "/meeting/api/meetings", new { video = false });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task Page_Get_ServesEmbeddedAssets()
    {
        Assert.Contains("meeting.js", await _http.GetStringAsync(_url + "/"));
        Assert.Contains("KvsFace", await _http.GetStringAsync(_url + "/meeting/face.js"));
    }

    // The page is ES modules that import one another by relative URL: a module the server does not serve would leave
    // the page dead in the browser with nothing but a console error.
    [Fact]
    public async Task Page_EveryModuleThePageImports_IsServedAsJavaScript()
    {
        var page = await _http.GetStringAsync(_url + "/");
        var pending = new Queue<string>(Regex.Matches(page, "<script type=\"module\" src=\"(/meeting/[^\"]+)\"")
            .Select(m => m.Groups[1].Value));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pending.TryDequeue(out var path))
        {
            if (!seen.Add(path)) continue;
            using var response = await _http.GetAsync(_url + path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
            Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
            var script = await response.Content.ReadAsStringAsync();
            foreach (Match import in Regex.Matches(script, @"^import .* from '\./([\w-]+\.js)';", RegexOptions.Multiline))
            {
                pending.Enqueue("/meeting/" + import.Groups[1].Value);
            }
        }
        Assert.Contains("/meeting/meeting.js", seen);
        Assert.Contains("/meeting/state.js", seen); // reached only through the imports
        Assert.True(seen.Count >= 15, string.Join(", ", seen));
    }

    [Fact]
    public async Task Create_BadBody_Returns400Naming()
    {
        using var response = await _http.PostAsync(_url + "/meeting/api/meetings", new StringContent("{\"video\":3}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("must be true or false", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Ingest_ChromiumWebmInChunks_PersistsEveryClusterAsFragment()
    {
        var meeting = await CreateMeetingAsync();
        var stream = meeting.GetProperty("streamName").GetString()!;
        Assert.StartsWith("avatar-demo-meeting-", stream);
        var webm = await File.ReadAllBytesAsync(Path.Combine(TestPaths.RepoRoot, "tests", "KvsInference.Core.Tests", "Media", "chromium-mediarecorder.webm"));
        using var ws = new ClientWebSocket();
        var token = Uri.EscapeDataString(meeting.GetProperty("masterToken").GetString()!);
        long start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await ws.ConnectAsync(new Uri($"{_url.Replace("http", "ws")}/meeting/ingest?stream={stream}&token={token}&producerStart={start}"), default);
        for (int i = 0; i < webm.Length; i += 3000)
        {
            await ws.SendAsync(webm.AsMemory(i, Math.Min(3000, webm.Length - i)), WebSocketMessageType.Binary, true, default);
        }
        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", default);
        var acks = new List<string>();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, timeout.Token);
            if (r.MessageType == WebSocketMessageType.Close) break;
            acks.Add(Encoding.UTF8.GetString(buffer, 0, r.Count));
        }
        var persisted = acks.Count(a => a.Contains("\"PERSISTED\"", StringComparison.Ordinal));
        var fragments = _store.ListFragments(stream);
        Assert.True(fragments.Count == 4, string.Join("\n", acks)); // the file's four Clusters
        Assert.Equal(4, persisted);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(start), fragments[0].ProducerTimestamp);
    }

    [Fact]
    public async Task Ingest_ViewerToken_Refused403()
    {
        var meeting = await CreateMeetingAsync();
        using var ws = new ClientWebSocket();
        var token = Uri.EscapeDataString(meeting.GetProperty("viewerToken").GetString()!);
        var e = await Assert.ThrowsAsync<WebSocketException>(() => ws.ConnectAsync(
            new Uri($"{_url.Replace("http", "ws")}/meeting/ingest?stream={meeting.GetProperty("streamName").GetString()}&token={token}"), default));
        Assert.Contains("403", e.Message);
    }

    [Fact]
    public async Task Records_Subscribed_StreamsTheMeetingsRecordsAsServerSentEvents()
    {
        var meeting = await CreateMeetingAsync();
        var stream = meeting.GetProperty("streamName").GetString()!;
        var token = Uri.EscapeDataString(meeting.GetProperty("viewerToken").GetString()!);
        using var response = await _http.GetAsync($"{_url}/meeting/records?stream={stream}&token={token}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.StartsWith(": records of", await reader.ReadLineAsync());
        await _records.WriteAsync([new InferenceRecord
        {
            StreamName = stream, FragmentNumber = "9", StartOffsetMs = 40, FrameRate = 60, Model = "t",
            Frames = [new VisemeFrame(0.1f, 0, 0, 0, 0, 0.7f, 0)], RecordId = "x",
        }], default);
        string? line;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        do line = await reader.ReadLineAsync(timeout.Token); while (line is not null && !line.StartsWith("data: ", StringComparison.Ordinal));
        var record = JsonDocument.Parse(line!["data: ".Length..]).RootElement;
        Assert.Equal(0.7, record.GetProperty("frames")[0].GetProperty("jawOpen").GetDouble(), 3);
        Assert.Equal("9", record.GetProperty("fragmentNumber").GetString());
    }
}
