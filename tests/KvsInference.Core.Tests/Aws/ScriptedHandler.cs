using System.Net;
using System.Text;

namespace KvsInference.Tests.Aws;

/// <summary>A transport that answers from a script, one entry per request, and records what it was sent.</summary>
internal sealed class ScriptedHandler(params Func<HttpRequestMessage, HttpResponseMessage>[] script) : HttpMessageHandler
{
    private int _next;

    public List<(HttpRequestMessage Request, string Body)> Requests { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        lock (Requests) Requests.Add((request, body));
        var i = Interlocked.Increment(ref _next) - 1;
        if (i >= script.Length) throw new InvalidOperationException($"unexpected request {i + 1}: {request.Method} {request.RequestUri}");
        return script[i](request);
    }

    public static Func<HttpRequestMessage, HttpResponseMessage> Json(HttpStatusCode status, string json, params (string, string)[] headers) => _ =>
    {
        var r = new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/x-amz-json-1.1") };
        foreach (var (k, v) in headers) r.Headers.TryAddWithoutValidation(k, v);
        return r;
    };
}
