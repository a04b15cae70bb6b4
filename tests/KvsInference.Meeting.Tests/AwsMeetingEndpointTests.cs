using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Amazon.Runtime;
using KvsInference.Aws;
using KvsInference.Aws.KinesisVideo;
using KvsInference.Inference;
using KvsInference.Meeting;
using KvsInference.LocalKvs.Signaling;
using KvsInference.Sinks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace KvsInference.Tests.Meeting;

/// <summary>
/// The meeting API in AWS mode, against <see cref="KvsStandIn"/> (a loopback stand-in of KVS: AWS cannot be reached
/// here): what creating a meeting does on "KVS", what the page gets, and that the presigned URLs open the channels
/// in the right role while altered ones do not.
/// </summary>
public sealed class AwsMeetingEndpointTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private KvsStandIn _kvs = null!;
    private WebApplication _app = null!;
    private KinesisVideoClient _client = null!;
    private RecordBroadcaster _records = null!;
    private string _url = "";
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync()
    {
        _kvs = await KvsStandIn.StartAsync([new IceServer(["turn:127.0.0.1:3479?transport=udp"], "turn-user", "turn-pass")]);
        _client = new KinesisVideoClient(new KinesisVideoClientOptions
        {
            Region = KvsStandIn.Region,
            ServiceUrl = _kvs.ControlPlane,
            Credentials = new BasicAWSCredentials(KvsStandIn.AccessKeyId, KvsStandIn.SecretAccessKey),
            Resilience = new AwsResilienceOptions { MaxRetryAttempts = 1, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) },
        });
        _records = new RecordBroadcaster();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(_client).AddSingleton(_records).AddKvsMeeting(o =>
        {
            o.Mode = MeetingMode.Aws;
            o.StreamPrefix = "meeting-";
            o.StreamRetentionHours = 2;
        });
        _app = builder.Build();
        _app.MapKvsMeeting();
        await _app.StartAsync();
        _url = _app.Urls.First();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _kvs.DisposeAsync();
        _client.Dispose();
        _http.Dispose();
    }

    private async Task<JsonElement> CreateAsync()
    {
        using var response = await _http.PostAsJsonAsync(_url + "/meeting/api/meetings", new { video = true });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        Assert.DoesNotContain(KvsStandIn.SecretAccessKey, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<(HttpStatusCode Status, string Text)> PostAsync(string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _url + path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<ClientWebSocket> ConnectAsync(string url)
    {
        var ws = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(Patience);
        await ws.ConnectAsync(new Uri(url), timeout.Token);
        return ws;
    }

    [Fact]
    public async Task Create_AwsMode_MeetingAndIngestChannelsStreamCreatedAndOnlyIngestLinked()
    {
        var meeting = await CreateAsync();

        var id = meeting.GetProperty("id").GetString()!;
        var streamName = meeting.GetProperty("streamName").GetString()!;
        var channelArn = meeting.GetProperty("channelArn").GetString()!;
        var ingestArn = meeting.GetProperty("ingestChannelArn").GetString()!;
        Assert.Equal("aws", meeting.GetProperty("mode").GetString());
        Assert.Equal("meeting-" + id, streamName);
        Assert.Equal("meeting-" + id, _kvs.Signaling.FindChannel(channelArn)!.Name);
        Assert.Equal("meeting-" + id + "-ingest", _kvs.Signaling.FindChannel(ingestArn)!.Name);
        Assert.True(_kvs.HasStream(streamName));
        var (status, linked) = _kvs.StorageOf(ingestArn);
        Assert.Equal("ENABLED", status);
        Assert.Contains(":stream/" + streamName + "/", linked);
        // Viewers meet the master peer-to-peer: KVS makes no such connections on a channel that stores media.
        Assert.Equal("DISABLED", _kvs.StorageOf(channelArn).Status);
        Assert.Equal("/?join=" + meeting.GetProperty("joinCode").GetString(), meeting.GetProperty("joinPath").GetString());
        Assert.Equal(["describeSignalingChannel", "createSignalingChannel", "describeSignalingChannel"], _kvs.Operations.Take(3));
        Assert.Contains("updateMediaStorageConfiguration", _kvs.Operations);
        Assert.Equal(3, _kvs.Operations.Count(o => o == "getSignalingChannelEndpoint"));
    }

    [Fact]
    public async Task Connection_MasterToken_PresignedUrlsOpenBothChannelsAsMasterAndAlteredOnesAreRefused()
    {
        var meeting = await CreateAsync();
        var id = meeting.GetProperty("id").GetString()!;

        var (status, text) = await PostAsync($"/meeting/api/meetings/{id}/connection", meeting.GetProperty("masterToken").GetString());

        Assert.True(status == HttpStatusCode.OK, text);
        Assert.DoesNotContain(KvsStandIn.SecretAccessKey, text);
        var connection = JsonDocument.Parse(text).RootElement;
        Assert.Equal("master", connection.GetProperty("role").GetString());
        var meetingUrl = connection.GetProperty("meeting").GetProperty("url").GetString()!;
        var ingestUrl = connection.GetProperty("ingest").GetProperty("url").GetString()!;
        Assert.Contains("X-Amz-Expires=299", meetingUrl);
        Assert.DoesNotContain("X-Amz-ClientId", meetingUrl);
        var ice = connection.GetProperty("meeting").GetProperty("iceServers")[0];
        Assert.Equal("turn:127.0.0.1:3479?transport=udp", ice.GetProperty("urls")[0].GetString());
        Assert.Equal(("turn-user", "turn-pass"), (ice.GetProperty("username").GetString(), ice.GetProperty("credential").GetString()));
        // The stand-in is no AWS host, so no KVS STUN server is added; nulls are absent, not "null", for RTCPeerConnection.
        Assert.Equal(1, connection.GetProperty("meeting").GetProperty("iceServers").GetArrayLength());
        Assert.False(connection.GetProperty("meeting").TryGetProperty("clientId", out _));

        using (var master = await ConnectAsync(meetingUrl))
        using (var ingest = await ConnectAsync(ingestUrl))
        {
            Assert.Equal(WebSocketState.Open, master.State);
            Assert.Equal(WebSocketState.Open, ingest.State);
            await WaitAsync(() => _kvs.Signaling.FindChannel(meeting.GetProperty("ingestChannelArn").GetString()!)!.HasMaster);
            Assert.True(_kvs.Signaling.FindChannel(meeting.GetProperty("channelArn").GetString()!)!.HasMaster);
        }
        var tampered = meetingUrl.Replace("X-Amz-Expires=299", "X-Amz-Expires=298", StringComparison.Ordinal);
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(tampered));
        Assert.Contains("403", refused.Message);
        var otherChannel = meetingUrl.Replace(Uri.EscapeDataString(meeting.GetProperty("channelArn").GetString()!),
            Uri.EscapeDataString(meeting.GetProperty("ingestChannelArn").GetString()!), StringComparison.Ordinal);
        Assert.Contains("403", (await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(otherChannel))).Message);
    }

    [Fact]
    public async Task Connection_ViewerToken_OnlyTheMeetingChannelWithAPrefixedClientId()
    {
        var meeting = await CreateAsync();
        var id = meeting.GetProperty("id").GetString()!;

        var (status, text) = await PostAsync($"/meeting/api/meetings/{id}/connection", meeting.GetProperty("viewerToken").GetString());

        Assert.True(status == HttpStatusCode.OK, text);
        var connection = JsonDocument.Parse(text).RootElement;
        Assert.Equal("viewer", connection.GetProperty("role").GetString());
        Assert.False(connection.TryGetProperty("ingest", out _));
        var clientId = connection.GetProperty("meeting").GetProperty("clientId").GetString()!;
        Assert.StartsWith("kvsi-viewer-", clientId);
        var url = connection.GetProperty("meeting").GetProperty("url").GetString()!;
        Assert.Contains("X-Amz-ClientId=" + clientId, url);
        using var viewer = await ConnectAsync(url);
        await WaitAsync(() => _kvs.Signaling.FindChannel(meeting.GetProperty("channelArn").GetString()!)!.ViewerCount == 1);
    }

    [Fact]
    public async Task Connection_BadTokenOrMeeting_RefusedNaming()
    {
        var meeting = await CreateAsync();
        var id = meeting.GetProperty("id").GetString()!;
        var other = await CreateAsync();

        var none = await PostAsync($"/meeting/api/meetings/{id}/connection", null);
        var wrong = await PostAsync($"/meeting/api/meetings/{id}/connection", other.GetProperty("masterToken").GetString());
        var unknown = await PostAsync("/meeting/api/meetings/nope/connection", meeting.GetProperty("masterToken").GetString());
        var viewerJoins = await PostAsync($"/meeting/api/meetings/{id}/storage-session", meeting.GetProperty("viewerToken").GetString());

        Assert.Equal((HttpStatusCode.Forbidden, true), (none.Status, none.Text.Contains("missing")));
        Assert.Equal((HttpStatusCode.Forbidden, true), (wrong.Status, wrong.Text.Contains("another channel")));
        Assert.Equal((HttpStatusCode.NotFound, true), (unknown.Status, unknown.Text.Contains("no meeting")));
        Assert.Equal((HttpStatusCode.Forbidden, true), (viewerJoins.Status, viewerJoins.Text.Contains("master token")));
        Assert.Empty(_kvs.Joins);
    }

    [Fact]
    public async Task StorageSession_MasterOnIngestChannel_JoinStorageSessionCalledForIt()
    {
        var meeting = await CreateAsync();
        var id = meeting.GetProperty("id").GetString()!;
        var masterToken = meeting.GetProperty("masterToken").GetString()!;
        var ingestArn = meeting.GetProperty("ingestChannelArn").GetString()!;

        // Before the master's ingestion socket is open, the (stand-in) storage session has nobody to offer to.
        var early = await PostAsync($"/meeting/api/meetings/{id}/storage-session", masterToken);
        var connection = JsonDocument.Parse((await PostAsync($"/meeting/api/meetings/{id}/connection", masterToken)).Text).RootElement;
        using var ingest = await ConnectAsync(connection.GetProperty("ingest").GetProperty("url").GetString()!);
        await WaitAsync(() => _kvs.Signaling.FindChannel(ingestArn)!.HasMaster);
        var joined = await PostAsync($"/meeting/api/meetings/{id}/storage-session", masterToken);

        Assert.Equal(HttpStatusCode.BadGateway, early.Status);
        Assert.Contains("ResourceNotFoundException", early.Text);
        Assert.True(joined.Status == HttpStatusCode.OK, joined.Text);
        Assert.Equal(ingestArn, JsonDocument.Parse(joined.Text).RootElement.GetProperty("channelArn").GetString());
        Assert.Equal([ingestArn], _kvs.Joins);
    }

    [Fact]
    public async Task Records_AwsMode_PublishedRecordsReachTheMeetingsPage()
    {
        var meeting = await CreateAsync();
        var stream = meeting.GetProperty("streamName").GetString()!;
        using var response = await _http.GetAsync($"{_url}/meeting/records?stream={stream}&token={Uri.EscapeDataString(meeting.GetProperty("viewerToken").GetString()!)}",
            HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.StartsWith(": records of " + stream, await reader.ReadLineAsync().WaitAsync(Patience));

        _records.Publish([new InferenceRecord
        {
            StreamName = "meeting-other", FragmentNumber = "1", StartOffsetMs = 0, FrameRate = 60, Frames = [], Model = "m", RecordId = "other/1/0",
        }, new InferenceRecord
        {
            StreamName = stream, FragmentNumber = "9", ProducerTimestamp = 1700000000000, StartOffsetMs = 200, FrameRate = 60,
            Frames = [new VisemeFrame(0, 0, 0, 0, 0, 0.5f, 0)], Model = "m", RecordId = stream + "/9/200",
        }]);

        string? line;
        do line = await reader.ReadLineAsync().WaitAsync(Patience);
        while (line is not null && !line.StartsWith("data: ", StringComparison.Ordinal));
        var record = JsonDocument.Parse(line![6..]).RootElement;
        Assert.Equal(stream + "/9/200", record.GetProperty("recordId").GetString());
    }

    [Fact]
    public async Task End_MasterToken_ChannelsAndStreamDeletedOnKvsAndTheMeetingGone()
    {
        var meeting = await CreateAsync();
        var id = meeting.GetProperty("id").GetString()!;
        using var viewer = await ConnectAsync(JsonDocument.Parse((await PostAsync($"/meeting/api/meetings/{id}/connection",
            meeting.GetProperty("viewerToken").GetString())).Text).RootElement.GetProperty("meeting").GetProperty("url").GetString()!);

        var byViewer = await DeleteAsync(id, meeting.GetProperty("viewerToken").GetString());
        var byMaster = await DeleteAsync(id, meeting.GetProperty("masterToken").GetString());
        var again = await DeleteAsync(id, meeting.GetProperty("masterToken").GetString());

        Assert.Equal(HttpStatusCode.Forbidden, byViewer);
        Assert.Equal(HttpStatusCode.NoContent, byMaster);
        Assert.Equal(HttpStatusCode.NotFound, again);
        Assert.Null(_kvs.Signaling.FindChannel(meeting.GetProperty("channelArn").GetString()!));
        Assert.Null(_kvs.Signaling.FindChannel(meeting.GetProperty("ingestChannelArn").GetString()!));
        Assert.False(_kvs.HasStream(meeting.GetProperty("streamName").GetString()!));
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync($"/meeting/api/meetings/{id}/connection", meeting.GetProperty("masterToken").GetString())).Status);
        // Deleting the channel ends its connections (the viewer was on it): GO_AWAY, then close.
        Assert.True(await EndsAsync(viewer), "the viewer's connection did not end");
    }

    [Fact]
    public async Task StatusAndJoin_AwsMeetingLiveThenEnded_OkWithoutViewerCountThen410()
    {
        var meeting = await CreateAsync();
        var id = meeting.GetProperty("id").GetString()!;
        var code = meeting.GetProperty("joinCode").GetString()!;
        var viewerToken = meeting.GetProperty("viewerToken").GetString();

        var (live, status) = await GetAsync($"/meeting/api/meetings/{id}", viewerToken);
        Assert.Equal(HttpStatusCode.OK, live);
        Assert.Equal(JsonValueKind.Null, status.GetProperty("viewers").ValueKind); // KVS does not say who is connected
        Assert.Equal(10, status.GetProperty("maxViewers").GetInt32());
        var (joined, grant) = await GetAsync("/meeting/api/join/" + code, null);
        Assert.Equal(HttpStatusCode.OK, joined);
        Assert.Equal("aws", grant.GetProperty("mode").GetString());
        Assert.Equal(id, grant.GetProperty("meetingId").GetString());
        Assert.Equal(viewerToken, grant.GetProperty("viewerToken").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync($"/meeting/api/meetings/{id}", null)).Status);

        Assert.Equal(HttpStatusCode.NoContent, await DeleteAsync(id, meeting.GetProperty("masterToken").GetString()));
        Assert.Equal(HttpStatusCode.Gone, (await GetAsync($"/meeting/api/meetings/{id}", viewerToken)).Status);
        Assert.Equal(HttpStatusCode.Gone, (await GetAsync("/meeting/api/join/" + code, null)).Status);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _url + path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Fact]
    public async Task SweepIdle_UnusedForTheIdleTimeout_MeetingEndsWithItsKvsResourcesWhileAWatchedOneStays()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new MeetingOptions { Mode = MeetingMode.Aws, StreamPrefix = "idle-", StreamRetentionHours = 2, MaxMeetings = 2, IdleTimeout = TimeSpan.FromMinutes(10) };
        using var meetings = new AwsMeetingService(options, _client, new MeetingTokens(new byte[32], time), _records, time);
        var idle = await CreateOnFakeClockAsync(meetings, time);
        var watched = await CreateOnFakeClockAsync(meetings, time);
        using var records = meetings.Use(watched);

        time.Advance(TimeSpan.FromMinutes(11));
        meetings.SweepIdle();

        await WaitAsync(() => !_kvs.HasStream(idle.StreamName) && _kvs.Signaling.FindChannel(idle.IngestChannelArn) is null);
        Assert.Null(_kvs.Signaling.FindChannel(idle.ChannelArn));
        Assert.Null(meetings.Authorize(idle.StreamName, idle.ViewerToken, out _));
        Assert.NotNull(meetings.Authorize(watched.StreamName, watched.ViewerToken, out _));
        Assert.True(_kvs.HasStream(watched.StreamName));
        // The idle meeting's slot is free again (MaxMeetings 2).
        await CreateOnFakeClockAsync(meetings, time);
    }

    /// <summary>Creates a meeting while moving the fake clock on: creating waits (on that clock) for a new stream to become ACTIVE.</summary>
    private static async Task<AwsMeetingInfo> CreateOnFakeClockAsync(AwsMeetingService meetings, FakeTimeProvider time)
    {
        var create = meetings.CreateAsync(video: false, CancellationToken.None);
        while (!create.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(500));
            await Task.WhenAny(create, Task.Delay(10));
        }
        return await create;
    }

    /// <summary>Whether a signaling connection gets GO_AWAY or is closed within the patience.</summary>
    private static async Task<bool> EndsAsync(ClientWebSocket ws)
    {
        var buffer = new byte[16 * 1024];
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            while (true)
            {
                var r = await ws.ReceiveAsync(buffer, timeout.Token);
                if (r.MessageType == WebSocketMessageType.Close || System.Text.Encoding.UTF8.GetString(buffer, 0, r.Count).Contains("GO_AWAY")) return true;
            }
        }
        catch (WebSocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<HttpStatusCode> DeleteAsync(string id, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"{_url}/meeting/api/meetings/{id}");
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold in time");
            await Task.Delay(20);
        }
    }
}
