using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using KvsInference.LocalKvs.Signaling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace KvsInference.Tests.Signaling;

/// <summary>What a hostile or careless signaling client can do: real sockets against a <see cref="SignalingHost"/>.</summary>
public sealed class SignalingServerAbuseTests
{
    private static Task<SignalingHost> StartAsync(Action<SignalingOptions>? configure = null, TimeProvider? time = null, ILoggerFactory? logging = null)
    {
        var options = new SignalingOptions();
        configure?.Invoke(options);
        return SignalingHost.StartAsync(options, new SignalingHostOptions { TlsPort = null }, time, logging);
    }

    /// <summary>Advances a fake clock a second at a time until the task completes (the server may start its timer after
    /// the client saw the message that preceded it, so one advance could come too early).</summary>
    internal static async Task<T> AdvanceUntilAsync<T>(FakeTimeProvider time, Task<T> task)
    {
        for (var i = 0; i < 600 && !task.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(task, Task.Delay(50));
        }
        return await task;
    }

    [Fact]
    public async Task HandleConnect_UnknownChannelWithoutCredentials_ForbiddenNotNotFound()
    {
        await using var host = await StartAsync();
        var uri = new UriBuilder(host.WebSocketUrl!) { Query = "X-Amz-ChannelARN=" + Uri.EscapeDataString("arn:aws:kinesisvideo:us-west-2:123456789012:channel/nope/1") }.Uri;
        Assert.Equal(HttpStatusCode.Forbidden, await SignalingTestClient.TryConnectAsync(uri));
    }

    [Fact]
    public async Task HandleConnect_SameClientIdWithSharedViewerToken_SecondRefusedFirstKeepsItsSession()
    {
        await using var host = await StartAsync();
        var channel = host.Server.CreateChannel("one");
        // The meeting's join link carries one viewer token for any client id.
        var shared = host.Server.Tokens.Issue(channel.Arn, SignalingRole.Viewer, null, TimeSpan.FromMinutes(5));
        await using var master = await SignalingTestClient.ConnectAsync(host, channel, null);
        await using var victim = await SignalingTestClient.ConnectAsync(host, channel, "alice", shared);

        Assert.Equal(HttpStatusCode.Conflict, await SignalingTestClient.TryConnectAsync(SignalingTestClient.BuildUri(host, channel, "alice", shared)));
        await master.SendAsync("SDP_ANSWER", new { type = "answer" }, recipientClientId: "alice");
        Assert.Equal("SDP_ANSWER", (await victim.ReceiveAsync())!.Value.GetProperty("messageType").GetString());
        // Another id with the same token is a new viewer.
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await SignalingTestClient.TryConnectAsync(SignalingTestClient.BuildUri(host, channel, "bob", shared)));
    }

    [Fact]
    public async Task GoAwayAndClose_ReplacedMaster_ClosedOnlyAfterTheGracePeriod()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(o => o.GoAwayGracePeriod = TimeSpan.FromSeconds(30), time);
        var channel = host.Server.CreateChannel("one");
        await using var first = await SignalingTestClient.ConnectAsync(host, channel, null);
        await using var second = await SignalingTestClient.ConnectAsync(host, channel, null);

        Assert.Equal("GO_AWAY", (await first.ReceiveAsync())!.Value.GetProperty("messageType").GetString());
        var closed = first.ReceiveAsync(TimeSpan.FromSeconds(60));
        // The clock stands still: the close must not come with the GO_AWAY.
        Assert.NotSame(closed, await Task.WhenAny(closed, Task.Delay(500)));
        Assert.Equal(WebSocketState.Open, first.State);

        Assert.Null(await AdvanceUntilAsync(time, closed));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, first.CloseStatus);
        Assert.Contains("new master", first.CloseDescription);
    }

    [Fact]
    public async Task Reject_FloodOfBadMessages_OneInformationLinePerIntervalWithTheCount()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var log = new CapturingLoggerProvider();
        using var logging = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Information).AddProvider(log));
        await using var host = await StartAsync(o => o.RefusalLogInterval = TimeSpan.FromSeconds(10), time, logging);
        var channel = host.Server.CreateChannel("one");
        await using var viewer = await SignalingTestClient.ConnectAsync(host, channel, "v");

        const int flood = 300;
        // In bursts of 50 (the server queues at most 256 messages to a client that does not read).
        for (var burst = 0; burst < flood; burst += 50)
        {
            for (var i = burst; i < burst + 50; i++)
            {
                await viewer.SendRawAsync($"{{\"action\":\"HELLO\",\"messagePayload\":\"e30=\",\"correlationId\":\"c{i}\"}}");
            }
            for (var i = burst; i < burst + 50; i++)
            {
                // Every refused message still gets its status reply.
                Assert.Equal($"c{i}", (await viewer.ReceiveAsync())!.Value.GetProperty("statusResponse").GetProperty("correlationId").GetString());
            }
        }
        var lines = log.Lines.Where(l => l.Contains("rejected", StringComparison.Ordinal)).ToList();
        Assert.Single(lines);
        Assert.Contains("rejected 1 message(s)", lines[0]);

        time.Advance(TimeSpan.FromSeconds(11));
        await viewer.SendRawAsync("{\"action\":\"HELLO\",\"messagePayload\":\"e30=\",\"correlationId\":\"last\"}");
        Assert.Equal("last", (await viewer.ReceiveAsync())!.Value.GetProperty("statusResponse").GetProperty("correlationId").GetString());
        lines = log.Lines.Where(l => l.Contains("rejected", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Contains($"rejected {flood} message(s)", lines[1]);
    }

    /// <summary>Keeps the formatted lines logged at Information or above.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyList<string> Lines => _lines.ToArray();

        public ILogger CreateLogger(string categoryName) => new Logger(_lines);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel)) lines.Enqueue(formatter(state, exception));
            }
        }
    }
}
