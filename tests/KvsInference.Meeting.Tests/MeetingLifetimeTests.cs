using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using KvsInference.Meeting;
using KvsInference.LocalKvs.Storage;
using KvsInference.LocalKvs.Signaling;
using KvsInference.Sinks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace KvsInference.Tests.Meeting;

/// <summary>Meetings end and free their slot; only same-site JSON on a known Host creates them (real Kestrel, real sockets).</summary>
public sealed class MeetingLifetimeTests : IAsyncLifetime
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(10);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly HttpClient _http = new();
    private LocalMeetingHost _host = null!;
    private WebApplication _app = null!;
    private KvsInference.LocalKvs.Storage.MediaStore _store = null!;
    private string _url = "";

    private LocalMeetingService Meetings => _app.Services.GetRequiredService<LocalMeetingService>();

    public async Task InitializeAsync()
    {
        _host = await LocalMeetingHost.StartAsync("kvsi-meeting-life-",
            o => { o.MaxMeetings = 2; o.IdleTimeout = IdleTimeout; o.AllowedHosts.Add("meet.example.org"); }, _time);
        (_app, _store, _url) = (_host.App, _host.Store, _host.Url);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _http.Dispose();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> CreateAsync()
    {
        using var response = await _http.PostAsJsonAsync(_url + "/meeting/api/meetings", new { video = false });
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private async Task<HttpStatusCode> EndAsync(JsonElement meeting, string tokenProperty)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"{_url}/meeting/api/meetings/{meeting.GetProperty("id").GetString()}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", meeting.GetProperty(tokenProperty).GetString());
        using var response = await _http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task End_MasterToken_MeetingGoneAndSlotFree()
    {
        var first = (await CreateAsync()).Body;
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync()).Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await CreateAsync()).Status);

        Assert.Equal(HttpStatusCode.Forbidden, await EndAsync(first, "viewerToken"));
        Assert.Equal(HttpStatusCode.NoContent, await EndAsync(first, "masterToken"));
        Assert.Equal(HttpStatusCode.NotFound, await EndAsync(first, "masterToken"));

        var signaling = _app.Services.GetRequiredService<SignalingServer>();
        Assert.Null(signaling.FindChannel(first.GetProperty("channelArn").GetString()!));
        Assert.DoesNotContain(_store.ListStreams(), s => s.StreamName == first.GetProperty("streamName").GetString());
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync()).Status);
    }

    [Fact]
    public async Task SweepIdle_NoConnectionForTheIdleTimeout_MeetingEndsWhileAConnectedOneStays()
    {
        var idle = (await CreateAsync()).Body;
        var busy = (await CreateAsync()).Body;
        using var master = new ClientWebSocket();
        var query = $"X-Amz-ChannelARN={Uri.EscapeDataString(busy.GetProperty("channelArn").GetString()!)}&{SignalingServer.MeetingTokenQueryParameter}={Uri.EscapeDataString(busy.GetProperty("masterToken").GetString()!)}";
        await master.ConnectAsync(new Uri($"{_url.Replace("http", "ws")}/kvs?{query}"), default);
        var channel = _app.Services.GetRequiredService<SignalingServer>().FindChannel(busy.GetProperty("channelArn").GetString()!)!;
        await WaitUntilAsync(() => channel.HasMaster);

        for (var i = 0; i < 12 && Meetings.Find(idle.GetProperty("id").GetString()!) is not null; i++)
        {
            _time.Advance(IdleTimeout / 4);
            await Task.Delay(50);
        }
        await WaitUntilAsync(() => Meetings.Find(idle.GetProperty("id").GetString()!) is null);
        Assert.NotNull(Meetings.Find(busy.GetProperty("id").GetString()!));
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync()).Status);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData(null)]
    public async Task Create_NotApplicationJson_415AndNoMeeting(string? contentType)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("{}"));
        if (contentType is not null) content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var response = await _http.PostAsync(_url + "/meeting/api/meetings", content);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("application/json", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, Meetings.Count);
    }

    [Theory]
    [InlineData("attacker.example", HttpStatusCode.MisdirectedRequest)]
    [InlineData("localhost", HttpStatusCode.Created)]
    [InlineData("MEET.example.org", HttpStatusCode.Created)]
    public async Task Create_HostHeader_OnlyConfiguredNamesAnswered(string host, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _url + "/meeting/api/meetings") { Content = JsonContent.Create(new { video = false }) };
        request.Headers.Host = host + ":" + new Uri(_url).Port;
        using var response = await _http.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(expected == HttpStatusCode.Created, text.Contains("masterToken", StringComparison.Ordinal));

        using var page = new HttpRequestMessage(HttpMethod.Get, _url + "/");
        page.Headers.Host = host;
        using var pageResponse = await _http.SendAsync(page);
        Assert.Equal(expected == HttpStatusCode.Created ? HttpStatusCode.OK : expected, pageResponse.StatusCode);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 20 s");
            await Task.Delay(20);
        }
    }
}
