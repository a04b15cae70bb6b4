using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using KvsInference.Meeting;
using KvsInference.LocalKvs.Storage;
using KvsInference.LocalKvs.Signaling;
using KvsInference.Sinks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KvsInference.Tests.Meeting;

/// <summary>The short join link (<c>/?join=code</c>) and the status the pages poll (viewers, ended), on real Kestrel and sockets.</summary>
public sealed class MeetingJoinTests : IAsyncLifetime
{
    private readonly HttpClient _http = new();
    private LocalMeetingHost _host = null!;
    private WebApplication _app = null!;
    private KvsInference.LocalKvs.Storage.MediaStore _store = null!;
    private string _url = "";

    public async Task InitializeAsync()
    {
        _host = await LocalMeetingHost.StartAsync("kvsi-meeting-join-");
        (_app, _store, _url) = (_host.App, _host.Store, _host.Url);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _http.Dispose();
    }

    private async Task<JsonElement> CreateAsync()
    {
        using var response = await _http.PostAsJsonAsync(_url + "/meeting/api/meetings", new { video = true });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string path, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _url + path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private async Task<ClientWebSocket> ConnectViewerAsync(string channelArn, string token, string clientId)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"{_url.Replace("http", "ws", StringComparison.Ordinal)}/kvs?X-Amz-ChannelARN={Uri.EscapeDataString(channelArn)}" +
            $"&X-Amz-ClientId={clientId}&{SignalingServer.MeetingTokenQueryParameter}={Uri.EscapeDataString(token)}"), default);
        return socket;
    }

    private static string Status(JsonElement meeting) => "/meeting/api/meetings/" + meeting.GetProperty("id").GetString();

    [Fact]
    public async Task Create_Meeting_JoinPathIsShortAndCarriesNoToken()
    {
        var meeting = await CreateAsync();
        var code = meeting.GetProperty("joinCode").GetString()!;
        var join = meeting.GetProperty("joinPath").GetString()!;
        Assert.Equal("/?join=" + code, join);
        Assert.True(join.Length <= 21, join);
        Assert.DoesNotContain(meeting.GetProperty("viewerToken").GetString()!, join, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Join_IssuedCode_GivesAViewerTokenThatOpensTheChannelAndIsCounted()
    {
        var meeting = await CreateAsync();
        var (status, grant) = await GetAsync("/meeting/api/join/" + meeting.GetProperty("joinCode").GetString()!.ToUpperInvariant());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("local", grant.GetProperty("mode").GetString());
        Assert.Equal(meeting.GetProperty("channelArn").GetString(), grant.GetProperty("channelArn").GetString());
        Assert.Equal("/kvs", grant.GetProperty("signalingPath").GetString());
        Assert.True(grant.GetProperty("video").GetBoolean());
        var token = grant.GetProperty("viewerToken").GetString()!;

        var (before, empty) = await GetAsync(Status(meeting), token);
        Assert.Equal(HttpStatusCode.OK, before);
        Assert.Equal(0, empty.GetProperty("viewers").GetInt32());
        Assert.Equal(10, empty.GetProperty("maxViewers").GetInt32());
        Assert.False(empty.GetProperty("masterConnected").GetBoolean());

        using var first = await ConnectViewerAsync(grant.GetProperty("channelArn").GetString()!, token, "viewer-a");
        using var second = await ConnectViewerAsync(grant.GetProperty("channelArn").GetString()!, token, "viewer-b");
        var counted = 0;
        for (var i = 0; i < 100 && counted != 2; i++)
        {
            counted = (await GetAsync(Status(meeting), meeting.GetProperty("masterToken").GetString())).Body.GetProperty("viewers").GetInt32();
            if (counted != 2) await Task.Delay(50);
        }
        Assert.Equal(2, counted);
    }

    [Fact]
    public async Task Join_UnknownCode_404NamingTheLink()
    {
        await CreateAsync();
        var (status, body) = await GetAsync("/meeting/api/join/abcd-efgh-jkmn");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("check the link", body.GetProperty("message").GetString());
    }

    [Fact]
    public async Task JoinAndStatus_MeetingEndedByItsMaster_410()
    {
        var meeting = await CreateAsync();
        var viewerToken = meeting.GetProperty("viewerToken").GetString();
        using (var end = new HttpRequestMessage(HttpMethod.Delete, _url + Status(meeting)))
        {
            end.Headers.Authorization = new AuthenticationHeaderValue("Bearer", meeting.GetProperty("masterToken").GetString());
            using var ended = await _http.SendAsync(end);
            Assert.Equal(HttpStatusCode.NoContent, ended.StatusCode);
        }
        var (join, joinBody) = await GetAsync("/meeting/api/join/" + meeting.GetProperty("joinCode").GetString());
        Assert.Equal(HttpStatusCode.Gone, join);
        Assert.Contains("has ended", joinBody.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.Gone, (await GetAsync(Status(meeting), viewerToken)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("/meeting/api/meetings/000000000000", viewerToken)).Status);
    }

    [Fact]
    public async Task Status_NoTokenOrAnotherMeetingsToken_403()
    {
        var meeting = await CreateAsync();
        var other = await CreateAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(Status(meeting))).Status);
        var (status, body) = await GetAsync(Status(meeting), other.GetProperty("viewerToken").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("channel", body.GetProperty("message").GetString());
    }
}
