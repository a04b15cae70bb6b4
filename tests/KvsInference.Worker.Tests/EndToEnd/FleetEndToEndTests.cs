using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using KvsInference.Aws.Generated.Kinesis;
using KvsInference.Aws.Kinesis;
using KvsInference.Aws.KinesisVideo;
using KvsInference.Leases;
using KvsInference.Media;
using KvsInference.TestSupport;
using Xunit.Abstractions;

namespace KvsInference.Tests.EndToEnd;

/// <summary>
/// The fleet end to end, as separate processes of the built worker: the local media store, the <c>serve</c> model
/// container, dynalite (leases) and kinesalite (records), three workers sharing 12 live speech streams, one of them
/// killed with SIGKILL mid-stream, the other two stopped with SIGTERM at the end.
/// </summary>
public class FleetEndToEndTests(ITestOutputHelper output)
{
    private const int StreamCount = 12;
    private const int WorkerCount = 3;
    private const double FailoverSeconds = 3;
    private const int FragmentsBeforeKill = 4;

    // "Resumed" = a record of the stream for a fragment later than any the killed worker wrote appears in Kinesis: new
    // media of the stream is processed and acknowledged by a surviving worker. The test asserts that this happens, with a
    // deadline a busy machine cannot reach; how fast it happens is a bench figure (`takeover` in bench/KvsInference.Benchmarks).
    private static readonly TimeSpan ResumeDeadline = TimeSpan.FromSeconds(60);

    private static readonly Regex ProcessingLine = new(@"Processing stream (\S+) from checkpoint (\S+) \((\w+)\)", RegexOptions.Compiled);
    private static readonly Regex ReconnectLine = new(@"Stream (\S+): .*reconnecting from the last checkpoint", RegexOptions.Compiled);

    [Fact]
    public async Task Fleet_KillOneWorkerMidStream_EveryFragmentInOrderAndEveryStreamResumesOnASurvivor()
    {
        var testClock = Stopwatch.StartNew();
        using var harness = new FleetHarness();
        using var overall = new CancellationTokenSource(TimeSpan.FromSeconds(240));
        var ct = overall.Token;
        try
        {
            await RunAsync(harness, testClock, ct);
        }
        catch (Exception)
        {
            output.WriteLine(harness.Diagnostics());
            throw;
        }
        output.WriteLine($"total {testClock.Elapsed.TotalSeconds:0.0} s");
    }

    private async Task RunAsync(FleetHarness harness, Stopwatch testClock, CancellationToken ct)
    {
        string run = Guid.NewGuid().ToString("N")[..8];
        string leaseTable = $"e2e-leases-{run}";
        string outputStream = $"e2e-records-{run}";
        string[] streams = Enumerable.Range(1, StreamCount).Select(n => $"e2e-{n}").ToArray();
        byte[] speech = File.ReadAllBytes(MakeSpeech());

        // 1. The services: emulators, media store and model as processes of the worker executable.
        var credentials = new BasicAWSCredentials("test", "test");
        using var kinesis = new AmazonKinesisClient(new KinesisClientOptions { ServiceUrl = new Uri(Emulators.KinesisUrl), Region = "us-east-1", Credentials = credentials });
        _ = Emulators.DynamoDbUrl;
        var store = harness.StartWorkerProcess("media-store", ["media", "serve", "--port", "0", "--data-dir", Directory.CreateTempSubdirectory("kvsi-e2e-media-").FullName,
            "--get-media-idle-seconds", "3"]);
        var model = harness.StartWorkerProcess("model", ["serve", "--urls", $"http://127.0.0.1:{FleetHarness.FreePort()}"]);
        string storeUrl = (await store.WaitForLineAsync(new Regex(@"media store on (http://\S+)"), TimeSpan.FromSeconds(30))).Groups[1].Value;
        string modelUrl = (await model.WaitForLineAsync(new Regex(@"serving \S+ on (http://[^,\s]+)"), TimeSpan.FromSeconds(30))).Groups[1].Value;
        await kinesis.CreateStreamAsync(new CreateStreamRequest { StreamName = outputStream, ShardCount = 4 }, ct);
        await kinesis.WaitForStreamActiveAsync(outputStream, TimeSpan.FromSeconds(20), ct);
        using var kvs = new KinesisVideoClient(new KinesisVideoClientOptions { ServiceUrl = new Uri(storeUrl), Region = "us-east-1", Credentials = credentials });
        foreach (var name in streams)
        {
            await kvs.ControlPlane.CreateStreamAsync(new KvsInference.Aws.Generated.KinesisVideo.CreateStreamRequest { StreamName = name, DataRetentionInHours = 1, MediaType = "audio/webm" }, ct);
        }

        var environment = new Dictionary<string, string>
        {
            ["AWS_REGION"] = "us-east-1",
            ["AWS_ACCESS_KEY_ID"] = "test",
            ["AWS_SECRET_ACCESS_KEY"] = "test",
            ["AWS_ENDPOINT_URL_KINESIS_VIDEO"] = storeUrl,
            ["AWS_ENDPOINT_URL_KINESIS"] = Emulators.KinesisUrl,
            ["AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"] = modelUrl,
            ["AWS_ENDPOINT_URL_DYNAMODB"] = Emulators.DynamoDbUrl,
            ["KVSI__Local__Enabled"] = "false",
            ["KVSI__Discovery__NamePrefix"] = "e2e-",
            ["KVSI__Processing__InitialPosition"] = "Earliest",
            ["KVSI__LeaseTable__TableName"] = leaseTable,
            ["KVSI__Leases__FailoverTime"] = TimeSpan.FromSeconds(FailoverSeconds).ToString("c", CultureInfo.InvariantCulture),
            ["KVSI__KinesisSink__StreamName"] = outputStream,
            ["KVSI__Inference__SageMakerEndpoint"] = "e2e-model",
            ["KVSI__Metrics__Port"] = "0",
            ["KVSI__Metrics__StatusSeconds"] = "5",
            ["KVSI__Metrics__Emf"] = "false",
        };
        var workers = new Dictionary<string, ChildProcess>(StringComparer.Ordinal);
        for (int i = 1; i <= WorkerCount; i++)
        {
            var id = $"w{i}";
            workers[id] = harness.StartWorkerProcess(id, [], new Dictionary<string, string>(environment) { ["KVSI__Leases__WorkerId"] = id });
        }

        // The fleet settles before media flows: every lease owned, none by more than its share (steals are done).
        using var dynamo = FleetHarness.DynamoDb();
        var settled = await PollAsync(async () =>
        {
            var rows = await FleetHarness.ScanLeasesAsync(dynamo, leaseTable, ct);
            return rows.Count == StreamCount && rows.All(r => r.Owner is not null)
                && rows.GroupBy(r => r.Owner).Count() == WorkerCount && rows.GroupBy(r => r.Owner).All(g => g.Count() == StreamCount / WorkerCount);
        }, TimeSpan.FromSeconds(40), ct);
        Assert.True(settled, "the 3 workers did not share the 12 leases 4/4/4 within 40 s:\n" + Leases(await FleetHarness.ScanLeasesAsync(dynamo, leaseTable, ct)));
        output.WriteLine($"{testClock.Elapsed.TotalSeconds:0.0} s: leases shared 4/4/4");

        // 2. Feed every stream with speech in real time; the PERSISTED acknowledgements say which fragments exist.
        var persisted = streams.ToDictionary(s => s, _ => new ConcurrentQueue<string>(), StringComparer.Ordinal);
        var ackErrors = new ConcurrentQueue<string>();
        var feeds = streams.Select((name, i) => FeedAsync(kvs, name, speech, TimeSpan.FromMilliseconds(40 * i), persisted[name], ackErrors, ct)).ToArray();

        // 3. Mid-stream, SIGKILL the worker holding streams (the one with the most leases).
        Assert.True(await PollAsync(() => Task.FromResult(persisted.Values.All(q => q.Count >= FragmentsBeforeKill)), TimeSpan.FromSeconds(20), ct),
            $"the feeds did not reach {FragmentsBeforeKill} persisted fragments per stream within 20 s; errors: {string.Join("; ", ackErrors)}");
        var beforeKill = await FleetHarness.ScanLeasesAsync(dynamo, leaseTable, ct);
        string victimId = beforeKill.Where(r => r.Owner is not null).GroupBy(r => r.Owner!).OrderByDescending(g => g.Count()).First().Key;
        var victimStreams = beforeKill.Where(r => r.Owner == victimId).Select(r => r.StreamName).ToHashSet(StringComparer.Ordinal);
        var victim = workers[victimId];
        var killedAt = DateTime.UtcNow;
        victim.KillHard();
        Assert.True(await victim.WaitForExitAsync(TimeSpan.FromSeconds(5)), "the killed worker did not die");
        output.WriteLine($"{testClock.Elapsed.TotalSeconds:0.0} s: killed {victimId} holding {string.Join(", ", victimStreams.Order())}");

        // Everything the victim wrote is in Kinesis now: the latest fragment of each of its streams so far.
        var tail = new KinesisTail(kinesis, outputStream);
        await tail.PollAsync(ct);
        var lastByVictim = victimStreams.ToDictionary(s => s, s => LatestFragment(tail, s), StringComparer.Ordinal);
        var resumedAt = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        var takenAt = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        var observeUntil = killedAt + ResumeDeadline;
        while (DateTime.UtcNow < observeUntil && (resumedAt.Count < victimStreams.Count || takenAt.Count < victimStreams.Count))
        {
            await Task.Delay(100, ct);
            await tail.PollAsync(ct);
            foreach (var s in victimStreams.Where(s => !resumedAt.ContainsKey(s)))
            {
                var latest = LatestFragment(tail, s);
                if (latest is not null && (lastByVictim[s] is null || KinesisVideoClient.CompareFragmentNumbers(latest, lastByVictim[s]!) > 0))
                {
                    resumedAt[s] = tail.Records.Where(r => r.PartitionKey == s).Max(r => r.SeenUtc);
                }
            }
            foreach (var row in await FleetHarness.ScanLeasesAsync(dynamo, leaseTable, ct))
            {
                if (victimStreams.Contains(row.StreamName) && row.Owner is not null && row.Owner != victimId) takenAt.TryAdd(row.StreamName, DateTime.UtcNow);
            }
        }
        foreach (var s in victimStreams.Order())
        {
            string taken = takenAt.TryGetValue(s, out var t) ? $"{(t - killedAt).TotalSeconds:0.00} s" : "never";
            string resumed = resumedAt.TryGetValue(s, out var r) ? $"{(r - killedAt).TotalSeconds:0.00} s" : "never";
            var started = workers.Values.SelectMany(w => w.TimedLines).Where(l => l.At > killedAt && ProcessingLine.Match(l.Line) is { Success: true } m && m.Groups[1].Value == s)
                .Select(l => $"{(l.At - killedAt).TotalSeconds:0.00} s").FirstOrDefault() ?? "never";
            output.WriteLine($"  {s}: lease taken after {taken}, processing started after {started}, first new record after {resumed} (victim's last fragment {lastByVictim[s] ?? "none"})");
        }
        foreach (var s in victimStreams)
        {
            Assert.True(takenAt.ContainsKey(s), $"the lease of {s} did not move from the killed worker {victimId} to a survivor within {ResumeDeadline.TotalSeconds:0} s");
            Assert.True(resumedAt.ContainsKey(s), $"{s} of the killed worker {victimId} did not resume within {ResumeDeadline.TotalSeconds:0} s");
        }

        // 4. The feeds end; the workers catch up: every checkpoint reaches the last persisted fragment.
        await Task.WhenAll(feeds).WaitAsync(TimeSpan.FromSeconds(40), ct);
        Assert.Empty(ackErrors);
        var lastFragment = streams.ToDictionary(s => s, s => persisted[s].Last(), StringComparer.Ordinal);
        output.WriteLine($"{testClock.Elapsed.TotalSeconds:0.0} s: feeds done, {persisted.Values.Sum(q => q.Count)} fragments persisted");
        List<LeaseRow> finalRows = [];
        bool caughtUp = await PollAsync(async () =>
        {
            finalRows = await FleetHarness.ScanLeasesAsync(dynamo, leaseTable, ct);
            return finalRows.Count == StreamCount && finalRows.All(r => r.Checkpoint == lastFragment[r.StreamName]);
        }, TimeSpan.FromSeconds(30), ct);
        Assert.True(caughtUp, "checkpoints did not reach the last fragment of each stream within 30 s:\n" + Leases(finalRows)
            + "\nlast fragments: " + string.Join(", ", lastFragment.Select(kv => $"{kv.Key}={kv.Value}")));
        output.WriteLine($"{testClock.Elapsed.TotalSeconds:0.0} s: checkpoints at the last fragments");

        // The whole output: every persisted fragment of every stream at least once, in order per stream.
        await tail.PollAsync(ct);
        var starts = workers.Values.SelectMany(w => w.Lines).Select(l => ProcessingLine.Match(l)).Where(m => m.Success)
            .Select(m => (Stream: m.Groups[1].Value, Checkpoint: m.Groups[2].Value, Stolen: m.Groups[3].Value == nameof(LeaseAcquisition.Stolen))).ToList();
        var reconnects = workers.Values.SelectMany(w => w.Lines).Select(l => ReconnectLine.Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        int total = 0, duplicates = 0, replays = 0;
        foreach (var s in streams)
        {
            var records = tail.Records.Where(r => r.PartitionKey == s).ToList();
            Assert.Single(records.Select(r => r.ShardId).Distinct());   // one partition key, one shard: Kinesis keeps their order
            var parsed = records.Select(r => ParseRecord(r.Data, s)).ToList();
            total += parsed.Count;
            duplicates += parsed.Count - parsed.Select(p => p.RecordId).Distinct().Count();
            var fragments = persisted[s].ToList();
            var missing = fragments.Except(parsed.Select(p => p.Fragment)).ToList();
            Assert.True(missing.Count == 0, $"{s}: {missing.Count} of {fragments.Count} persisted fragments have no record: {string.Join(", ", missing)}");
            var unknown = parsed.Select(p => p.Fragment).Except(fragments).Distinct().ToList();
            Assert.True(unknown.Count == 0, $"{s}: records name fragments never persisted: {string.Join(", ", unknown)}");
            // De-duplicated by recordId (first occurrence kept), what a consumer sees advances strictly.
            var index = fragments.Select((f, i) => (f, i)).ToDictionary(x => x.f, x => x.i, StringComparer.Ordinal);
            var unique = parsed.DistinctBy(p => p.RecordId).ToList();
            for (int n = 1; n < unique.Count; n++)
            {
                var (p, r) = (unique[n - 1], unique[n]);
                Assert.True(index[r.Fragment] > index[p.Fragment] || (r.Fragment == p.Fragment && r.OffsetMs > p.OffsetMs),
                    $"{s}: after de-duplication by recordId, {r.RecordId} follows {p.RecordId}");
            }
            foreach (var replay in AssertInOrder(s, parsed, fragments, starts.Where(x => x.Stream == s).Select(x => x.Checkpoint).ToList(), reconnects.Count(r => r == s), starts.Any(x => x.Stream == s && x.Stolen)))
            {
                replays++;
                output.WriteLine($"  replay in {s}: {replay}");
            }
        }
        output.WriteLine($"{total} records, {duplicates} duplicates by recordId, {replays} replays after hand-offs");

        // 5. SIGTERM the survivors: they exit 0 within ECS's 30 s and release their leases (graceful hand-off).
        var survivors = workers.Where(kv => kv.Key != victimId).Select(kv => kv.Value).ToList();
        foreach (var w in survivors) w.Terminate();
        foreach (var w in survivors)
        {
            Assert.True(await w.WaitForExitAsync(TimeSpan.FromSeconds(30)), $"{w.Name} did not exit within 30 s of SIGTERM");
            Assert.True(w.ExitCodeOrNull == 0, $"{w.Name} exited {w.ExitCodeOrNull} after SIGTERM");
        }
        var released = await FleetHarness.ScanLeasesAsync(dynamo, leaseTable, ct);
        var survivorIds = workers.Where(kv => kv.Key != victimId).Select(kv => kv.Key).ToHashSet();
        var held = released.Where(r => r.Owner is not null && survivorIds.Contains(r.Owner)).ToList();
        Assert.True(held.Count == 0, "leases still owned after the graceful stop:\n" + Leases(held));
        Assert.All(released, r => Assert.Equal(lastFragment[r.StreamName], r.Checkpoint));
    }

    /// <summary>
    /// The order a consumer can rely on with at-least-once delivery. Records of a stream, in Kinesis order, advance
    /// strictly by (fragment, startOffsetMs). The only exception is a replay after a hand-off or reconnect: a processor
    /// that starts from a checkpoint re-reads the fragments after it, so the sequence may step back, but only to the
    /// first window (offset 0) of a fragment already reached, and, after a lease was taken, exactly to the fragment
    /// after the checkpoint that processor logged. Each start or reconnect explains at most one step back. A stolen lease's
    /// previous owner writes on until its next renewal shows it the steal (as in KCL), so while both write their records
    /// interleave: the sequence of such a stream may also step back to any record already written (de-duplicated, it still
    /// advances strictly: checked by the caller). A CI run under load saw this when balancing moved a lease at the start.
    /// </summary>
    private static List<string> AssertInOrder(string stream, List<ParsedRecord> records, List<string> fragments, List<string> startCheckpoints, int reconnects, bool stolen)
    {
        var index = fragments.Select((f, i) => (f, i)).ToDictionary(x => x.f, x => x.i, StringComparer.Ordinal);
        var unexplainedStarts = startCheckpoints.Select(c => c == "(none)" ? fragments[0] : index.TryGetValue(c, out var i) && i + 1 < fragments.Count ? fragments[i + 1] : null)
            .OfType<string>().ToList();
        var replays = new List<string>();
        var written = new HashSet<string>(StringComparer.Ordinal);
        int reachedIndex = -1;
        for (int n = 0; n < records.Count; n++)
        {
            var r = records[n];
            int at = index[r.Fragment];
            if (n > 0)
            {
                var p = records[n - 1];
                int before = index[p.Fragment];
                bool advances = at > before || (at == before && r.OffsetMs > p.OffsetMs);
                if (!advances)
                {
                    replays.Add($"{p.RecordId} -> {r.RecordId}, then {string.Join(", ", records.Skip(n + 1).Take(6).Select(x => x.RecordId[(stream.Length + 1)..]))}; "
                        + $"before: {string.Join(", ", records.Take(n).Where(x => x.Fragment == r.Fragment).Select(x => x.OffsetMs))}");
                    if (stolen && written.Contains(r.RecordId)) continue; // the two owners of a stolen lease, interleaved
                    Assert.True(r.OffsetMs == 0, $"{stream}: record {n} ({r.RecordId}) steps back from {p.RecordId} but does not start a fragment");
                    Assert.True(at <= reachedIndex, $"{stream}: record {n} ({r.RecordId}) steps back to a fragment never reached");
                    if (!unexplainedStarts.Remove(r.Fragment))
                    {
                        Assert.True(reconnects-- > 0, $"{stream}: record {n} ({r.RecordId}) steps back from {p.RecordId} with no lease start from the checkpoint before it and no reconnect");
                    }
                }
            }
            reachedIndex = Math.Max(reachedIndex, at);
            written.Add(r.RecordId);
        }
        return replays;
    }

    private static async Task FeedAsync(KinesisVideoClient kvs, string stream, byte[] speech, TimeSpan delay, ConcurrentQueue<string> persisted, ConcurrentQueue<string> errors, CancellationToken ct)
    {
        await Task.Delay(delay, ct);
        await using var session = await kvs.PutMediaAsync(new KvsPutMediaRequest
        {
            StreamName = stream,
            FragmentTimecodeType = KvsFragmentTimecodeType.Relative,
            ProducerStartTimestamp = DateTimeOffset.UtcNow,
            Payload = RealTimeMkvStream.Create(speech, TimeProvider.System, speed: 1),
        }, ct);
        await foreach (var ack in session.ReadAcknowledgementsAsync(ct))
        {
            if (ack.EventType == KvsAckEventType.Persisted && ack.FragmentNumber is { } number) persisted.Enqueue(number);
            else if (ack.EventType == KvsAckEventType.Error) errors.Enqueue($"{stream}: error {ack.ErrorId} at {ack.FragmentTimecode}");
        }
        await session.UploadCompletion;
    }

    private static string? LatestFragment(KinesisTail tail, string stream)
    {
        string? latest = null;
        foreach (var r in tail.Records)
        {
            if (r.PartitionKey != stream) continue;
            using var doc = JsonDocument.Parse(r.Data);
            var f = doc.RootElement.GetProperty("fragmentNumber").GetString()!;
            if (latest is null || KinesisVideoClient.CompareFragmentNumbers(f, latest) > 0) latest = f;
        }
        return latest;
    }

    private static ParsedRecord ParseRecord(byte[] data, string partitionKey)
    {
        using var doc = JsonDocument.Parse(data);
        var root = doc.RootElement;
        Assert.Equal("kvs-inference/2", root.GetProperty("schema").GetString());
        Assert.Equal(partitionKey, root.GetProperty("streamName").GetString());
        Assert.True(root.GetProperty("frames").GetArrayLength() >= 0);
        return new ParsedRecord(root.GetProperty("fragmentNumber").GetString()!, root.GetProperty("startOffsetMs").GetDouble(), root.GetProperty("recordId").GetString()!);
    }

    private static async Task<bool> PollAsync(Func<Task<bool>> condition, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return true;
            await Task.Delay(250, ct);
        }
        return await condition();
    }

    private static string Leases(IEnumerable<LeaseRow> rows) =>
        string.Join("\n", rows.OrderBy(r => r.StreamName, StringComparer.Ordinal).Select(r => $"  {r.StreamName}: owner {r.Owner ?? "-"}, counter {r.Counter}, checkpoint {r.Checkpoint ?? "-"}"));

    /// <summary>~16.5 s of espeak-ng speech as WebM/Opus with 1 s clusters (one KVS fragment each); made once per run.</summary>
    private static string MakeSpeech()
    {
        string webm = Path.Combine(TestPaths.Scratch, "e2e-speech.webm");
        if (File.Exists(webm)) return webm;
        string wav = Path.Combine(TestPaths.Scratch, "e2e-speech.wav");
        ProcessRunner.Run("espeak-ng", ["-v", "en-us", "-s", "150", "-w", wav,
            "The meeting master explains the quarterly plan while the avatar moves its lips in time with every word. "
            + "Workers lease the streams, decode the audio, and write viseme records to Kinesis. "
            + "When one worker dies, the others take over its streams from the last checkpoint, and nothing is lost."]);
        // -t keeps the last fragment half a second long, so that it holds windows of its own.
        ProcessRunner.Ffmpeg("-i", wav, "-af", "apad=whole_dur=16.5", "-t", "16.5", "-c:a", "libopus", "-b:a", "32k", "-ar", "48000", "-ac", "1", "-cluster_time_limit", "1000", "-f", "webm", webm);
        return webm;
    }

    private sealed record ParsedRecord(string Fragment, double OffsetMs, string RecordId);
}
