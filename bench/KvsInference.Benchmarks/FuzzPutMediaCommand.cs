using KvsInference.LocalKvs.Storage;
using KvsInference.TestSupport;

namespace KvsInference.Benchmarks;

/// <summary>
/// <c>fuzz-putmedia --seconds N | --inputs N</c>: mutated uploads through the media store's real PutMedia ingest (in
/// process: <see cref="MediaStore.PutMediaAsync(string?, string?, Stream, FragmentTimecodeType, DateTimeOffset?, Func{PutMediaAck, ValueTask}?, CancellationToken)"/>,
/// the code the HTTP endpoint and the meeting ingest run), read in random pieces. Documented outcome: an ERROR ack
/// with a 4xxx id. A thrown exception or a 5xxx ack is a crash (<see cref="FuzzHarness"/>).
/// </summary>
/// <remarks>The store lives in /dev/shm when there is one (fsync per fragment costs nothing there); each stream takes
/// 5000 uploads and is then deleted, so a long run neither fills the disk nor grows the store's fragment list.</remarks>
internal static class FuzzPutMediaCommand
{
    public static int Run(string[] args)
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        string directory = Path.Combine(root, "kvsi-fuzz-putmedia-" + Environment.ProcessId);
        var options = new MediaStoreOptions
        {
            DataDirectory = directory,
            PutMediaCallsPerSecondPerStream = 100_000,
        };
        // Also on a hang, which ends the process from the watchdog thread.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteDirectory(directory);
        try
        {
            using var store = new MediaStore(options);
            long uploads = 0;
            string stream = "";
            return FuzzHarness.Run("fuzz-putmedia", args, Seeds(), (data, random) =>
            {
                // Server timestamps of a stream rise by at least 1 ms per fragment, so thousands of fragments a second
                // run ahead of the clock and the retention sweep would never reach them: a fresh stream every 5000 uploads.
                if (uploads++ % 5000 == 0)
                {
                    if (stream.Length > 0) store.DeleteStream(store.DescribeStream(stream).StreamArn);
                    stream = "fuzz-" + uploads;
                    store.CreateStream(stream, dataRetentionInHours: 0);
                }
                IReadOnlyList<PutMediaAck> acks = store.PutMediaAsync(stream, null, new PiecewiseStream(data, random.Next(1, 8192)))
                    .GetAwaiter().GetResult();
                if (acks.Count == 0 || acks[^1].EventType != PutMediaAckEventType.Error) return false;
                PutMediaAck error = acks[^1];
                if (error.ErrorId is not (>= 4000 and < 5000)) throw new InvalidOperationException($"PutMedia answered {error.ErrorId} {error.ErrorCode}: {error.Message}");
                return true;
            });
        }
        finally
        {
            DeleteDirectory(directory);
        }
    }

    private static void DeleteDirectory(string directory)
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }

    /// <summary>ffmpeg WebM (one and several Clusters), a Chromium-shaped live upload, and KVS GetMedia output (EBML
    /// header, Tracks and Tags repeated per fragment, as the producer SDK sends them).</summary>
    private static List<byte[]> Seeds()
    {
        List<byte[]> seeds = MkvBenchMedia.FuzzSeeds();
        seeds.RemoveAll(s => s.Length > 200_000);
        seeds.Add(File.ReadAllBytes(MkvBenchMedia.ClusteredOpusWebm()));
        var live = new List<byte[]> { Ebml.Master(0x1549A966, Ebml.UInt(0x2AD7B1, 1_000_000)), Ebml.OpusTracks() };
        for (int c = 0; c < 4; c++)
        {
            live.Add(Ebml.MasterUnknownSize(0x1F43B675, Ebml.UInt(0xE7, (ulong)(c * 180)),
                Ebml.SimpleBlock(1, 0, Ebml.Payload(c, 120)), Ebml.SimpleBlock(1, 60, Ebml.Payload(c + 1, 90)), Ebml.SimpleBlock(1, 120, Ebml.Payload(c + 2, 60))));
        }
        seeds.Add(Ebml.Concat(Ebml.Header(), Ebml.MasterUnknownSize(0x18538067, [.. live])));
        seeds.Add(Ebml.KvsGetMedia(3, 10, out _));
        return seeds;
    }
}
