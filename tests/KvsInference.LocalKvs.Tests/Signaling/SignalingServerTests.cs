using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using KvsInference.LocalKvs.Signaling;
using Microsoft.Extensions.Time.Testing;

namespace KvsInference.Tests.Signaling;

public sealed class SignalingServerTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    private static Task<SignalingHost> StartAsync(Action<SignalingOptions>? configure = null, TimeProvider? time = null)
    {
        var options = new SignalingOptions();
        configure?.Invoke(options);
        return SignalingHost.StartAsync(options, new SignalingHostOptions { TlsPort = null }, time);
    }

    [Fact]
    public async Task HandleConnect_MasterAndViewer_ExchangeOfferAnswerAndCandidates()
    {
        await using var host = await StartAsync();
        var channel = host.Server.CreateChannel("meeting-1");
        await using var master = await SignalingTestClient.ConnectAsync(host, channel, null);
        await using var viewer = await SignalingTestClient.ConnectAsync(host, channel, "viewer-1");

        var offer = new { type = "offer", sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n" };
        await viewer.SendAsync("SDP_OFFER", offer);
        var atMaster = (await master.ReceiveAsync())!.Value;
        Assert.Equal("SDP_OFFER", atMaster.GetProperty("messageType").GetString());
        Assert.Equal("viewer-1", atMaster.GetProperty("senderClientId").GetString());
        Assert.Equal(SignalingTestClient.Payload(offer), atMaster.GetProperty("messagePayload").GetString());

        var answer = new { type = "answer", sdp = "v=0\r\n" };
        await master.SendAsync("SDP_ANSWER", answer, recipientClientId: "viewer-1");
        var atViewer = (await viewer.ReceiveAsync())!.Value;
        Assert.Equal("SDP_ANSWER", atViewer.GetProperty("messageType").GetString());
        Assert.False(atViewer.TryGetProperty("senderClientId", out _));
        Assert.Equal(SignalingTestClient.Payload(answer), atViewer.GetProperty("messagePayload").GetString());

        var candidate = new { candidate = "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", sdpMid = "0", sdpMLineIndex = 0 };
        await viewer.SendAsync("ICE_CANDIDATE", candidate);
        await master.SendAsync("ICE_CANDIDATE", candidate, recipientClientId: "viewer-1");
        Assert.Equal("ICE_CANDIDATE", (await master.ReceiveAsync())!.Value.GetProperty("messageType").GetString());
        Assert.Equal("ICE_CANDIDATE", (await viewer.ReceiveAsync())!.Value.GetProperty("messageType").GetString());
    }

    [Fact]
    public async Task HandleConnect_TwoViewers_MasterMessageReachesOnlyTheRecipient()
    {
        await using var host = await StartAsync();
        var channel = host.Server.CreateChannel("meeting-1");
        await using var master = await SignalingTestClient.ConnectAsync(host, channel, null);
        await using var a = await SignalingTestClient.ConnectAsync(host, channel, "a");
        await using var b = await SignalingTestClient.ConnectAsync(host, channel, "b");

        await master.SendAsync("SDP_ANSWER", new { type = "answer", sdp = "for b" }, recipientClientId: "b");
        var atB = (await b.ReceiveAsync())!.Value;
        Assert.Equal(SignalingTestClient.Payload(new { type = "answer", sdp = "for b" }), atB.GetProperty("messagePayload").GetString());
        Assert.True(await a.ReceivesNothingAsync(Quiet));
    }

    [Fact]
    public async Task HandleConnect_TwoChannels_MessagesStayInTheirChannel()
    {
        await using var host = await StartAsync();
        var one = host.Server.CreateChannel("one");
        var two = host.Server.CreateChannel("two");
        await using var masterOne = await SignalingTestClient.ConnectAsync(host, one, null);
        await using var masterTwo = await SignalingTestClient.ConnectAsync(host, two, null);
        await using var viewerTwo = await SignalingTestClient.ConnectAsync(host, two, "v");

        // Master one addresses a viewer that exists only on channel two: refused, not delivered.
        await masterOne.SendAsync("SDP_ANSWER", new { type = "answer", sdp = "x" }, recipientClientId: "v", correlationId: "c1");
        var status = (await masterOne.ReceiveAsync())!.Value;
        Assert.Equal("STATUS_RESPONSE", status.GetProperty("messageType").GetString());
        Assert.Equal("c1", status.GetProperty("statusResponse").GetProperty("correlationId").GetString());
        Assert.Equal("ResourceNotFoundException", status.GetProperty("statusResponse").GetProperty("errorType").GetString());

        await viewerTwo.SendAsync("SDP_OFFER", new { type = "offer", sdp = "y" });
        Assert.Equal("SDP_OFFER", (await masterTwo.ReceiveAsync())!.Value.GetProperty("messageType").GetString());
        Assert.True(await masterOne.ReceivesNothingAsync(Quiet));
        Assert.True(await viewerTwo.ReceivesNothingAsync(Quiet));
    }

    [Fact]
    public async Task HandleConnect_TokenForAnotherChannel_Forbidden()
    {
        await using var host = await StartAsync();
        var one = host.Server.CreateChannel("one");
        var two = host.Server.CreateChannel("two");
        var tokenForTwo = host.Server.Tokens.Issue(two.Arn, SignalingRole.Viewer, null, TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.Forbidden, await SignalingTestClient.TryConnectAsync(SignalingTestClient.BuildUri(host, one, "v", tokenForTwo)));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await SignalingTestClient.TryConnectAsync(SignalingTestClient.BuildUri(host, two, "v", tokenForTwo)));
    }

    [Fact]
    public async Task HandleConnect_NoCredentials_Forbidden()
    {
        await using var host = await StartAsync();
        var channel = host.Server.CreateChannel("one");
        Assert.Equal(HttpStatusCode.Forbidden, await SignalingTestClient.TryConnectAsync(SignalingTestClient.BuildUri(host, channel, "v", token: null)));
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData("e30.AAAA")]
    public async Task HandleConnect_BadToken_Forbidden(string token)
    {
        await using var host = await StartAsync();
        var channel = host.Server.CreateChannel("one");
        Assert.Equal(HttpStatusCode.Forbidden, await SignalingTestClient.TryConnectAsync(SignalingTestClient.BuildUri(host, channel, "v", token)));
    }

    [Fact]
    public async Task HandleConnect_ViewerTokenUsedAsMaster_Forbidden()
    {
        await using var host = await StartAsync();
        var channel = host.Server.CreateChannel("one");
        var viewerToken = host.Server.Tokens.Issue(channel.Arn, SignalingRole.Viewer, "v", TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.Forbidden, await SignalingTestClient.TryConnectAsync(SignalingTestClient.BuildUri(host, channel, null, viewerToken)));
        Assert.Equal(HttpStatusCode.Forbidden, await SignalingTestClient.TryConnectAsync(SignalingTestClient.BuildUri(host, channel, "w", viewerToken)));
    }

    [Fact]
    public async Task HandleConnect_UnknownChannel_NotFound()
    {
        await using var host = await StartAsync(o => o.AllowAnonymous = true);
        var uri = new UriBuilder(host.WebSocketUrl!) { Query = "X-Amz-ChannelARN=" + Uri.EscapeDataString("arn:aws:kinesisvideo:us-west-2:123456789012:channel/nope/1") }.Uri;
        Assert.Equal(HttpStatusCode.NotFound, await SignalingTestClient.TryConnectAsync(uri));
    }

    [Fact]
    public async Task HandleConnect_EleventhViewer_Rejected()
    {
        await using var host = await StartAsync();
        var channel = host.Server.CreateChannel("full");
        var viewers = new List<SignalingTestClient>();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                viewers.Add(await SignalingTestClient.ConnectAsync(host, channel, "v" + i));
            }
            Assert.Equal(10, channel.ViewerCount);
            Assert.Equal(HttpStatusCode.BadRequest, await SignalingTestClient.TryConnectAsync(SignalingTestClient.BuildUri(host, channel, "v10")));
            // A viewer reconnecting with an id already in the channel is not a new viewer.
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await SignalingTestClient.TryConnectAsync(SignalingTestClient.BuildUri(host, channel, "v3")));
        }
        finally
        {
            foreach (var v in viewers) await v.DisposeAsync();
        }
    }

    [Fact]
    public async Task HandleMessage_PayloadOverLimit_StatusResponseAndNotDelivered()
    {
        await using var host = await StartAsync(o => o.MaxMessagePayloadChars = 1000);
        var channel = host.Server.CreateChannel("one");
        await using var master = await SignalingTestClient.ConnectAsync(host, channel, null);
        await using var viewer = await SignalingTestClient.ConnectAsync(host, channel, "v");

        await viewer.SendAsync("SDP_OFFER", new string('A', 1004), correlationId: "big");
        var status = (await viewer.ReceiveAsync())!.Value.GetProperty("statusResponse");
        Assert.Equal("big", status.GetProperty("correlationId").GetString());
        Assert.False(status.GetProperty("success").GetBoolean());
        Assert.Equal("InvalidArgumentException", status.GetProperty("errorType").GetString());
        Assert.Equal("400", status.GetProperty("statusCode").GetString());
        Assert.Contains("1000", status.GetProperty("description").GetString());

        await viewer.SendAsync("SDP_OFFER", new string('A', 1000), correlationId: "fits");
        Assert.Equal("SDP_OFFER", (await master.ReceiveAsync())!.Value.GetProperty("messageType").GetString());
    }

    [Fact]
    public async Task ReceiveLoop_FrameFarOverLimit_GoAwayAndClosed()
    {
        await using var host = await StartAsync();
        var channel = host.Server.CreateChannel("one");
        await using var viewer = await SignalingTestClient.ConnectAsync(host, channel, "v");
        await viewer.SendAsync("SDP_OFFER", new string('A', 40_000), correlationId: "huge");
        Assert.Equal("GO_AWAY", (await viewer.ReceiveAsync())!.Value.GetProperty("messageType").GetString());
        Assert.Null(await viewer.ReceiveAsync());
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, viewer.CloseStatus);
        Assert.Contains("exceeded", viewer.CloseDescription);
    }

    [Fact]
    public async Task HandleApi_OverTls_AdvertisesWssEndpoint()
    {
        var options = new SignalingOptions { AllowAnonymous = true };
        await using var host = await SignalingHost.StartAsync(options);
        var channel = host.Server.CreateChannel("tls");
        var thumbprint = host.Certificate!.Thumbprint;
        using var handler = new HttpClientHandler
        {
            // Trust exactly our development certificate, nothing else.
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == thumbprint,
        };
        using var client = new HttpClient(handler) { BaseAddress = host.TlsEndpoint };
        using var response = await client.PostAsync("getSignalingChannelEndpoint",
            new StringContent(JsonSerializer.Serialize(new { ChannelARN = channel.Arn }), System.Text.Encoding.UTF8, "application/json"));
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var wss = doc.RootElement.GetProperty("ResourceEndpointList").EnumerateArray().Single(e => e.GetProperty("Protocol").GetString() == "WSS");
        Assert.Equal($"wss://127.0.0.1:{host.TlsEndpoint!.Port}", wss.GetProperty("ResourceEndpoint").GetString());
    }

    [Fact]
    public async Task HandleMessage_DefaultLimit_TenKilobytesAccepted()
    {
        await using var host = await StartAsync();
        var channel = host.Server.CreateChannel("one");
        await using var master = await SignalingTestClient.ConnectAsync(host, channel, null);
        await using var viewer = await SignalingTestClient.ConnectAsync(host, channel, "v");
        await viewer.SendAsync("SDP_OFFER", new string('A', 10 * 1024), correlationId: "ok");
        Assert.Equal(10 * 1024, (await master.ReceiveAsync())!.Value.GetProperty("messagePayload").GetString()!.Length);
        await viewer.SendAsync("SDP_OFFER", new string('A', 10 * 1024 + 4), correlationId: "no");
        Assert.Equal("no", (await viewer.ReceiveAsync())!.Value.GetProperty("statusResponse").GetProperty("correlationId").GetString());
    }

    [Fact]
    public async Task HandleMessage_OverSdpRate_ThrottledWithStatusResponseUntilRefilled()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(time: time);
        var channel = host.Server.CreateChannel("one");
        await using var master = await SignalingTestClient.ConnectAsync(host, channel, null);
        await using var viewer = await SignalingTestClient.ConnectAsync(host, channel, "v");

        for (var i = 0; i < 6; i++)
        {
            await viewer.SendAsync("SDP_OFFER", new { n = i }, correlationId: "offer-" + i);
        }
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("SDP_OFFER", (await master.ReceiveAsync())!.Value.GetProperty("messageType").GetString());
        }
        var status = (await viewer.ReceiveAsync())!.Value.GetProperty("statusResponse");
        Assert.Equal("offer-5", status.GetProperty("correlationId").GetString());
        Assert.Equal("ClientLimitExceededException", status.GetProperty("errorType").GetString());

        // ICE has its own, larger bucket; offers refill at 5 per second.
        for (var i = 0; i < 20; i++) await viewer.SendAsync("ICE_CANDIDATE", new { n = i }, correlationId: "ice-" + i);
        await viewer.SendAsync("ICE_CANDIDATE", new { n = 20 }, correlationId: "ice-20");
        for (var i = 0; i < 20; i++) Assert.Equal("ICE_CANDIDATE", (await master.ReceiveAsync())!.Value.GetProperty("messageType").GetString());
        Assert.Equal("ice-20", (await viewer.ReceiveAsync())!.Value.GetProperty("statusResponse").GetProperty("correlationId").GetString());

        time.Advance(TimeSpan.FromMilliseconds(200));
        await viewer.SendAsync("SDP_OFFER", new { n = 6 }, correlationId: "offer-6");
        Assert.Equal("SDP_OFFER", (await master.ReceiveAsync())!.Value.GetProperty("messageType").GetString());
    }

    [Fact]
    public async Task HandleMessage_RecipientNotConnectedOrBadAction_StatusResponseOnlyWithCorrelationId()
    {
        await using var host = await StartAsync();
        var channel = host.Server.CreateChannel("one");
        await using var viewer = await SignalingTestClient.ConnectAsync(host, channel, "v");
        await viewer.SendAsync("SDP_OFFER", new { type = "offer" });                     // no master, no correlationId: dropped
        await viewer.SendAsync("SDP_OFFER", new { type = "offer" }, correlationId: "c2"); // no master: status
        var status = (await viewer.ReceiveAsync())!.Value.GetProperty("statusResponse");
        Assert.Equal("c2", status.GetProperty("correlationId").GetString());
        Assert.Equal("404", status.GetProperty("statusCode").GetString());

        await viewer.SendRawAsync("{\"action\":\"HELLO\",\"messagePayload\":\"e30=\",\"correlationId\":\"c3\"}");
        var bad = (await viewer.ReceiveAsync())!.Value.GetProperty("statusResponse");
        Assert.Equal("c3", bad.GetProperty("correlationId").GetString());
        Assert.Contains("HELLO", bad.GetProperty("description").GetString());

        await viewer.SendRawAsync("not json at all");
        Assert.True(await viewer.ReceivesNothingAsync(Quiet));
    }

    [Fact]
    public async Task HandleConnect_SecondMaster_OldMasterGetsGoAwayAndClose()
    {
        await using var host = await StartAsync();
        var channel = host.Server.CreateChannel("one");
        await using var first = await SignalingTestClient.ConnectAsync(host, channel, null);
        await using var viewer = await SignalingTestClient.ConnectAsync(host, channel, "v");
        await using var second = await SignalingTestClient.ConnectAsync(host, channel, null);

        var goAway = (await first.ReceiveAsync())!.Value;
        Assert.Equal("GO_AWAY", goAway.GetProperty("messageType").GetString());
        Assert.Null(await first.ReceiveAsync());
        Assert.Equal(WebSocketCloseStatus.NormalClosure, first.CloseStatus);
        Assert.Contains("new master", first.CloseDescription);

        await viewer.SendAsync("SDP_OFFER", new { type = "offer" });
        Assert.Equal("SDP_OFFER", (await second.ReceiveAsync())!.Value.GetProperty("messageType").GetString());
    }

    [Fact]
    public async Task Watchdog_IdleConnection_GoAwayThenClosed()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(o => o.IdleTimeout = TimeSpan.FromMinutes(10), time);
        var channel = host.Server.CreateChannel("one");
        await using var master = await SignalingTestClient.ConnectAsync(host, channel, null);
        await using var viewer = await SignalingTestClient.ConnectAsync(host, channel, "v");
        await WaitUntilAsync(() => channel.HasMaster && channel.ViewerCount == 1);

        time.Advance(TimeSpan.FromMinutes(6));
        await viewer.SendAsync("ICE_CANDIDATE", new { c = 1 });   // activity keeps the viewer alive
        Assert.Equal("ICE_CANDIDATE", (await master.ReceiveAsync())!.Value.GetProperty("messageType").GetString());
        time.Advance(TimeSpan.FromMinutes(4) + TimeSpan.FromSeconds(1)); // master idle 10 min, viewer idle 4 min

        Assert.Equal("GO_AWAY", (await master.ReceiveAsync())!.Value.GetProperty("messageType").GetString());
        Assert.Null(await SignalingServerAbuseTests.AdvanceUntilAsync(time, master.ReceiveAsync(TimeSpan.FromSeconds(30))));
        Assert.Contains("idle", master.CloseDescription);
        await WaitUntilAsync(() => !channel.HasMaster);
        Assert.Equal(1, channel.ViewerCount);
    }

    [Fact]
    public async Task Watchdog_MaxDuration_ClosesEvenActiveConnection()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(o => { o.MaxConnectionDuration = TimeSpan.FromHours(1); o.IdleTimeout = TimeSpan.FromMinutes(45); }, time);
        var channel = host.Server.CreateChannel("one");
        await using var master = await SignalingTestClient.ConnectAsync(host, channel, null);
        await using var viewer = await SignalingTestClient.ConnectAsync(host, channel, "v");
        for (var i = 0; i < 2; i++)
        {
            time.Advance(TimeSpan.FromMinutes(20));
            await viewer.SendAsync("ICE_CANDIDATE", new { c = i });
            Assert.Equal("ICE_CANDIDATE", (await master.ReceiveAsync())!.Value.GetProperty("messageType").GetString());
            await master.SendAsync("ICE_CANDIDATE", new { c = i }, recipientClientId: "v");
            Assert.Equal("ICE_CANDIDATE", (await viewer.ReceiveAsync())!.Value.GetProperty("messageType").GetString());
        }
        // Both are active (never idle for 45 min) but reach the 1 h limit.
        time.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal("GO_AWAY", (await viewer.ReceiveAsync())!.Value.GetProperty("messageType").GetString());
        Assert.Null(await SignalingServerAbuseTests.AdvanceUntilAsync(time, viewer.ReceiveAsync(TimeSpan.FromSeconds(30))));
        Assert.Equal("GO_AWAY", (await master.ReceiveAsync())!.Value.GetProperty("messageType").GetString());
        Assert.Contains("maximum duration", viewer.CloseDescription);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(20);
        }
    }
}
