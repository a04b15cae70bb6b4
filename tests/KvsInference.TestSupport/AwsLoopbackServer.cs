using System.Net;
using System.Net.Sockets;

namespace KvsInference.TestSupport;

/// <summary>
/// A tiny HTTP stand-in for AWS endpoints on 127.0.0.1 (a free port): every request goes to the test's handler,
/// which may read the body and write the answer incrementally. Requests are served concurrently.
/// </summary>
public sealed class AwsLoopbackServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly Func<HttpListenerContext, Task> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _requests;

    /// <summary>Starts serving with <paramref name="handler"/>.</summary>
    public AwsLoopbackServer(Func<HttpListenerContext, Task> handler)
    {
        _handler = handler;
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            // A listener whose Start failed has disposed itself (CI: ObjectDisposedException on the retry), so each
            // attempt gets a new one.
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                _listener = listener;
                Url = new Uri($"http://127.0.0.1:{port}");
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                // The port was taken between probing and binding: try another.
            }
        }
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The base URL, e.g. http://127.0.0.1:41234.</summary>
    public Uri Url { get; } = null!;

    /// <summary>How many requests arrived.</summary>
    public int RequestCount => Volatile.Read(ref _requests);

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            Interlocked.Increment(ref _requests);
            _ = Task.Run(async () =>
            {
                try
                {
                    await _handler(context).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    try
                    {
                        context.Response.StatusCode = 599;
                        context.Response.StatusDescription = "stand-in handler failed";
                        var bytes = System.Text.Encoding.UTF8.GetBytes(e.ToString());
                        await context.Response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
                    }
                    catch (Exception)
                    {
                        // The answer was already under way: closing below ends it.
                    }
                }
                finally
                {
                    try { context.Response.Close(); } catch (Exception) { }
                }
            });
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        // Close only, not Stop then Close: the managed HttpListener removes its prefixes on each call, and the second
        // removal binds the port again, which fails when another test has taken the freed port meanwhile.
        _listener.Close();
        await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _stop.Dispose();
    }
}
