using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KvsInference.Tests.Sinks;

/// <summary>
/// A fault-injecting transport in front of kinesalite: on PutRecords it removes the entries <see cref="FailEntry"/> picks
/// from the request before forwarding (so they are really not written), then splices failed results
/// (ProvisionedThroughputExceededException / InternalFailure) into kinesalite's answer at their positions; and it answers
/// whole calls <see cref="ThrottleCall"/> picks with HTTP 400 ProvisionedThroughputExceededException without forwarding.
/// </summary>
internal sealed class KinesisFaultHandler : DelegatingHandler
{
    private int _calls;

    public KinesisFaultHandler() : base(new SocketsHttpHandler()) { }

    /// <summary>(call index, entry index) → fail this entry.</summary>
    public Func<int, int, bool> FailEntry { get; init; } = (_, _) => false;

    /// <summary>call index → throttle the whole call.</summary>
    public Func<int, bool> ThrottleCall { get; init; } = _ => false;

    public int PutRecordsCalls => _calls;
    public int FailedEntries { get; private set; }
    public int ThrottledCalls { get; private set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var target = request.Headers.TryGetValues("X-Amz-Target", out var t) ? t.Single() : "";
        if (target != "Kinesis_20131202.PutRecords") return await base.SendAsync(request, cancellationToken);

        var call = Interlocked.Increment(ref _calls) - 1;
        if (ThrottleCall(call))
        {
            ThrottledCalls++;
            return new HttpResponseMessage(HttpStatusCode.BadRequest)
            {
                Content = new StringContent("""{"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded for shard"}""", Encoding.UTF8, "application/x-amz-json-1.1"),
            };
        }
        var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!.AsObject();
        var records = body["Records"]!.AsArray();
        var failed = new HashSet<int>(Enumerable.Range(0, records.Count).Where(i => FailEntry(call, i)));
        FailedEntries += failed.Count;
        var kept = new JsonArray(records.Select((r, i) => (r, i)).Where(x => !failed.Contains(x.i)).Select(x => x.r!.DeepClone()).ToArray());
        JsonArray results;
        if (kept.Count > 0)
        {
            body["Records"] = kept;
            var forward = new HttpRequestMessage(HttpMethod.Post, request.RequestUri) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8) };
            forward.Content.Headers.ContentType = request.Content.Headers.ContentType;
            foreach (var h in request.Headers) forward.Headers.TryAddWithoutValidation(h.Key, h.Value);
            using var answer = await base.SendAsync(forward, cancellationToken);
            if (!answer.IsSuccessStatusCode) return answer;
            results = JsonNode.Parse(await answer.Content.ReadAsStringAsync(cancellationToken))!["Records"]!.AsArray();
        }
        else
        {
            results = [];
        }
        var merged = new JsonArray();
        var next = 0;
        for (var i = 0; i < records.Count; i++)
        {
            merged.Add(failed.Contains(i)
                ? new JsonObject { ["ErrorCode"] = i % 2 == 0 ? "ProvisionedThroughputExceededException" : "InternalFailure", ["ErrorMessage"] = "injected" }
                : results[next++]!.DeepClone());
        }
        var response = new JsonObject { ["FailedRecordCount"] = failed.Count, ["Records"] = merged };
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(response.ToJsonString(), Encoding.UTF8, "application/x-amz-json-1.1") };
    }
}
