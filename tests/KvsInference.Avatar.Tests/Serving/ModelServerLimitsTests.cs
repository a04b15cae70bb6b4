using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using KvsInference.Avatar.Serving;
using KvsInference.Inference;

namespace KvsInference.Tests.Serving;

/// <summary>The model server's bounds against a hostile or careless client, over real loopback sockets.</summary>
public sealed class ModelServerLimitsTests
{
    private static Task<ModelServer> StartAsync(Action<ModelServerOptions> configure)
    {
        var options = new ModelServerOptions { Urls = "http://127.0.0.1:0", ModelDirectory = "/nonexistent" };
        configure(options);
        return ModelServer.StartAsync(options);
    }

    private static HttpClient Client(ModelServer server) =>
        new() { BaseAddress = new Uri(server.Addresses[0]), Timeout = TimeSpan.FromSeconds(60) };

    private static async Task<(HttpStatusCode Status, JsonElement Json, HttpResponseMessage Response)> InvokeAsync(HttpClient http, params string[] streams)
    {
        var body = InferenceJson.SerializeRequest(streams.Select(s => new InferenceInstance { Id = s, StreamKey = s, SampleRate = 16000, Pcm = new short[1600] }).ToList());
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var response = await http.PostAsync("/invocations", content);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone(), response);
    }

    private static long FirstFrame(JsonElement json) => json.GetProperty("predictions")[0].GetProperty("firstFrame").GetInt64();

    [Fact]
    public async Task Invocations_ManyStreamKeys_StateBoundedAndOldestStreamRestarts()
    {
        await using var server = await StartAsync(o => o.MaxStreams = 3);
        using var http = Client(server);

        Assert.Equal(0, FirstFrame((await InvokeAsync(http, "a")).Json));
        Assert.True(FirstFrame((await InvokeAsync(http, "a")).Json) > 0);   // a's state is held
        var flood = await InvokeAsync(http, Enumerable.Range(0, 500).Select(i => "k" + i).ToArray());
        Assert.Equal(HttpStatusCode.OK, flood.Status);
        Assert.Equal(3, server.Client.ActiveStreams);
        Assert.Equal(0, FirstFrame((await InvokeAsync(http, "a")).Json));   // a was dropped: it starts again
    }

    [Fact]
    public async Task Ping_EveryInferenceSlotBusy_AnswersAndExcessInvocationGets503()
    {
        await using var server = await StartAsync(o => { o.MaxConcurrentInvocations = 2; o.MaxQueuedInvocations = 0; });
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = 0;
        server.InvocationHook = async ct =>
        {
            Interlocked.Increment(ref entered);
            await gate.Task.WaitAsync(ct);
        };
        using var http = Client(server);
        var busy = new[] { InvokeAsync(http, "s1"), InvokeAsync(http, "s2") };
        for (var i = 0; i < 1000 && Volatile.Read(ref entered) < 2; i++) await Task.Delay(20);
        Assert.Equal(2, Volatile.Read(ref entered));

        using (var ping = await http.GetAsync("/ping"))
        {
            Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        }
        var excess = await InvokeAsync(http, "s3");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, excess.Status);
        Assert.Equal("busy", excess.Json.GetProperty("error").GetString());
        Assert.NotNull(excess.Response.Headers.RetryAfter);
        Assert.Equal(2, Volatile.Read(ref entered));

        gate.SetResult();
        foreach (var done in await Task.WhenAll(busy))
        {
            Assert.Equal(HttpStatusCode.OK, done.Status);
            done.Response.Dispose();
        }
        excess.Response.Dispose();
    }

    [Fact]
    public async Task Invocations_NoSlotFreesWithinTheQueueTimeout_Gets503()
    {
        await using var server = await StartAsync(o => { o.MaxConcurrentInvocations = 1; o.MaxQueuedInvocations = 1; o.QueueTimeout = TimeSpan.FromMilliseconds(200); });
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = 0;
        server.InvocationHook = async ct =>
        {
            Interlocked.Increment(ref entered);
            await gate.Task.WaitAsync(ct);
        };
        using var http = Client(server);
        var first = InvokeAsync(http, "s1");
        for (var i = 0; i < 1000 && Volatile.Read(ref entered) < 1; i++) await Task.Delay(20);

        var waited = await InvokeAsync(http, "s2");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, waited.Status);
        Assert.Contains("no inference slot", waited.Json.GetProperty("message").GetString());
        waited.Response.Dispose();

        gate.SetResult();
        var done = await first;
        Assert.Equal(HttpStatusCode.OK, done.Status);
        done.Response.Dispose();
    }
}
