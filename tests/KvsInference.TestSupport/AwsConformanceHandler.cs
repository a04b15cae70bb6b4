using System.Collections.Concurrent;

namespace KvsInference.TestSupport;

/// <summary>
/// A transport that checks every request our AWS clients send, and every response the server answers, against the official
/// service models (<see cref="AwsModelConformance"/>), then passes them on unchanged. Streamed payloads (GetMedia) are not
/// read; other bodies are buffered and handed back.
/// </summary>
public sealed class AwsConformanceHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    /// <summary>Gets every violation seen, each naming the operation and the member.</summary>
    public ConcurrentQueue<string> Violations { get; } = new();

    /// <summary>Gets the operations seen as model:operation, with the response status.</summary>
    public ConcurrentQueue<(string Operation, int Status)> Calls { get; } = new();

    /// <inheritdoc/>
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = "";
        if (request.Content is not null)
        {
            var bytes = await request.Content.ReadAsByteArrayAsync(cancellationToken);
            body = System.Text.Encoding.UTF8.GetString(bytes);
            var copy = new ByteArrayContent(bytes);
            foreach (var h in request.Content.Headers) copy.Headers.TryAddWithoutValidation(h.Key, h.Value);
            request.Content = copy;
        }
        string? RequestHeader(string name) =>
            request.Headers.TryGetValues(name, out var v) ? string.Join(",", v)
            : request.Content?.Headers.TryGetValues(name, out var c) == true ? string.Join(",", c) : null;
        var found = AwsModelConformance.Identify(request.Method.Method, request.RequestUri!, RequestHeader);
        if (found is not { } op)
        {
            Violations.Enqueue($"{request.Method} {request.RequestUri!.AbsolutePath}: no modelled operation matches");
            return await base.SendAsync(request, cancellationToken);
        }
        foreach (var v in AwsModelConformance.CheckRequest(op.Service, op.Operation, request.Method.Method, request.RequestUri!, RequestHeader, body)) Violations.Enqueue(v);

        var response = await base.SendAsync(request, cancellationToken);
        var status = (int)response.StatusCode;
        Calls.Enqueue(($"{op.Service.ModelName}:{op.Operation.Name}", status));
        var output = op.Operation.Output is null ? null : op.Service.Shapes[op.Operation.Output];
        var streamed = status < 300 && output?.Payload is { } p && op.Service.Shapes[output.Members[p].Shape].Streaming;
        string? responseBody = null;
        if (!streamed)
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            responseBody = System.Text.Encoding.UTF8.GetString(bytes);
            var copy = new ByteArrayContent(bytes);
            foreach (var h in response.Content.Headers) copy.Headers.TryAddWithoutValidation(h.Key, h.Value);
            response.Content = copy;
        }
        string? ResponseHeader(string name) =>
            response.Headers.TryGetValues(name, out var v) ? string.Join(",", v)
            : response.Content.Headers.TryGetValues(name, out var c) ? string.Join(",", c) : null;
        foreach (var v in AwsModelConformance.CheckResponse(op.Service, op.Operation, status, ResponseHeader, responseBody)) Violations.Enqueue(v);
        return response;
    }

    /// <summary>A handler over a fresh <see cref="SocketsHttpHandler"/>.</summary>
    public static AwsConformanceHandler OverSockets() => new(new SocketsHttpHandler());

    /// <summary>Fails with every violation when there are any.</summary>
    /// <exception cref="InvalidOperationException">Some request or response did not conform.</exception>
    public void ThrowIfViolations()
    {
        if (!Violations.IsEmpty) throw new InvalidOperationException("Not as the AWS service models say:\n" + string.Join("\n", Violations));
    }
}
