using System.Net;
using System.Net.WebSockets;
using System.Text.RegularExpressions;
using KvsInference.LocalKvs.Signaling;
using KvsInference.Worker.Commands;

namespace KvsInference.Tests.Commands;

public sealed class PeerCommandTests
{
    [Fact]
    public async Task RunAsync_FreePorts_PrintsEndpointsAndAcceptsTheViewerToken()
    {
        var output = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var started = new TaskCompletionSource<SignalingHost>();
        var settings = new PeerCommand.Settings(IPAddress.Loopback, 0, 0, 0, ["room"], "us-west-2", null, null,
            ["turn:alice:pw@127.0.0.1:3479"], false, 10, TimeSpan.FromMinutes(10), null);
        var run = PeerCommand.RunAsync(settings, output, h => started.SetResult(h), stop.Token);
        var host = await started.Task.WaitAsync(stop.Token);

        var text = output.ToString();
        Assert.Contains("signaling ws:   ws://127.0.0.1:", text);
        Assert.Contains("signaling wss:  wss://127.0.0.1:", text);
        Assert.Matches(@"stun:\s+stun:127\.0\.0\.1:\d+", text);
        var arn = Regex.Match(text, @"channel:\s+(\S+)").Groups[1].Value;
        var viewerToken = Regex.Match(text, @"viewer token: (\S+)").Groups[1].Value;
        Assert.StartsWith("arn:aws:kinesisvideo:us-west-2:123456789012:channel/room/", arn);

        using var socket = new ClientWebSocket();
        var uri = new Uri($"{host.WebSocketUrl}?X-Amz-ChannelARN={Uri.EscapeDataString(arn)}&X-Amz-ClientId=v1&{SignalingServer.MeetingTokenQueryParameter}={viewerToken}");
        await socket.ConnectAsync(uri, stop.Token);
        Assert.Equal(WebSocketState.Open, socket.State);
        Assert.Equal(2, host.Server.Options.IceServers.Count);
        Assert.Equal(("alice", "pw"), (host.Server.Options.IceServers[1].Username, host.Server.Options.IceServers[1].Password));

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Theory]
    [InlineData("stun:127.0.0.1:3478", "stun:127.0.0.1:3478", null, null)]
    [InlineData("turn:u:p@turn.example.org:3478?transport=udp", "turn:turn.example.org:3478?transport=udp", "u", "p")]
    public void ParseIceServer_Uri_SplitsCredentials(string input, string uri, string? user, string? password)
    {
        var server = PeerCommand.ParseIceServer(input);
        Assert.Equal((uri, user, password), (server.Uris[0], server.Username, server.Password));
    }

    [Fact]
    public void ParseIceServer_NotAnIceUri_Explains() =>
        Assert.Contains("stun:", Assert.Throws<ArgumentException>(() => PeerCommand.ParseIceServer("http://x")).Message);
}
