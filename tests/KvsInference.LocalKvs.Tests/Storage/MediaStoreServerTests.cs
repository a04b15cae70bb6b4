using KvsInference.Aws.KinesisVideo;
using System.Net;
using System.Text.Json;
using KvsInference.Kvs;
using KvsInference.LocalKvs.Storage;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Storage;

public sealed class MediaStoreServerTests
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task PutMedia_FfmpegWebmInSmallChunks_AcksBufferingReceivedPersistedPerClusterWithIncreasingNumbers()
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        await kit.CreateStreamAsync("speech");
        byte[] media = File.ReadAllBytes(StoreMedia.SpeechWebm);

        List<JsonElement> acks = await kit.PutMediaAsync("speech", media, chunkBytes: 700);

        int clusters = CountClusters(media);
        Assert.True(clusters >= 4, $"expected several 1 s clusters, got {clusters}");
        Assert.Equal(clusters * 3, acks.Count);
        string? previous = null;
        long previousTimecode = -1;
        for (int i = 0; i < clusters; i++)
        {
            string[] types = [.. acks.Skip(i * 3).Take(3).Select(a => a.GetProperty("EventType").GetString()!)];
            Assert.Equal(["BUFFERING", "RECEIVED", "PERSISTED"], types);
            string number = acks[i * 3 + 2].GetProperty("FragmentNumber").GetString()!;
            long timecode = acks[i * 3 + 2].GetProperty("FragmentTimecode").GetInt64();
            Assert.Equal(FragmentSequence.Length, number.Length);
            if (previous is not null) Assert.True(FragmentNumber.Compare(number, previous) > 0, $"{number} after {previous}");
            Assert.True(timecode > previousTimecode);
            previous = number;
            previousTimecode = timecode;
        }
    }

    [Fact]
    public async Task GetMedia_EarliestAfterPut_ReturnsEveryFrameIdenticalWithKvsTagsPerFragment()
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        await kit.CreateStreamAsync("speech");
        DateTimeOffset producerStart = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);
        List<JsonElement> acks = await kit.PutMediaAsync("speech", File.ReadAllBytes(StoreMedia.SpeechWebm), producerStart: producerStart);
        List<string> persisted = Persisted(acks);

        List<ReadFragment> fragments = await kit.GetMediaAsync("speech", new { StartSelectorType = "EARLIEST" });

        Assert.Equal(persisted, fragments.Select(f => f.Metadata!.FragmentNumber!).ToList());
        var source = StoreMedia.Frames(StoreMedia.SpeechWebm);
        var read = fragments.SelectMany(f => f.Frames).ToList();
        Assert.Equal(source.Count, read.Count);
        for (int i = 0; i < source.Count; i++)
        {
            Assert.Equal(source[i].TimestampNs, read[i].TimestampNs);
            Assert.Equal(source[i].Payload, read[i].Payload);
        }
        // ffprobe agrees on the packets of the original.
        Assert.Equal(MatroskaTestMedia.FfprobePackets(StoreMedia.SpeechWebm).Select(p => p.Size), read.Select(f => f.Payload.Length));
        for (int i = 0; i < fragments.Count; i++)
        {
            MkvFragmentMetadataView m = new(fragments[i]);
            Assert.Equal(persisted[i], m.ContinuationToken);
            Assert.NotNull(m.ServerTimestamp);
            long clusterMs = fragments[i].Frames[0].TimestampNs / 1_000_000;
            Assert.Equal(producerStart.AddMilliseconds(clusterMs), m.ProducerTimestamp);
            Assert.True(m.MillisBehindNow >= 0);
            // Tag order as KVS: number and timestamps before the Cluster, millis-behind and token after it.
            Assert.Equal(["AWS_KINESISVIDEO_FRAGMENT_NUMBER", "AWS_KINESISVIDEO_SERVER_TIMESTAMP", "AWS_KINESISVIDEO_PRODUCER_TIMESTAMP",
                "AWS_KINESISVIDEO_MILLIS_BEHIND_NOW", "AWS_KINESISVIDEO_CONTINUATION_TOKEN"], fragments[i].Tags.Select(t => t.Name));
            Assert.Matches(@"^\d{10}\.\d{3}$", fragments[i].Tags[1].StringValue);
        }
    }

    [Theory]
    [InlineData("audio/webm", "audio/webm")]
    [InlineData(null, "video/webm")]
    public async Task GetMedia_StreamMediaType_IsTheResponseContentType(string? mediaType, string expected)
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        await kit.PostOkAsync("/createStream", new { StreamName = "typed", DataRetentionInHours = 24, MediaType = mediaType });
        List<string> persisted = Persisted(await kit.PutMediaAsync("typed", File.ReadAllBytes(StoreMedia.SpeechWebm)));

        // KVS answers GetMedia and GetMediaForFragmentList with the stream's MediaType.
        using (HttpResponseMessage live = await kit.StartGetMediaAsync("typed", new { StartSelectorType = "EARLIEST" }))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.Equal(expected, live.Content.Headers.ContentType?.MediaType);
        }
        using var listed = await kit.Http.PostAsync("/getMediaForFragmentList",
            new StringContent(JsonSerializer.Serialize(new { StreamName = "typed", Fragments = new[] { persisted[0] } })));
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Equal(expected, listed.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task GetMedia_EachSelector_StartsWhereKvsDoes()
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        await kit.CreateStreamAsync("speech");
        DateTimeOffset producerStart = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        List<string> numbers = Persisted(await kit.PutMediaAsync("speech", File.ReadAllBytes(StoreMedia.SpeechWebm), producerStart: producerStart));
        JsonElement listed = await kit.PostOkAsync("/listFragments", new { StreamName = "speech" });
        JsonElement third = listed.GetProperty("Fragments")[2];

        async Task<List<string>> Read(object selector) => (await kit.GetMediaAsync("speech", selector)).Select(f => f.Metadata!.FragmentNumber!).ToList();

        Assert.Equal(numbers, await Read(new { StartSelectorType = "EARLIEST" }));
        Assert.Equal(numbers.Skip(3), await Read(new { StartSelectorType = "FRAGMENT_NUMBER", AfterFragmentNumber = numbers[2] }));
        Assert.Equal(numbers.Skip(3), await Read(new { StartSelectorType = "CONTINUATION_TOKEN", ContinuationToken = numbers[2] }));
        Assert.Equal(numbers.Skip(2), await Read(new { StartSelectorType = "PRODUCER_TIMESTAMP", StartTimestamp = third.GetProperty("ProducerTimestamp").GetDecimal() + 0.010m }));
        Assert.Equal(numbers.Skip(2), await Read(new { StartSelectorType = "SERVER_TIMESTAMP", StartTimestamp = third.GetProperty("ServerTimestamp").GetDecimal() }));
        Assert.Empty(await Read(new { StartSelectorType = "NOW" }));
        Assert.Empty(await Read(new { StartSelectorType = "CONTINUATION_TOKEN", ContinuationToken = numbers[^1] }));

        var (status, errorType, body) = await kit.PostJsonAsync("/getMedia", new { StreamName = "speech", StartSelector = new { StartSelectorType = "SOMETIME" } });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("InvalidArgumentException", errorType);
        Assert.Contains("SOMETIME", body.GetProperty("Message").GetString());
    }

    [Fact]
    public async Task GetMedia_TwoReadersAtNow_BothReceiveFragmentsPutAfterTheyConnected()
    {
        await using var kit = await MediaStoreTestKit.StartAsync(o => o.GetMediaIdleTimeout = TimeSpan.FromSeconds(3));
        await kit.CreateStreamAsync("live");
        await kit.PutMediaAsync("live", StoreMedia.UnknownSizeWebm(null, 0, 1000));
        using HttpResponseMessage first = await kit.StartGetMediaAsync("live", new { StartSelectorType = "NOW" });
        using HttpResponseMessage second = await kit.StartGetMediaAsync("live", new { StartSelectorType = "NOW" });
        Task<List<ReadFragment>> readFirst = MediaStoreTestKit.ParseAsync(await first.Content.ReadAsStreamAsync());
        Task<List<ReadFragment>> readSecond = MediaStoreTestKit.ParseAsync(await second.Content.ReadAsStreamAsync());

        List<string> put = Persisted(await kit.PutMediaAsync("live", StoreMedia.UnknownSizeWebm(null, 5000, 6000, 7000),
            chunkBytes: 200, chunkDelay: TimeSpan.FromMilliseconds(5)));

        Assert.Equal(3, put.Count);
        foreach (Task<List<ReadFragment>> reader in new[] { readFirst, readSecond })
        {
            List<ReadFragment> read = await reader.WaitAsync(ReadTimeout);
            Assert.Equal(put, read.Select(f => f.Metadata!.FragmentNumber!).ToList());
            Assert.Equal([5000L, 6000L, 7000L], read.Select(f => f.Frames[0].TimestampNs / 1_000_000));
        }
    }

    [Fact]
    public async Task PutMedia_UnknownSizeClustersLikeChromium_StoredWithKnownSizesAndReadBack()
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        await kit.CreateStreamAsync("chromium");
        byte[] media = StoreMedia.UnknownSizeWebm(null, 0, 180, 360, 540);

        List<string> numbers = Persisted(await kit.PutMediaAsync("chromium", media, chunkBytes: 37));
        List<ReadFragment> read = await kit.GetMediaAsync("chromium", new { StartSelectorType = "EARLIEST" });

        Assert.Equal(4, numbers.Count);
        Assert.Equal(numbers, read.Select(f => f.Metadata!.FragmentNumber!).ToList());
        Assert.All(read, f => Assert.Equal(3, f.Frames.Count));
        Assert.Equal(Ebml.Payload(32, 130), read[3].Frames[1].Payload);
        JsonElement listed = await kit.PostOkAsync("/listFragments", new { StreamName = "chromium" });
        Assert.All(listed.GetProperty("Fragments").EnumerateArray(), f => Assert.Equal(180, f.GetProperty("FragmentLengthInMilliseconds").GetInt64()));
    }

    [Fact]
    public async Task Restart_WithDataKept_ServesStreamsTagsFragmentsAndKeepsNumbersIncreasing()
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        await kit.PostOkAsync("/createStream", new { StreamName = "kept", DataRetentionInHours = 2, Tags = new Dictionary<string, string> { ["team"] = "avatar" } });
        List<string> before = Persisted(await kit.PutMediaAsync("kept", StoreMedia.UnknownSizeWebm(null, 0, 1000, 2000)));

        await kit.RestartAsync();

        JsonElement info = (await kit.PostOkAsync("/describeStream", new { StreamName = "kept" })).GetProperty("StreamInfo");
        Assert.Equal(2, info.GetProperty("DataRetentionInHours").GetInt32());
        JsonElement tags = await kit.PostOkAsync("/listTagsForStream", new { StreamARN = info.GetProperty("StreamARN").GetString() });
        Assert.Equal("avatar", tags.GetProperty("Tags").GetProperty("team").GetString());
        Assert.Equal(before, (await kit.GetMediaAsync("kept", new { StartSelectorType = "EARLIEST" })).Select(f => f.Metadata!.FragmentNumber!).ToList());
        List<string> after = Persisted(await kit.PutMediaAsync("kept", StoreMedia.UnknownSizeWebm(null, 0)));
        Assert.True(FragmentNumber.Compare(after[0], before[^1]) > 0);
    }

    [Fact]
    public async Task ListFragmentsAndGetMediaForFragmentList_PageAndFilterAndReturnAskedFragments()
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        await kit.CreateStreamAsync("archive");
        DateTimeOffset start = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        List<string> numbers = Persisted(await kit.PutMediaAsync("archive", StoreMedia.UnknownSizeWebm(null, 0, 1000, 2000, 3000, 4000), producerStart: start));

        var pages = new List<string>();
        string? token = null;
        int calls = 0;
        do
        {
            JsonElement page = await kit.PostOkAsync("/listFragments", token is null ? new { StreamName = "archive", MaxResults = 2 } : new { StreamName = "archive", MaxResults = 2, NextToken = token });
            pages.AddRange(page.GetProperty("Fragments").EnumerateArray().Select(f => f.GetProperty("FragmentNumber").GetString()!));
            token = page.TryGetProperty("NextToken", out JsonElement next) ? next.GetString() : null;
        }
        while (token is not null && ++calls < 10);
        Assert.Equal(numbers, pages);

        JsonElement ranged = await kit.PostOkAsync("/listFragments", new
        {
            StreamName = "archive",
            FragmentSelector = new { FragmentSelectorType = "PRODUCER_TIMESTAMP", TimestampRange = new { StartTimestamp = 1_700_000_001m, EndTimestamp = 1_700_000_003m } },
        });
        JsonElement[] inRange = [.. ranged.GetProperty("Fragments").EnumerateArray()];
        Assert.Equal(numbers.Skip(1).Take(3), inRange.Select(f => f.GetProperty("FragmentNumber").GetString()));
        Assert.Equal(1_700_000_001m, inRange[0].GetProperty("ProducerTimestamp").GetDecimal());
        Assert.True(inRange[0].GetProperty("FragmentSizeInBytes").GetInt64() > 390);

        using var response = await kit.Http.PostAsync("/getMediaForFragmentList",
            new StringContent(JsonSerializer.Serialize(new { StreamName = "archive", Fragments = new[] { numbers[3], numbers[1] } })));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        List<ReadFragment> read = await MediaStoreTestKit.ParseAsync(await response.Content.ReadAsStreamAsync());
        Assert.Equal([numbers[3], numbers[1]], read.Select(f => f.Metadata!.FragmentNumber));
        Assert.Equal(Ebml.Payload(31, 120), read[0].Frames[0].Payload);

        var (status, errorType, body) = await kit.PostJsonAsync("/getMediaForFragmentList", new { StreamName = "archive", Fragments = new[] { numbers[0], "123" } });
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("ResourceNotFoundException", errorType);
        Assert.Contains("123", body.GetProperty("Message").GetString());
    }

    [Fact]
    public async Task ListFragments_NextTokenNotAFragmentNumber_InvalidArgument()
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        await kit.CreateStreamAsync("archive");

        // Base64 of "abc": a well-formed token that no ListFragments page returned.
        var (status, errorType, body) = await kit.PostJsonAsync("/listFragments", new { StreamName = "archive", NextToken = "YWJj" });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("InvalidArgumentException", errorType);
        Assert.Contains("NextToken", body.GetProperty("Message").GetString());
    }

    [Fact]
    public async Task PutMedia_NotMkv_ErrorAck4006WithClearMessage()
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        await kit.CreateStreamAsync("bad");

        List<JsonElement> acks = await kit.PutMediaAsync("bad", "this is not a matroska file at all, just text"u8.ToArray());

        JsonElement error = Assert.Single(acks);
        Assert.Equal("ERROR", error.GetProperty("EventType").GetString());
        Assert.Equal(4006, error.GetProperty("ErrorId").GetInt32());
        Assert.Equal("INVALID_MKV_DATA", error.GetProperty("ErrorCode").GetString());
        Assert.Contains("EBML", error.GetProperty("Message").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task PutMedia_OversizeFragment_Error4001AndEarlierFragmentsStillServed()
    {
        await using var kit = await MediaStoreTestKit.StartAsync(o => o.MaxFragmentSizeBytes = 4096);
        await kit.CreateStreamAsync("big");

        List<JsonElement> acks = await kit.PutMediaAsync("big", StoreMedia.KnownSizeWebm(500, 600, 9000, 700));

        Assert.Equal(2, Persisted(acks).Count);
        JsonElement error = acks[^1];
        Assert.Equal(4001, error.GetProperty("ErrorId").GetInt32());
        Assert.Equal("MAX_FRAGMENT_SIZE_REACHED", error.GetProperty("ErrorCode").GetString());
        Assert.Equal(2000, error.GetProperty("FragmentTimecode").GetInt64());
        Assert.Equal(Persisted(acks), (await kit.GetMediaAsync("big", new { StartSelectorType = "EARLIEST" })).Select(f => f.Metadata!.FragmentNumber!).ToList());
        Assert.Empty(Directory.EnumerateFiles(kit.Options.DataDirectory, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task PutMedia_TimeGoingBackwards_Error4004AndEarlierFragmentsKept()
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        await kit.CreateStreamAsync("clock");

        List<JsonElement> acks = await kit.PutMediaAsync("clock", StoreMedia.UnknownSizeWebm(null, 1000, 2000, 1500, 3000));

        Assert.Equal(2, Persisted(acks).Count);
        Assert.Equal(4004, acks[^1].GetProperty("ErrorId").GetInt32());
        Assert.Equal("FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS", acks[^1].GetProperty("ErrorCode").GetString());
        Assert.Equal(1500, acks[^1].GetProperty("FragmentTimecode").GetInt64());
        JsonElement listed = await kit.PostOkAsync("/listFragments", new { StreamName = "clock" });
        Assert.Equal(2, listed.GetProperty("Fragments").GetArrayLength());
    }

    [Fact]
    public async Task PutMedia_CodecPrivateChangesMidUpload_ErrorAndFirstSegmentKept()
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        await kit.CreateStreamAsync("codec");
        byte[] media = Ebml.Concat(StoreMedia.UnknownSizeWebm(Ebml.OpusTracks(channels: 1), 0, 1000), StoreMedia.UnknownSizeWebm(Ebml.OpusTracks(channels: 2), 2000));

        List<JsonElement> acks = await kit.PutMediaAsync("codec", media);

        Assert.Equal(2, Persisted(acks).Count);
        Assert.Equal(4006, acks[^1].GetProperty("ErrorId").GetInt32());
        Assert.Contains("codec private data of track 1", acks[^1].GetProperty("Message").GetString());
    }

    [Fact]
    public async Task GetMedia_FourthConcurrentReader_ConnectionLimitExceeded_AndSixthCallInASecondThrottled()
    {
        await using var kit = await MediaStoreTestKit.StartAsync(o => o.GetMediaIdleTimeout = TimeSpan.FromSeconds(1));
        await kit.CreateStreamAsync("busy");
        var open = new List<HttpResponseMessage>();
        for (int i = 0; i < 3; i++)
        {
            HttpResponseMessage response = await kit.StartGetMediaAsync("busy", new { StartSelectorType = "NOW" });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            open.Add(response);
        }

        var (status, errorType, body) = await kit.PostJsonAsync("/getMedia", new { StreamName = "busy", StartSelector = new { StartSelectorType = "NOW" } });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("ConnectionLimitExceededException", errorType);
        Assert.Contains("3", body.GetProperty("Message").GetString());

        foreach (HttpResponseMessage response in open) response.Dispose();

        // Six calls at once on another stream: the TPS check (5 a second) comes first, so one is throttled.
        await kit.CreateStreamAsync("tps");
        var calls = Enumerable.Range(0, 6).Select(_ => kit.PostJsonAsync("/getMedia", new { StreamName = "tps", StartSelector = new { StartSelectorType = "EARLIEST" } }));
        var results = await Task.WhenAll(calls);
        Assert.Equal(1, results.Count(r => r.ErrorType == "ClientLimitExceededException"));
        Assert.Equal(3, results.Count(r => r.Status == HttpStatusCode.OK));
    }

    [Fact]
    public async Task ControlPlane_CreateDescribeListTagDelete_MatchKvsShapesAndErrors()
    {
        await using var kit = await MediaStoreTestKit.StartAsync();
        JsonElement created = await kit.PostOkAsync("/createStream", new { StreamName = "cam-1", DataRetentionInHours = 0, MediaType = "audio/webm", DeviceName = "meeting" });
        string arn = created.GetProperty("StreamARN").GetString()!;
        Assert.StartsWith("arn:aws:kinesisvideo:us-east-1:000000000000:stream/cam-1/", arn);
        await kit.CreateStreamAsync("cam-2");
        await kit.CreateStreamAsync("other");

        var (status, errorType, _) = await kit.PostJsonAsync("/createStream", new { StreamName = "cam-1" });
        Assert.Equal((HttpStatusCode.BadRequest, "ResourceInUseException"), (status, errorType));
        (status, errorType, _) = await kit.PostJsonAsync("/createStream", new { StreamName = "bad/name" });
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgumentException"), (status, errorType));
        (status, errorType, _) = await kit.PostJsonAsync("/describeStream", new { StreamName = "missing" });
        Assert.Equal((HttpStatusCode.NotFound, "ResourceNotFoundException"), (status, errorType));

        JsonElement page = await kit.PostOkAsync("/listStreams", new { MaxResults = 1, StreamNameCondition = new { ComparisonOperator = "BEGINS_WITH", ComparisonValue = "cam-" } });
        Assert.Equal("cam-1", page.GetProperty("StreamInfoList")[0].GetProperty("StreamName").GetString());
        JsonElement rest = await kit.PostOkAsync("/listStreams", new { MaxResults = 1, NextToken = page.GetProperty("NextToken").GetString(), StreamNameCondition = new { ComparisonOperator = "BEGINS_WITH", ComparisonValue = "cam-" } });
        Assert.Equal("cam-2", rest.GetProperty("StreamInfoList")[0].GetProperty("StreamName").GetString());
        Assert.False(rest.TryGetProperty("NextToken", out _));

        JsonElement info = (await kit.PostOkAsync("/describeStream", new { StreamARN = arn })).GetProperty("StreamInfo");
        Assert.Equal("ACTIVE", info.GetProperty("Status").GetString());
        Assert.Equal("audio/webm", info.GetProperty("MediaType").GetString());
        Assert.Equal(JsonValueKind.Number, info.GetProperty("CreationTime").ValueKind);

        await kit.PostOkAsync("/tagStream", new { StreamARN = arn, Tags = new Dictionary<string, string> { ["kvsinference"] = "on", ["x"] = "1" } });
        await kit.PostOkAsync("/untagStream", new { StreamARN = arn, TagKeyList = new[] { "x" } });
        JsonElement tags = (await kit.PostOkAsync("/listTagsForStream", new { StreamName = "cam-1" })).GetProperty("Tags");
        Assert.Equal("{\"kvsinference\":\"on\"}", tags.GetRawText());
        IReadOnlyDictionary<string, string> viaCatalog = await kit.Server.Store.ListTagsAsync(arn, CancellationToken.None);
        Assert.Equal("on", viaCatalog["kvsinference"]);
        Assert.Equal(["cam-1", "cam-2"], (await kit.Server.Store.ListStreamsAsync("cam-", CancellationToken.None)).Select(s => s.StreamName));

        JsonElement endpoint = await kit.PostOkAsync("/getDataEndpoint", new { StreamName = "cam-1", APIName = "GET_MEDIA" });
        Assert.Equal(kit.Server.Url, endpoint.GetProperty("DataEndpoint").GetString());

        await kit.PostOkAsync("/deleteStream", new { StreamARN = arn });
        (status, errorType, _) = await kit.PostJsonAsync("/describeStream", new { StreamName = "cam-1" });
        Assert.Equal((HttpStatusCode.NotFound, "ResourceNotFoundException"), (status, errorType));
    }

    private static List<string> Persisted(List<JsonElement> acks) =>
        acks.Where(a => a.GetProperty("EventType").GetString() == "PERSISTED").Select(a => a.GetProperty("FragmentNumber").GetString()!).ToList();

    private static int CountClusters(byte[] media)
    {
        int count = 0;
        for (int i = 0; i + 4 <= media.Length; i++)
        {
            if (media[i] == 0x1F && media[i + 1] == 0x43 && media[i + 2] == 0xB6 && media[i + 3] == 0x75) count++;
        }
        return count;
    }

    /// <summary>The KVS fragment tags of one read fragment.</summary>
    private readonly struct MkvFragmentMetadataView(ReadFragment fragment)
    {
        public string? ContinuationToken => fragment.Metadata!.ContinuationToken;
        public DateTimeOffset? ServerTimestamp => fragment.Metadata!.ServerTimestamp;
        public DateTimeOffset? ProducerTimestamp => fragment.Metadata!.ProducerTimestamp;
        public long? MillisBehindNow => fragment.Metadata!.MillisBehindNow;
    }
}
