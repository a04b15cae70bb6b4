using KvsInference.Kvs;
using KvsInference.LocalKvs.Storage;
using KvsInference.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace KvsInference.Tests.Storage;

public sealed class MediaStoreTests
{
    [Fact]
    public async Task SweepRetention_FragmentsOlderThanRetention_RemovedWithTheirFilesAndIndexKeepsTheRest()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_750_000_000));
        string directory = Directory.CreateTempSubdirectory("kvsi-store-").FullName;
        var options = new MediaStoreOptions { DataDirectory = directory, RetentionSweepInterval = TimeSpan.FromMinutes(1) };
        using (var store = new LocalKvs.Storage.MediaStore(options, time))
        {
            store.CreateStream("kept", dataRetentionInHours: 1);
            store.CreateStream("live", dataRetentionInHours: 0);
            IReadOnlyList<PutMediaAck> old = await store.PutMediaAsync("kept", null, new MemoryStream(StoreMedia.UnknownSizeWebm(null, 0, 1000)));
            await store.PutMediaAsync("live", null, new MemoryStream(StoreMedia.UnknownSizeWebm(null, 0)));
            time.Advance(TimeSpan.FromMinutes(50));
            IReadOnlyList<PutMediaAck> recent = await store.PutMediaAsync("kept", null, new MemoryStream(StoreMedia.UnknownSizeWebm(null, 5000)));
            Assert.Empty(store.ListFragments("live"));

            // The background sweep (every minute, on the injected clock) removes what is past 1 h.
            time.Advance(TimeSpan.FromMinutes(15));

            Assert.Equal(recent.Where(a => a.EventType == PutMediaAckEventType.Persisted).Select(a => a.FragmentNumber),
                store.ListFragments("kept").Select(f => f.FragmentNumber));
            foreach (PutMediaAck ack in old.Where(a => a.EventType == PutMediaAckEventType.Persisted))
            {
                Assert.Null(store.OpenFragment("kept", ack.FragmentNumber!));
            }
            Assert.Single(Directory.EnumerateFiles(Path.Combine(directory, "streams", "kept", "fragments")));
        }

        using var reopened = new LocalKvs.Storage.MediaStore(options, time);
        Assert.Single(reopened.ListFragments("kept"));
    }

    [Fact]
    public async Task PutMediaAsync_InProcessRelativeTimecodes_ProducerTimestampIsStartPlusClusterTime()
    {
        string directory = Directory.CreateTempSubdirectory("kvsi-store-").FullName;
        using var store = new LocalKvs.Storage.MediaStore(new MediaStoreOptions { DataDirectory = directory });
        store.CreateStream("relative", 24);
        DateTimeOffset start = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_250);

        var seen = new List<PutMediaAck>();
        IReadOnlyList<PutMediaAck> acks = await store.PutMediaAsync("relative", null, new MemoryStream(StoreMedia.UnknownSizeWebm(null, 0, 2000)),
            FragmentTimecodeType.Relative, start, ack => { seen.Add(ack); return ValueTask.CompletedTask; });

        Assert.Equal(acks, seen);
        Assert.Equal([start, start.AddSeconds(2)], store.ListFragments("relative").Select(f => f.ProducerTimestamp));
        await Assert.ThrowsAsync<KvsServiceException>(() => store.PutMediaAsync("relative", null, new MemoryStream(), FragmentTimecodeType.Relative, null));
        KvsServiceException missing = await Assert.ThrowsAsync<KvsServiceException>(() => store.PutMediaAsync("nope", null, new MemoryStream()));
        Assert.Equal(KvsErrorTypes.ResourceNotFound, missing.ErrorType);
    }

    public static TheoryData<string, string> NestedHeaders => new()
    {
        // Found by fuzz-putmedia: a damaged Info size swallowed the Tracks element, and the ingest crashed.
        { "tracks-in-info", "The Tracks element at offset" },
        { "info-in-ebml-header", "The Info element at offset" },
        { "cluster-in-tracks", "The Cluster element at offset" },
    };

    [Theory]
    [MemberData(nameof(NestedHeaders))]
    public async Task PutMediaAsync_HeaderElementInsideAnother_ErrorAckNamingBoth(string shape, string expected)
    {
        string directory = Directory.CreateTempSubdirectory("kvsi-store-").FullName;
        using var store = new LocalKvs.Storage.MediaStore(new MediaStoreOptions { DataDirectory = directory });
        store.CreateStream("nested", 24);
        byte[] info = Ebml.Master(0x1549A966, Ebml.UInt(0x2AD7B1, 1_000_000));
        byte[] cluster = Ebml.Master(0x1F43B675, Ebml.UInt(0xE7, 0), Ebml.SimpleBlock(1, 0, Ebml.Payload(1, 60)));
        byte[] media = shape switch
        {
            "tracks-in-info" => Ebml.Concat(Ebml.Header(), Ebml.MasterUnknownSize(0x18538067,
                Ebml.Master(0x1549A966, Ebml.UInt(0x2AD7B1, 1_000_000), Ebml.OpusTracks()), cluster)),
            "info-in-ebml-header" => Ebml.Concat(Ebml.Master(0x1A45DFA3, Ebml.String(0x4282, "webm"), info), Ebml.MasterUnknownSize(0x18538067, Ebml.OpusTracks(), cluster)),
            _ => Ebml.Concat(Ebml.Header(), Ebml.MasterUnknownSize(0x18538067, info, Ebml.Master(0x1654AE6B, cluster))),
        };

        IReadOnlyList<PutMediaAck> acks = await store.PutMediaAsync("nested", null, new MemoryStream(media));

        Assert.Equal(PutMediaAckEventType.Error, acks[^1].EventType);
        Assert.Equal(4006, acks[^1].ErrorId);
        Assert.Contains(expected, acks[^1].Message);
        Assert.Contains("is inside the", acks[^1].Message);
        Assert.Empty(store.ListFragments("nested"));
    }

    [Fact]
    public void FragmentNumber_FormatAndCompare_OrderNumerically()
    {
        Assert.Equal(FragmentSequence.Length, FragmentSequence.Format(1).Length);
        Assert.True(FragmentNumber.Compare(FragmentSequence.Format(9), FragmentSequence.Format(10)) < 0);
        Assert.True(FragmentNumber.Compare("91343852333181432392682062607743920146264185089", "9134385233318143239268206260774392014626418508") > 0);
        Assert.True(FragmentSequence.TryParse(FragmentSequence.Format(12345), out long sequence));
        Assert.Equal(12345, sequence);
    }
}
