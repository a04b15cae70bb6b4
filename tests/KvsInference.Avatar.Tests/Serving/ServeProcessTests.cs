using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using KvsInference.Inference;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Serving;

public class ServeProcessTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Serve_RealProcess_AnswersPingAndInvocations()
    {
        var configuration = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        var dll = Path.Combine(TestPaths.RepoRoot, "src", "KvsInference.Worker", "bin", configuration, "net10.0", "KvsInference.Worker.dll");
        Assert.True(File.Exists(dll), $"{dll} is not built");
        int port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "serve", "--urls", $"http://127.0.0.1:{port}", "--model-dir", "/nonexistent" }) psi.ArgumentList.Add(a);
        // Both pipes are drained as they come: an unread pipe fills and blocks the child, and reading
        // stderr to its end (as an assertion message) would wait for the process to exit.
        var output = new StringBuilder();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        Assert.True(process.Start());
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string Output() { lock (output) return output.ToString(); }
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            HttpStatusCode? ping = null;
            while (DateTime.UtcNow < deadline && ping is null)
            {
                if (process.HasExited) Assert.Fail($"serve exited with {process.ExitCode}: {Output()}");
                try
                {
                    using var response = await http.GetAsync("/ping");
                    ping = response.StatusCode;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    await Task.Delay(200);
                }
            }
            Assert.True(ping == HttpStatusCode.OK, $"ping: {ping?.ToString() ?? "no answer in 30 s"}; serve output: {Output()}");

            var body = InferenceJson.SerializeRequest([new InferenceInstance { Id = "x", StreamKey = "s", SampleRate = 16000, Pcm = new short[16000] }]);
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            using var invocation = await http.PostAsync("/invocations", content);
            Assert.Equal(HttpStatusCode.OK, invocation.StatusCode);
            var predictions = InferenceJson.ReadResponse(await invocation.Content.ReadAsByteArrayAsync());
            Assert.NotEmpty(predictions[0].Frames);
            Assert.All(predictions[0].Frames, f => Assert.True(f.Silence > 0.9f));
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(exit.Token);
        }
    }
}
