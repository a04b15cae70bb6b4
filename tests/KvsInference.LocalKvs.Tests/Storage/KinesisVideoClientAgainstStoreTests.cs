using System.Net;
using Amazon.Runtime;
using KvsInference.Aws;
using System.IO.Pipelines;
using KvsInference.Aws.Generated.KinesisVideo;
using KvsInference.Aws.KinesisVideo;
using KvsInference.IO;
using KvsInference.Kvs;
using KvsInference.Matroska;
using KvsInference.Media;
using KvsInference.LocalKvs.Storage;
using KvsInference.TestSupport;
using Fragment = KvsInference.Aws.Generated.KinesisVideoArchivedMedia.Fragment;
using GetMediaForFragmentListResponse = KvsInference.Aws.Generated.KinesisVideoArchivedMedia.GetMediaForFragmentListResponse;
using GetMediaResponse = KvsInference.Aws.Generated.KinesisVideoMedia.GetMediaResponse;

namespace KvsInference.Tests.Storage;

/// <summary>
/// The typed KVS client (KvsInference.Core) against the local media store (KvsInference.LocalKvs) over loopback HTTP:
/// each side was tested alone; here their wire shapes meet.
/// </summary>
public sealed class KinesisVideoClientAgainstStoreTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ControlPlane_CreateDescribeListTagsAndCatalog_RoundTripThroughClient()
    {
        await using MediaStoreServer server = await StartStoreAsync();
        using KinesisVideoClient client = Client(server, o => o.PageSize = 2);
        var tags = new Dictionary<string, string> { ["kvsinference"] = "on", ["team"] = "avatar" };
        string arn = (await client.ControlPlane.CreateStreamAsync(new CreateStreamRequest
        {
            StreamName = "cam-1", DataRetentionInHours = 24, MediaType = "audio/webm", DeviceName = "meeting-7", Tags = tags,
        }, CancellationToken.None)).StreamARN!;
        foreach (string name in new[] { "cam-2", "cam-3", "other" })
        {
            await client.ControlPlane.CreateStreamAsync(new CreateStreamRequest { StreamName = name, DataRetentionInHours = 1 }, CancellationToken.None);
        }

        Assert.StartsWith("arn:aws:kinesisvideo:us-east-1:000000000000:stream/cam-1/", arn);
        var inUse = await Assert.ThrowsAsync<AwsResourceInUseException>(() =>
            client.ControlPlane.CreateStreamAsync(new CreateStreamRequest { StreamName = "cam-1" }, CancellationToken.None));
        Assert.Equal("ResourceInUseException", inUse.ServiceErrorCode);

        StreamInfo byName = (await client.ControlPlane.DescribeStreamAsync(new DescribeStreamRequest { StreamName = "cam-1" }, CancellationToken.None)).StreamInfo!;
        StreamInfo byArn = (await client.ControlPlane.DescribeStreamAsync(new DescribeStreamRequest { StreamARN = arn }, CancellationToken.None)).StreamInfo!;
        Assert.Equal(("cam-1", arn, "ACTIVE", (int?)24, "audio/webm", "meeting-7"),
            (byName.StreamName, byName.StreamARN, byName.Status, byName.DataRetentionInHours, byName.MediaType, byName.DeviceName));
        Assert.Equal(byName.Version, byArn.Version);
        Assert.NotNull(byName.CreationTime);
        Assert.InRange(byName.CreationTime!.Value, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1));

        // Page size 2 over three "cam-" streams: two pages, the second without a token.
        var camPrefix = new StreamNameCondition { ComparisonOperator = "BEGINS_WITH", ComparisonValue = "cam-" };
        ListStreamsResponse first = await client.ControlPlane.ListStreamsAsync(new ListStreamsRequest { MaxResults = 2, StreamNameCondition = camPrefix }, CancellationToken.None);
        Assert.Equal(["cam-1", "cam-2"], first.StreamInfoList!.Select(s => s.StreamName));
        Assert.NotNull(first.NextToken);
        ListStreamsResponse second = await client.ControlPlane.ListStreamsAsync(new ListStreamsRequest
        {
            MaxResults = 2, StreamNameCondition = camPrefix, NextToken = first.NextToken,
        }, CancellationToken.None);
        Assert.Equal(["cam-3"], second.StreamInfoList!.Select(s => s.StreamName));
        Assert.Null(second.NextToken);
        Assert.Equal(["cam-1", "cam-2", "cam-3", "other"], (await client.ListAllStreamsAsync(null, CancellationToken.None)).Select(s => s.StreamName).Order());

        Assert.Equal(tags, await client.ListAllTagsForStreamAsync("cam-1", CancellationToken.None));
        Assert.Equal(tags, await client.ListAllTagsForStreamAsync(arn, CancellationToken.None));
        Assert.Empty(await client.ListAllTagsForStreamAsync("cam-2", CancellationToken.None));

        // The worker sees the client through KvsStreamCatalog; it must agree with the store's own catalog.
        IStreamCatalog catalog = new KvsStreamCatalog(client);
        IReadOnlyList<KvsStreamInfo> listed = await catalog.ListStreamsAsync("cam-", CancellationToken.None);
        IReadOnlyList<KvsStreamInfo> direct = await server.Store.ListStreamsAsync("cam-", CancellationToken.None);
        Assert.Equal(direct.Select(s => (s.StreamName, s.StreamArn, s.Status)), listed.Select(s => (s.StreamName, s.StreamArn, s.Status)));
        Assert.Equal(byName.CreationTime, listed[0].CreationTime);
        Assert.Equal(tags, await catalog.ListTagsAsync(arn, CancellationToken.None));
    }

    [Fact]
    public async Task GetDataEndpoint_EachApiName_ReturnsStoreUrl()
    {
        await using MediaStoreServer server = await StartStoreAsync();
        using KinesisVideoClient client = Client(server);
        await client.ControlPlane.CreateStreamAsync(new CreateStreamRequest { StreamName = "endpoints" }, CancellationToken.None);

        foreach (string api in new[] { KvsApiName.PutMedia, KvsApiName.GetMedia, KvsApiName.ListFragments, KvsApiName.GetMediaForFragmentList })
        {
            Assert.Equal(new Uri(server.Url), await client.GetDataEndpointAsync("endpoints", api, CancellationToken.None));
        }
        await Assert.ThrowsAsync<AwsResourceNotFoundException>(() => client.GetDataEndpointAsync("missing", KvsApiName.GetMedia, CancellationToken.None));
        var invalid = await Assert.ThrowsAsync<AwsValidationException>(() => client.GetDataEndpointAsync("endpoints", "GET_EVERYTHING", CancellationToken.None));
        Assert.Equal("InvalidArgumentException", invalid.ServiceErrorCode);
    }

    [Fact]
    public async Task DescribeStream_UnknownStream_ThrowsResourceNotFoundWithCodeStatusAndRequestId()
    {
        await using MediaStoreServer server = await StartStoreAsync();
        var attempts = new CountingHandler();
        using KinesisVideoClient client = Client(server, o => o.Transport = attempts);

        var e = await Assert.ThrowsAsync<AwsResourceNotFoundException>(() => client.ControlPlane.DescribeStreamAsync(new DescribeStreamRequest { StreamName = "nobody-here" }, CancellationToken.None));

        Assert.Equal("ResourceNotFoundException", e.ServiceErrorCode);
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
        Assert.Equal("kinesisvideo:DescribeStream", e.Operation);
        Assert.True(Guid.TryParse(e.RequestId, out _), $"request id '{e.RequestId}'");
        Assert.Contains("nobody-here", e.ServiceMessage);
        Assert.Equal(1, attempts.Count("/describeStream"));
    }

    [Fact]
    public async Task PutMediaAndGetMedia_FfmpegWebm_AcksPerFragmentAndEverySelectorStartsWhereKvsDoes()
    {
        await using MediaStoreServer server = await StartStoreAsync();
        using KinesisVideoClient client = Client(server, o => o.PageSize = 2);
        await client.ControlPlane.CreateStreamAsync(new CreateStreamRequest { StreamName = "speech", DataRetentionInHours = 24 }, CancellationToken.None);
        DateTimeOffset producerStart = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_250);
        List<(long TimestampNs, byte[] Payload)> source = StoreMedia.Frames(StoreMedia.SpeechWebm);

        List<KvsAcknowledgement> acks;
        await using (var payload = new TricklingStream(File.ReadAllBytes(StoreMedia.SpeechWebm), 1000, TimeSpan.FromMilliseconds(5)))
        {
            await using KvsPutMediaSession session = await client.PutMediaAsync(new KvsPutMediaRequest
            {
                StreamName = "speech", FragmentTimecodeType = KvsFragmentTimecodeType.Relative, ProducerStartTimestamp = producerStart, Payload = payload,
            }, CancellationToken.None);
            acks = await session.ReadAcknowledgementsAsync().ToListAsync().AsTask().WaitAsync(Patience);
            await session.UploadCompletion.WaitAsync(Patience);
        }

        // BUFFERING, RECEIVED, PERSISTED for each ~1 s cluster, with increasing timecodes and fragment numbers.
        Assert.True(acks.Count >= 12 && acks.Count % 3 == 0, $"{acks.Count} acks");
        var persisted = new List<string>();
        for (int i = 0; i < acks.Count; i += 3)
        {
            Assert.Equal([KvsAckEventType.Buffering, KvsAckEventType.Received, KvsAckEventType.Persisted], acks.Skip(i).Take(3).Select(a => a.EventType));
            Assert.All(acks.Skip(i).Take(3), a => Assert.Equal(acks[i].FragmentTimecode, a.FragmentTimecode));
            Assert.Equal(acks[i + 1].FragmentNumber, acks[i + 2].FragmentNumber);
            if (i > 0) Assert.True(acks[i].FragmentTimecode > acks[i - 1].FragmentTimecode);
            persisted.Add(acks[i + 2].FragmentNumber!);
        }
        Assert.Equal(persisted.Order(Comparer<string>.Create(KinesisVideoClient.CompareFragmentNumbers)), persisted);
        Assert.Equal(persisted.Count, persisted.Distinct().Count());

        // EARLIEST: every fragment, tagged as KVS tags them, and every frame of the file in order.
        List<ReadFragment> all = await ReadAsync(client, "speech", KvsStartSelector.Earliest());
        Assert.Equal(persisted, Numbers(all));
        Assert.Equal(source.Select(f => f.TimestampNs), all.SelectMany(f => f.Frames).Select(f => f.TimestampNs));
        Assert.Equal(source.Select(f => f.Payload), all.SelectMany(f => f.Frames).Select(f => f.Payload));
        IReadOnlyList<Fragment> fragments = await client.ListFragmentsAsync("speech", null, null, KvsTimestampOrigin.Server, CancellationToken.None);
        Assert.Equal(persisted, fragments.Select(f => f.FragmentNumber));
        for (int i = 0; i < all.Count; i++)
        {
            MkvFragmentMetadata m = all[i].Metadata!;
            Assert.Equal(persisted[i], m.ContinuationToken);
            Assert.Equal(fragments[i].ServerTimestamp, m.ServerTimestamp);
            Assert.Equal(fragments[i].ProducerTimestamp, m.ProducerTimestamp);
            Assert.Equal(producerStart.AddMilliseconds(acks[i * 3].FragmentTimecode!.Value), m.ProducerTimestamp);
            Assert.Equal(all[i].Frames[0].TimestampNs / 1_000_000, acks[i * 3].FragmentTimecode);
            Assert.NotEmpty(all[i].Frames);
        }
        int[] frameCounts = [.. all.Select(f => f.Frames.Count)];

        async Task AssertStartsAt(KvsStartSelector selector, int index)
        {
            List<ReadFragment> read = await ReadAsync(client, "speech", selector);
            Assert.True(persisted.Skip(index).SequenceEqual(Numbers(read)), $"{selector}: expected from fragment {index}, read {string.Join(",", Numbers(read).Select(n => persisted.IndexOf(n)))}");
            Assert.Equal(frameCounts.Skip(index), read.Select(f => f.Frames.Count));
        }

        // FRAGMENT_NUMBER and CONTINUATION_TOKEN start after the named fragment.
        await AssertStartsAt(KvsStartSelector.AfterFragment(persisted[1]), 2);
        await AssertStartsAt(KvsStartSelector.Continuation(all[1].Metadata!.ContinuationToken!), 2);
        // PRODUCER_TIMESTAMP inside fragment 2 starts with fragment 2.
        await AssertStartsAt(KvsStartSelector.ProducerTime(fragments[2].ProducerTimestamp!.Value.AddMilliseconds(10)), 2);
        // SERVER_TIMESTAMP: the first fragment received at or after the time (the trickled upload keeps them apart).
        Assert.True(fragments[2].ServerTimestamp > fragments[1].ServerTimestamp, "server timestamps of fragments 1 and 2 are equal");
        await AssertStartsAt(KvsStartSelector.ServerTime(fragments[2].ServerTimestamp!.Value), 2);
        // After the last fragment and at NOW there is nothing yet: the store ends the answer after its idle timeout.
        await AssertStartsAt(KvsStartSelector.Continuation(persisted[^1]), persisted.Count);
        await AssertStartsAt(KvsStartSelector.Now(), persisted.Count);
    }

    [Fact]
    public async Task GetMedia_NowLiveTail_ReceivesFragmentsPutAfterConnecting()
    {
        await using MediaStoreServer server = await StartStoreAsync(o => o.GetMediaIdleTimeout = Patience);
        using KinesisVideoClient client = Client(server);
        await client.ControlPlane.CreateStreamAsync(new CreateStreamRequest { StreamName = "live", DataRetentionInHours = 1 }, CancellationToken.None);
        List<string> before = Persisted(await PutAsync(client, "live", StoreMedia.UnknownSizeWebm(null, 0, 1000)));

        using GetMediaResponse response = await client.GetMediaAsync("live", KvsStartSelector.Now(), CancellationToken.None);
        Assert.Equal("video/webm", response.ContentType);
        var collector = new LiveCollector(expected: 3);
        using var stop = new CancellationTokenSource();
        Task reading = new MkvStreamParser().ParseAsync(PipeReader.Create(response.Payload!), collector, stop.Token).AsTask();
        List<string> after = Persisted(await PutAsync(client, "live", StoreMedia.UnknownSizeWebm(null, 5000, 6000, 7000)));
        await collector.Done.WaitAsync(Patience);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading.WaitAsync(Patience));

        Assert.Equal(2, before.Count);
        Assert.Equal(after, Numbers(collector.Fragments));
        Assert.Equal([5000L, 6000L, 7000L], collector.Fragments.Select(f => f.Frames[0].TimestampNs / 1_000_000));
        Assert.All(collector.Fragments, f => Assert.Equal(3, f.Frames.Count));
    }

    [Fact]
    public async Task ListFragmentsAndGetMediaForFragmentList_TimestampRangeAndChosenFragments()
    {
        await using MediaStoreServer server = await StartStoreAsync();
        var attempts = new CountingHandler();
        using KinesisVideoClient client = Client(server, o =>
        {
            o.PageSize = 2;
            o.Transport = attempts;
        });
        await client.ControlPlane.CreateStreamAsync(new CreateStreamRequest { StreamName = "archive", DataRetentionInHours = 24 }, CancellationToken.None);
        DateTimeOffset start = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        List<string> numbers = Persisted(await PutAsync(client, "archive", StoreMedia.UnknownSizeWebm(null, 0, 1000, 2000, 3000, 4000, 5000), start));

        // Producer range [1 s, 4 s] holds fragments 1 to 4 (inclusive ends); page size 2 makes the client follow NextToken.
        IReadOnlyList<Fragment> ranged = await client.ListFragmentsAsync("archive", start.AddSeconds(1), start.AddSeconds(4), KvsTimestampOrigin.Producer, CancellationToken.None);
        Assert.Equal(numbers.Skip(1).Take(4), ranged.Select(f => f.FragmentNumber));
        Assert.Equal(2, attempts.Count("/listFragments"));
        Assert.Equal(start.AddSeconds(1), ranged[0].ProducerTimestamp);
        Assert.All(ranged, f => Assert.Equal(180, f.FragmentLengthInMilliseconds));
        Assert.All(ranged, f => Assert.InRange(f.FragmentSizeInBytes!.Value, 390, 2000));
        // Server range: all were received within this test.
        IReadOnlyList<Fragment> recent = await client.ListFragmentsAsync("archive", DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1), KvsTimestampOrigin.Server, CancellationToken.None);
        Assert.Equal(numbers, recent.Select(f => f.FragmentNumber));
        Assert.Empty(await client.ListFragmentsAsync("archive", start, start.AddSeconds(10), KvsTimestampOrigin.Server, CancellationToken.None));

        // GetMediaForFragmentList returns the asked fragments in the asked order, tagged.
        using (GetMediaForFragmentListResponse media = await client.OpenFragmentsAsync("archive", [numbers[4], numbers[1], numbers[2]], CancellationToken.None))
        {
            List<ReadFragment> read = await ParseAsync(media.Payload!);
            Assert.Equal([numbers[4], numbers[1], numbers[2]], Numbers(read));
            Assert.Equal([4000L, 1000L, 2000L], read.Select(f => f.Frames[0].TimestampNs / 1_000_000));
            Assert.Equal(Ebml.Payload(42, 130), read[0].Frames[1].Payload);
            Assert.Equal(start.AddSeconds(4), read[0].Metadata!.ProducerTimestamp);
        }
        var missing = await Assert.ThrowsAsync<AwsResourceNotFoundException>(() =>
            client.GetMediaForFragmentListAsync("archive", [numbers[0], "12345"], CancellationToken.None));
        Assert.Contains("12345", missing.ServiceMessage);
        await Assert.ThrowsAsync<ArgumentException>(() =>
            client.GetMediaForFragmentListAsync("archive", Enumerable.Repeat(numbers[0], 1001).ToList(), CancellationToken.None));
    }

    [Fact]
    public async Task OpenFragments_MoreThan1000_SplitIntoCallsTheStoreAccepts()
    {
        await using MediaStoreServer server = await StartStoreAsync();
        var attempts = new CountingHandler();
        using KinesisVideoClient client = Client(server, o =>
        {
            o.Transport = attempts;
            o.PageSize = 1000;
        });
        await client.ControlPlane.CreateStreamAsync(new CreateStreamRequest { StreamName = "many", DataRetentionInHours = 24 }, CancellationToken.None);
        // 1002 fragments of 180 ms (3 frames each), one every 200 ms: about 1.5 s to ingest.
        List<string> numbers = Persisted(await PutAsync(client, "many", StoreMedia.UnknownSizeWebm(null, [.. Enumerable.Range(0, 1002).Select(i => i * 200L)])));

        IReadOnlyList<Fragment> listed = await client.ListFragmentsAsync("many", null, null, KvsTimestampOrigin.Server, CancellationToken.None);
        using GetMediaForFragmentListResponse media = await client.OpenFragmentsAsync("many", [.. listed.Select(f => f.FragmentNumber!)], CancellationToken.None);
        List<ReadFragment> read = await ParseAsync(media.Payload!);

        Assert.Equal(1002, numbers.Count);
        Assert.Equal(numbers, listed.Select(f => f.FragmentNumber));
        Assert.Equal(2, attempts.Count("/listFragments"));
        // The store refuses lists over 1000 (as KVS), so the client made two calls: 1000 + 2.
        var refused = Assert.Throws<KvsServiceException>(() => server.Store.ResolveFragmentList("many", null, numbers.Take(1001).ToList()));
        Assert.Equal(KvsErrorTypes.InvalidArgument, refused.ErrorType);
        Assert.Equal(2, attempts.Count("/getMediaForFragmentList"));
        Assert.Equal(numbers, Numbers(read));
        Assert.All(read, f => Assert.Equal(3, f.Frames.Count));
        Assert.Equal(Enumerable.Range(0, 1002).Select(i => i * 200L), read.Select(f => f.Frames[0].TimestampNs / 1_000_000));
    }

    [Fact]
    public async Task GetMedia_FourthConcurrentReader_ThrowsConnectionLimitAfterBoundedRetries()
    {
        // The TPS quota is raised so that only the connection quota is in play.
        await using MediaStoreServer server = await StartStoreAsync(o =>
        {
            o.GetMediaIdleTimeout = Patience;
            o.GetMediaCallsPerSecondPerStream = 100;
        });
        var attempts = new CountingHandler();
        using KinesisVideoClient client = Client(server, o =>
        {
            o.Transport = attempts;
            o.Resilience.MaxRetryAttempts = 2;
            o.Resilience.BaseDelay = TimeSpan.FromMilliseconds(20);
            o.Resilience.MaxDelay = TimeSpan.FromMilliseconds(100);
        });
        await client.ControlPlane.CreateStreamAsync(new CreateStreamRequest { StreamName = "busy", DataRetentionInHours = 1 }, CancellationToken.None);
        var open = new List<GetMediaResponse>();
        try
        {
            for (int i = 0; i < 3; i++) open.Add(await client.GetMediaAsync("busy", KvsStartSelector.Now(), CancellationToken.None));

            var e = await Assert.ThrowsAsync<AwsThrottlingException>(() => client.GetMediaAsync("busy", KvsStartSelector.Now(), CancellationToken.None));

            Assert.Equal("ConnectionLimitExceededException", e.ServiceErrorCode);
            Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
            Assert.Equal("kinesisvideo:GetMedia", e.Operation);
            // KVS asks callers to back off: the client retries (throttling), but only MaxRetryAttempts times.
            Assert.Equal(3 + 1 + 2, attempts.Count("/getMedia"));
        }
        finally
        {
            foreach (GetMediaResponse response in open) response.Dispose();
        }

        // A slot frees once a reader leaves (the store notices the closed connection).
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                using GetMediaResponse again = await client.GetMediaAsync("busy", KvsStartSelector.Now(), CancellationToken.None);
                break;
            }
            catch (AwsThrottlingException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    private static Task<MediaStoreServer> StartStoreAsync(Action<MediaStoreOptions>? configure = null)
    {
        var options = new MediaStoreOptions
        {
            DataDirectory = Directory.CreateTempSubdirectory("kvsi-client-store-").FullName,
            Port = 0,
            GetMediaIdleTimeout = TimeSpan.FromMilliseconds(300),
        };
        configure?.Invoke(options);
        return MediaStoreServer.StartAsync(options);
    }

    private static KinesisVideoClient Client(MediaStoreServer server, Action<KinesisVideoClientOptions>? configure = null)
    {
        var options = new KinesisVideoClientOptions
        {
            ServiceUrl = new Uri(server.Url),
            Region = "us-east-1",
            Credentials = new BasicAWSCredentials("AKIDKVSINFERENCETEST", "kvs-inference-test-secret"),
            // No AWS_* variable of the machine may redirect the client.
            EnvironmentVariables = _ => null,
        };
        configure?.Invoke(options);
        return new KinesisVideoClient(options);
    }

    private static async Task<List<KvsAcknowledgement>> PutAsync(KinesisVideoClient client, string stream, byte[] media, DateTimeOffset? producerStart = null)
    {
        await using var payload = new MemoryStream(media);
        await using KvsPutMediaSession session = await client.PutMediaAsync(new KvsPutMediaRequest
        {
            StreamName = stream, ProducerStartTimestamp = producerStart ?? DateTimeOffset.UtcNow, Payload = payload,
        }, CancellationToken.None);
        List<KvsAcknowledgement> acks = await session.ReadAcknowledgementsAsync().ToListAsync().AsTask().WaitAsync(Patience);
        await session.UploadCompletion.WaitAsync(Patience);
        Assert.DoesNotContain(acks, a => a.EventType == KvsAckEventType.Error);
        return acks;
    }

    private static List<string> Persisted(List<KvsAcknowledgement> acks) =>
        [.. acks.Where(a => a.EventType == KvsAckEventType.Persisted).Select(a => a.FragmentNumber!)];

    private static async Task<List<ReadFragment>> ReadAsync(KinesisVideoClient client, string stream, KvsStartSelector selector)
    {
        using GetMediaResponse media = await client.GetMediaAsync(stream, selector, CancellationToken.None);
        Assert.Equal("video/webm", media.ContentType);
        return await ParseAsync(media.Payload!);
    }

    private static async Task<List<ReadFragment>> ParseAsync(Stream payload)
    {
        var collector = new FragmentCollector();
        await new MkvStreamParser().ParseAsync(PipeReader.Create(payload), collector).AsTask().WaitAsync(Patience);
        return collector.Fragments;
    }

    private static List<string> Numbers(IEnumerable<ReadFragment> fragments) => [.. fragments.Select(f => f.Metadata!.FragmentNumber!)];

    /// <summary>Collects fragments and signals once <c>expected</c> of them were read whole (their closing tags seen).</summary>
    private sealed class LiveCollector(int expected) : IMkvHandler
    {
        private readonly FragmentCollector _inner = new();
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<ReadFragment> Fragments => _inner.Fragments;

        public Task Done => _done.Task;

        public void OnSegmentStart(in MkvSegmentStart segment) => _inner.OnSegmentStart(segment);

        public void OnFrame(in MkvFrame frame) => _inner.OnFrame(frame);

        public void OnSimpleTag(MkvSimpleTag tag) => _inner.OnSimpleTag(tag);

        public void OnFragmentMetadata(MkvFragmentMetadata metadata)
        {
            _inner.OnFragmentMetadata(metadata);
            if (metadata.ContinuationToken is not null && Fragments.Count == expected) _done.TrySetResult();
        }
    }

    /// <summary>A transport that counts requests per path (to see how many attempts the client's retry policy made).</summary>
    private sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _counts = new();

        public int Count(string path) => _counts.GetValueOrDefault(path);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            _counts.AddOrUpdate(request.RequestUri!.AbsolutePath, 1, (_, n) => n + 1);
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>A read-only stream that hands out at most <c>chunk</c> bytes a read, pausing before each, like a live producer.</summary>
    private sealed class TricklingStream(byte[] data, int chunk, TimeSpan pause) : ReadOnlyStream
    {
        private int _position;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position == data.Length) return 0;
            await Task.Delay(pause, cancellationToken);
            int n = Math.Min(Math.Min(chunk, buffer.Length), data.Length - _position);
            data.AsMemory(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }
    }
}
