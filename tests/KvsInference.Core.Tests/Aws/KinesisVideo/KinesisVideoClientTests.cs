using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using KvsInference.Aws;
using KvsInference.Aws.Generated.KinesisVideo;
using KvsInference.Aws.KinesisVideo;
using KvsInference.Kvs;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Aws.KinesisVideo;

public sealed class KinesisVideoClientTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>Requests the stand-in saw: path, parsed JSON body (or null), headers.</summary>
    private sealed record Seen(string Path, JsonObject? Json, Dictionary<string, string?> Headers);

    private static KinesisVideoClient Client(Uri url) => new(new KinesisVideoClientOptions
    {
        Region = "us-west-2",
        ServiceUrl = url,
        Credentials = new BasicAWSCredentials("AKIDEXAMPLE", "secret"),
        PageSize = 2,
        Resilience = new AwsResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) },
    });

    private static Dictionary<string, string?> Headers(HttpListenerContext c) =>
        c.Request.Headers.AllKeys.ToDictionary(k => k!, k => c.Request.Headers[k], StringComparer.OrdinalIgnoreCase);

    private static async Task<JsonObject> ReadJsonAsync(HttpListenerContext c)
    {
        using var reader = new StreamReader(c.Request.InputStream);
        return JsonNode.Parse(await reader.ReadToEndAsync())!.AsObject();
    }

    private static async Task JsonAsync(HttpListenerContext c, object body, int status = 200)
    {
        c.Response.StatusCode = status;
        c.Response.ContentType = "application/json";
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body);
        c.Response.ContentLength64 = bytes.Length;
        await c.Response.OutputStream.WriteAsync(bytes);
    }

    private static string Base(HttpListenerContext c) => c.Request.Url!.GetLeftPart(UriPartial.Authority);

    private static object StreamInfo(string name) => new
    {
        StreamName = name,
        StreamARN = $"arn:aws:kinesisvideo:us-west-2:123456789012:stream/{name}/1600000000000",
        Status = "ACTIVE",
        CreationTime = 1600000000.5,
        DataRetentionInHours = 24,
        MediaType = "audio/webm",
        Version = "v1",
    };

    [Fact]
    public async Task ListStreams_PrefixOverPages_SendsConditionAndFollowsNextToken()
    {
        var seen = new ConcurrentQueue<Seen>();
        await using var server = new AwsLoopbackServer(async c =>
        {
            var json = await ReadJsonAsync(c);
            seen.Enqueue(new Seen(c.Request.Url!.AbsolutePath, json, Headers(c)));
            var token = json["NextToken"]?.GetValue<string>();
            await (token switch
            {
                null => JsonAsync(c, new { StreamInfoList = new[] { StreamInfo("meet-1"), StreamInfo("meet-2") }, NextToken = "p2" }),
                "p2" => JsonAsync(c, new { StreamInfoList = new[] { StreamInfo("meet-3") }, NextToken = "p3" }),
                _ => JsonAsync(c, new { StreamInfoList = Array.Empty<object>() }),
            });
        });
        using var client = Client(server.Url);

        var streams = await client.ListAllStreamsAsync("meet-", CancellationToken.None);

        Assert.Equal(["meet-1", "meet-2", "meet-3"], streams.Select(s => s.StreamName));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1600000000500), streams[0].CreationTime);
        Assert.Equal("ACTIVE", streams[2].Status);
        Assert.Equal(3, seen.Count);
        Assert.All(seen, s =>
        {
            Assert.Equal("/listStreams", s.Path);
            Assert.Equal("BEGINS_WITH", s.Json!["StreamNameCondition"]!["ComparisonOperator"]!.GetValue<string>());
            Assert.Equal("meet-", s.Json["StreamNameCondition"]!["ComparisonValue"]!.GetValue<string>());
            Assert.Equal(2, s.Json["MaxResults"]!.GetValue<int>());
            Assert.Contains("/us-west-2/kinesisvideo/aws4_request", s.Headers["Authorization"]);
            Assert.StartsWith("application/json", s.Headers["Content-Type"]);
        });
        Assert.Equal([null, "p2", "p3"], seen.Select(s => s.Json!["NextToken"]?.GetValue<string>()));
    }

    [Fact]
    public async Task DescribeTagsCreate_ControlPlane_ShapesAndErrors()
    {
        var seen = new ConcurrentQueue<Seen>();
        await using var server = new AwsLoopbackServer(async c =>
        {
            var json = await ReadJsonAsync(c);
            var path = c.Request.Url!.AbsolutePath;
            seen.Enqueue(new Seen(path, json, Headers(c)));
            switch (path)
            {
                case "/describeStream" when json["StreamName"]?.GetValue<string>() == "missing":
                    c.Response.Headers["x-amzn-ErrorType"] = "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazon.kinesisvideo/";
                    c.Response.Headers["x-amzn-RequestId"] = "rid-9";
                    await JsonAsync(c, new { Message = "The requested stream is not found or not active." }, 404);
                    break;
                case "/describeStream":
                    await JsonAsync(c, new { StreamInfo = StreamInfo(json["StreamName"]!.GetValue<string>()) });
                    break;
                case "/listTagsForStream" when json["NextToken"] is null:
                    await JsonAsync(c, new { Tags = new Dictionary<string, string> { ["kvsi"] = "on" }, NextToken = "t2" });
                    break;
                case "/listTagsForStream":
                    await JsonAsync(c, new { Tags = new Dictionary<string, string> { ["room"] = "42" } });
                    break;
                case "/createStream" when json["StreamName"]!.GetValue<string>() == "taken":
                    c.Response.Headers["x-amzn-ErrorType"] = "ResourceInUseException";
                    await JsonAsync(c, new { Message = "exists" }, 400);
                    break;
                case "/createStream":
                    await JsonAsync(c, new { StreamARN = "arn:aws:kinesisvideo:us-west-2:1:stream/new/1" });
                    break;
                default:
                    await JsonAsync(c, new { Message = "unexpected " + path }, 500);
                    break;
            }
        });
        using var client = Client(server.Url);

        var described = (await client.ControlPlane.DescribeStreamAsync(new DescribeStreamRequest { StreamName = "meet-1" }, CancellationToken.None)).StreamInfo!;
        var tags = await client.ListAllTagsForStreamAsync("arn:aws:kinesisvideo:us-west-2:1:stream/meet-1/1", CancellationToken.None);
        var arn = (await client.ControlPlane.CreateStreamAsync(new CreateStreamRequest
        {
            StreamName = "new", DataRetentionInHours = 24, MediaType = "audio/webm", Tags = new Dictionary<string, string> { ["kvsi"] = "on" },
        }, CancellationToken.None)).StreamARN;
        var missing = await Assert.ThrowsAsync<AwsResourceNotFoundException>(() => client.ControlPlane.DescribeStreamAsync(new DescribeStreamRequest { StreamName = "missing" }, CancellationToken.None));
        await Assert.ThrowsAsync<AwsResourceInUseException>(() => client.ControlPlane.CreateStreamAsync(new CreateStreamRequest { StreamName = "taken" }, CancellationToken.None));

        Assert.Equal(24, described.DataRetentionInHours);
        Assert.Equal("audio/webm", described.MediaType);
        Assert.Equal(new Dictionary<string, string> { ["kvsi"] = "on", ["room"] = "42" }, tags);
        Assert.All(seen.Where(s => s.Path == "/listTagsForStream"), s =>
        {
            Assert.Equal("arn:aws:kinesisvideo:us-west-2:1:stream/meet-1/1", s.Json!["StreamARN"]!.GetValue<string>());
            Assert.Null(s.Json["StreamName"]);
        });
        Assert.Equal("arn:aws:kinesisvideo:us-west-2:1:stream/new/1", arn);
        var create = seen.First(s => s.Path == "/createStream").Json!;
        Assert.Equal(24, create["DataRetentionInHours"]!.GetValue<int>());
        Assert.Equal("on", create["Tags"]!["kvsi"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("rid-9", missing.RequestId);
        Assert.Equal(1, seen.Count(s => s.Path == "/describeStream" && s.Json!["StreamName"]!.GetValue<string>() == "missing"));
    }

    [Fact]
    public async Task GetMedia_SlowChunkedAnswer_FirstBytesReadBeforeAnswerEndsAndEndpointCached()
    {
        var firstSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new ConcurrentQueue<Seen>();
        await using var server = new AwsLoopbackServer(async c =>
        {
            var json = await ReadJsonAsync(c);
            var path = c.Request.Url!.AbsolutePath;
            seen.Enqueue(new Seen(path, json, Headers(c)));
            if (path == "/getDataEndpoint")
            {
                await JsonAsync(c, new { DataEndpoint = Base(c) + "/data" });
                return;
            }
            Assert.Equal("/data/getMedia", path);
            c.Response.ContentType = "video/webm";
            c.Response.SendChunked = true;
            await c.Response.OutputStream.WriteAsync("first-cluster"u8.ToArray());
            await c.Response.OutputStream.FlushAsync();
            // The rest is sent only once the client has shown it read the first bytes: a buffering client would hang here.
            await firstSeen.Task.WaitAsync(Patience);
            await c.Response.OutputStream.WriteAsync("|second-cluster"u8.ToArray());
        });
        using var client = Client(server.Url);

        using (var media = await client.GetMediaAsync("meet-1", KvsStartSelector.AfterFragment("91343852333181432392682062607743920146264"), CancellationToken.None))
        {
            var buffer = new byte[64];
            var n = await media.Payload!.ReadAsync(buffer).AsTask().WaitAsync(Patience);
            Assert.Equal("first-cluster", Encoding.UTF8.GetString(buffer, 0, n));
            firstSeen.SetResult();
            var rest = await new StreamReader(media.Payload!).ReadToEndAsync().WaitAsync(Patience);
            Assert.Equal("|second-cluster", rest);
            Assert.Equal("video/webm", media.ContentType);
        }
        using (var again = await client.GetMediaAsync("meet-1", KvsStartSelector.Now(), CancellationToken.None))
        {
            firstSeen.TrySetResult();
            await new StreamReader(again.Payload!).ReadToEndAsync().WaitAsync(Patience);
        }

        var endpointCalls = seen.Where(s => s.Path == "/getDataEndpoint").ToList();
        var endpointCall = Assert.Single(endpointCalls);
        Assert.Equal("GET_MEDIA", endpointCall.Json!["APIName"]!.GetValue<string>());
        Assert.Equal("meet-1", endpointCall.Json["StreamName"]!.GetValue<string>());
        var gets = seen.Where(s => s.Path == "/data/getMedia").Select(s => s.Json!).ToList();
        Assert.Equal("FRAGMENT_NUMBER", gets[0]["StartSelector"]!["StartSelectorType"]!.GetValue<string>());
        Assert.Equal("91343852333181432392682062607743920146264", gets[0]["StartSelector"]!["AfterFragmentNumber"]!.GetValue<string>());
        Assert.Equal("""{"StartSelectorType":"NOW"}""", gets[1]["StartSelector"]!.ToJsonString());
    }

    [Fact]
    public void StartSelector_Timestamps_SerializeAsEpochSeconds()
    {
        var t = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);
        Assert.Equal("PRODUCER_TIMESTAMP", KvsStartSelector.ProducerTime(t).StartSelectorType);
        Assert.Equal("SERVER_TIMESTAMP", KvsStartSelector.ServerTime(t).StartSelectorType);
        Assert.Equal("EARLIEST", KvsStartSelector.Earliest().StartSelectorType);
        Assert.Equal("CONTINUATION_TOKEN", KvsStartSelector.Continuation("tok").StartSelectorType);
        Assert.Equal("1700000000.123", AwsEpochSecondsConverter.Format(t));
        Assert.Throws<ArgumentException>(() => KvsStartSelector.AfterFragment("12a"));
        Assert.Throws<ArgumentException>(() => KvsStartSelector.Continuation(""));
    }

    [Fact]
    public async Task ListFragments_TimestampRangeOverPages_SortsByNumberAndSendsSelector()
    {
        var seen = new ConcurrentQueue<Seen>();
        await using var server = new AwsLoopbackServer(async c =>
        {
            var json = await ReadJsonAsync(c);
            var path = c.Request.Url!.AbsolutePath;
            seen.Enqueue(new Seen(path, json, Headers(c)));
            if (path == "/getDataEndpoint")
            {
                await JsonAsync(c, new { DataEndpoint = Base(c) });
                return;
            }
            object F(string n, double ts) => new { FragmentNumber = n, FragmentSizeInBytes = 1234, ProducerTimestamp = ts, ServerTimestamp = ts + 0.25, FragmentLengthInMilliseconds = 2000 };
            await (json["NextToken"] is null
                ? JsonAsync(c, new { Fragments = new[] { F("91343852333181432392682062607743920146270", 1700000004), F("9134385233318143239268206260774392014626", 1700000000) }, NextToken = "n2" })
                : JsonAsync(c, new { Fragments = new[] { F("91343852333181432392682062607743920146264", 1700000002) } }));
        });
        using var client = Client(server.Url);
        var start = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

        var fragments = await client.ListFragmentsAsync("meet-1", start, start.AddMinutes(5), KvsTimestampOrigin.Server, CancellationToken.None);

        Assert.Equal(["9134385233318143239268206260774392014626", "91343852333181432392682062607743920146264", "91343852333181432392682062607743920146270"],
            fragments.Select(f => f.FragmentNumber));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_002_250), fragments[1].ServerTimestamp);
        Assert.Equal(2000, fragments[1].FragmentLengthInMilliseconds);
        var calls = seen.Where(s => s.Path == "/listFragments").Select(s => s.Json!).ToList();
        Assert.Equal(2, calls.Count);
        Assert.Equal("SERVER_TIMESTAMP", calls[0]["FragmentSelector"]!["FragmentSelectorType"]!.GetValue<string>());
        Assert.Equal(1_700_000_000m, calls[0]["FragmentSelector"]!["TimestampRange"]!["StartTimestamp"]!.GetValue<decimal>());
        Assert.Equal(1_700_000_300m, calls[0]["FragmentSelector"]!["TimestampRange"]!["EndTimestamp"]!.GetValue<decimal>());
        Assert.Equal("n2", calls[1]["NextToken"]!.GetValue<string>());
        Assert.Equal("LIST_FRAGMENTS", Assert.Single(seen, s => s.Path == "/getDataEndpoint").Json!["APIName"]!.GetValue<string>());
        await Assert.ThrowsAsync<ArgumentException>(() => client.ListFragmentsPageAsync("meet-1", start, null, KvsTimestampOrigin.Server, null, CancellationToken.None));
    }

    [Fact]
    public async Task OpenFragments_2500Fragments_SplitsIntoCallsOfAtMost1000AndConcatenates()
    {
        var seen = new ConcurrentQueue<Seen>();
        await using var server = new AwsLoopbackServer(async c =>
        {
            var json = await ReadJsonAsync(c);
            var path = c.Request.Url!.AbsolutePath;
            seen.Enqueue(new Seen(path, json, Headers(c)));
            if (path == "/getDataEndpoint")
            {
                await JsonAsync(c, new { DataEndpoint = Base(c) });
                return;
            }
            var list = json["Fragments"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
            c.Response.ContentType = "video/webm";
            var bytes = Encoding.UTF8.GetBytes($"[{list[0]}..{list[^1]}:{list.Count}]");
            await c.Response.OutputStream.WriteAsync(bytes);
        });
        using var client = Client(server.Url);
        var numbers = Enumerable.Range(0, 2500).Select(i => (100000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();

        using var media = await client.OpenFragmentsAsync("meet-1", numbers, CancellationToken.None);
        var all = await new StreamReader(media.Payload!).ReadToEndAsync().WaitAsync(Patience);

        Assert.Equal("[100000..100999:1000][101000..101999:1000][102000..102499:500]", all);
        Assert.Equal(3, seen.Count(s => s.Path == "/getMediaForFragmentList"));
        Assert.Equal("GET_MEDIA_FOR_FRAGMENT_LIST", Assert.Single(seen, s => s.Path == "/getDataEndpoint").Json!["APIName"]!.GetValue<string>());
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetMediaForFragmentListAsync("meet-1", numbers, CancellationToken.None));
    }

    [Fact]
    public async Task PutMedia_StreamedBody_AcknowledgementsArriveWhileUploading()
    {
        var seen = new ConcurrentQueue<Seen>();
        await using var server = new AwsLoopbackServer(async c =>
        {
            var path = c.Request.Url!.AbsolutePath;
            if (path == "/getDataEndpoint")
            {
                var json = await ReadJsonAsync(c);
                seen.Enqueue(new Seen(path, json, Headers(c)));
                await JsonAsync(c, new { DataEndpoint = Base(c) });
                return;
            }
            seen.Enqueue(new Seen(path, null, Headers(c)));
            c.Response.SendChunked = true;
            c.Response.ContentType = "application/json";
            var output = c.Response.OutputStream;
            // Answer 200 at once, then one BUFFERING/PERSISTED pair per line ("fragment") as it arrives.
            await output.FlushAsync();
            var n = 0;
            while (await ReadLineByteByByteAsync(c.Request.InputStream) is { } line)
            {
                var number = "913438523331814323926820626077439201462" + (64 + n).ToString(System.Globalization.CultureInfo.InvariantCulture);
                var ack = line == "bad"
                    ? $$"""{"EventType":"ERROR","FragmentTimecode":{{n * 2000}},"FragmentNumber":"{{number}}","ErrorId":4004}""" + "\n"
                    : $$"""{"EventType":"BUFFERING","FragmentTimecode":{{n * 2000}}}""" + "\r\n" + $$"""{"EventType":"PERSISTED","FragmentTimecode":{{n * 2000}},"FragmentNumber":"{{number}}"}""" + "\n";
                await output.WriteAsync(Encoding.UTF8.GetBytes(ack));
                await output.FlushAsync();
                n++;
            }
            await output.WriteAsync("""{"EventType":"IDLE"}"""u8.ToArray());
        });
        using var client = Client(server.Url);
        var pipe = new Pipe();
        var start = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_500);

        await pipe.Writer.WriteAsync("fragment-0\n"u8.ToArray());
        await using var session = await client.PutMediaAsync(new KvsPutMediaRequest
        {
            StreamName = "meet-1",
            FragmentTimecodeType = KvsFragmentTimecodeType.Relative,
            ProducerStartTimestamp = start,
            Payload = pipe.Reader.AsStream(),
        }, CancellationToken.None).WaitAsync(Patience);

        var acks = new List<KvsAcknowledgement>();
        var sent = 1;
        await foreach (var ack in session.ReadAcknowledgementsAsync().WithCancellation(new CancellationTokenSource(Patience).Token))
        {
            acks.Add(ack);
            // The next fragment is written only after the previous one was persisted: proves upload and acks run together.
            if (ack.EventType == KvsAckEventType.Persisted)
            {
                if (sent < 3) await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes($"fragment-{sent}\n"));
                else if (sent == 3) await pipe.Writer.WriteAsync("bad\n"u8.ToArray());
                sent++;
            }
            if (ack.EventType == KvsAckEventType.Error) await pipe.Writer.CompleteAsync();
        }

        Assert.Equal([KvsAckEventType.Buffering, KvsAckEventType.Persisted, KvsAckEventType.Buffering, KvsAckEventType.Persisted,
            KvsAckEventType.Buffering, KvsAckEventType.Persisted, KvsAckEventType.Error, KvsAckEventType.Idle], acks.Select(a => a.EventType));
        Assert.Equal("91343852333181432392682062607743920146266", acks[5].FragmentNumber);
        Assert.Equal(4000, acks[5].FragmentTimecode);
        Assert.Equal(4004, acks[6].ErrorId);
        var put = Assert.Single(seen, s => s.Path == "/putMedia");
        Assert.Equal("meet-1", put.Headers["x-amzn-stream-name"]);
        Assert.Equal("RELATIVE", put.Headers["x-amzn-fragment-timecode-type"]);
        Assert.Equal("1700000000.5", put.Headers["x-amzn-producer-start-timestamp"]);
        Assert.Equal("chunked", put.Headers["Transfer-Encoding"]);
        Assert.Equal("UNSIGNED-PAYLOAD", put.Headers["X-Amz-Content-SHA256"]);
        Assert.Contains("x-amzn-stream-name", put.Headers["Authorization"]);
        Assert.Equal("PUT_MEDIA", Assert.Single(seen, s => s.Path == "/getDataEndpoint").Json!["APIName"]!.GetValue<string>());
    }

    /// <summary>HttpListener's chunked request stream waits to fill large reads, so the stand-in reads one byte at a time.</summary>
    private static async Task<string?> ReadLineByteByByteAsync(Stream input)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (await input.ReadAsync(one) == 1)
        {
            if (one[0] == (byte)'\n') return line.ToString();
            line.Append((char)one[0]);
        }
        return line.Length > 0 ? line.ToString() : null;
    }

    [Fact]
    public async Task PutMedia_StreamMissing_ThrowsResourceNotFound()
    {
        await using var server = new AwsLoopbackServer(async c =>
        {
            if (c.Request.Url!.AbsolutePath == "/getDataEndpoint")
            {
                await ReadJsonAsync(c);
                await JsonAsync(c, new { DataEndpoint = Base(c) });
                return;
            }
            c.Response.Headers["x-amzn-ErrorType"] = "ResourceNotFoundException";
            c.Response.Headers["x-amzn-RequestId"] = "put-1";
            await JsonAsync(c, new { Message = "Stream meet-9 not found" }, 404);
        });
        using var client = Client(server.Url);
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync("fragment-0\n"u8.ToArray());

        var e = await Assert.ThrowsAsync<AwsResourceNotFoundException>(() => client.PutMediaAsync(new KvsPutMediaRequest
        {
            StreamName = "meet-9",
            FragmentTimecodeType = KvsFragmentTimecodeType.Absolute,
            Payload = pipe.Reader.AsStream(),
        }, CancellationToken.None).WaitAsync(Patience));

        Assert.Equal("put-1", e.RequestId);
        Assert.Equal("Stream meet-9 not found", e.ServiceMessage);
        Assert.Equal("kinesisvideo:PutMedia", e.Operation);
    }

    [Fact]
    public async Task PutMedia_BadArguments_Throw()
    {
        using var client = Client(new Uri("http://127.0.0.1:9"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.PutMediaAsync(new KvsPutMediaRequest { Payload = Stream.Null }, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => client.PutMediaAsync(new KvsPutMediaRequest { StreamName = "a", Payload = Stream.Null }, CancellationToken.None));
    }

    [Fact]
    public async Task GetMedia_ConnectionLimitThenOk_RetriedAsThrottling()
    {
        var n = 0;
        await using var server = new AwsLoopbackServer(async c =>
        {
            var json = await ReadJsonAsync(c);
            if (c.Request.Url!.AbsolutePath == "/getDataEndpoint")
            {
                await JsonAsync(c, new { DataEndpoint = Base(c) });
                return;
            }
            if (Interlocked.Increment(ref n) == 1)
            {
                c.Response.Headers["x-amzn-ErrorType"] = "ConnectionLimitExceededException";
                await JsonAsync(c, new { Message = "too many GetMedia connections" }, 400);
                return;
            }
            await c.Response.OutputStream.WriteAsync("mkv"u8.ToArray());
        });
        using var client = Client(server.Url);

        using var media = await client.GetMediaAsync("meet-1", KvsStartSelector.Earliest(), CancellationToken.None);

        Assert.Equal("mkv", await new StreamReader(media.Payload!).ReadToEndAsync().WaitAsync(Patience));
        Assert.Equal(2, n);
    }

    [Theory]
    [InlineData("1", "2", -1)]
    [InlineData("10", "9", 1)]
    [InlineData("91343852333181432392682062607743920146264", "91343852333181432392682062607743920146264", 0)]
    [InlineData("9134385233318143239268206260774392014626", "91343852333181432392682062607743920146264", -1)]
    public void CompareFragmentNumbers_DecimalStrings_NumericOrder(string a, string b, int sign) =>
        Assert.Equal(sign, Math.Sign(KinesisVideoClient.CompareFragmentNumbers(a, b)));
}
