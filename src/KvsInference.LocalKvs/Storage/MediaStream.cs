using System.Text.Json;
using System.Text.Json.Serialization;
using KvsInference.Kvs;

namespace KvsInference.LocalKvs.Storage;

/// <summary>The state of one stream: its description, tags, fragment index, live signal and connection counts.</summary>
/// <remarks>Every member is read and written under <see cref="Gate"/>.</remarks>
internal sealed class MediaStream
{
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MediaStream(string root, KvsStreamDescription description, Dictionary<string, string> tags)
    {
        Directory = root;
        Description = description;
        Tags = tags;
    }

    public object Gate { get; } = new();
    public string Directory { get; }
    public string FragmentsDirectory => Path.Combine(Directory, "fragments");
    public string IndexPath => Path.Combine(Directory, "index.jsonl");
    public string DescriptionPath => Path.Combine(Directory, "stream.json");
    public KvsStreamDescription Description { get; set; }
    public Dictionary<string, string> Tags { get; }

    /// <summary>Fragments in fragment-number order (which is arrival order).</summary>
    public List<StoredFragment> Fragments { get; } = [];
    public long LastSequence { get; set; }
    public DateTimeOffset? LastServerTimestamp { get; set; }
    public bool Deleted { get; set; }

    /// <summary>The fragment being uploaded, which GetMedia readers at the live tail stream as its blocks arrive; null between fragments.</summary>
    public LiveFragment? Live { get; set; }
    public int GetMediaConnections { get; set; }
    public int PutMediaConnections { get; set; }
    public CallRateWindow GetMediaCalls { get; } = new();
    public CallRateWindow PutMediaCalls { get; } = new();
    public CallRateWindow ArchivedMediaCalls { get; } = new();

    public string FragmentPath(string fragmentNumber) => Path.Combine(FragmentsDirectory, fragmentNumber + ".mkv");

    /// <summary>A task that completes at the next change (a fragment persisted, the stream deleted). Call under the gate.</summary>
    public Task Changed => _changed.Task;

    /// <summary>Wakes every reader waiting on <see cref="Changed"/>. Call under the gate.</summary>
    public void Signal()
    {
        TaskCompletionSource old = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }

    /// <summary>The index of the first fragment whose number is at least <paramref name="fragmentNumber"/>.</summary>
    public int LowerBound(string fragmentNumber)
    {
        int lo = 0, hi = Fragments.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (FragmentNumber.Compare(Fragments[mid].FragmentNumber, fragmentNumber) < 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    public void SaveDescription()
    {
        var record = new StreamRecord(Description.StreamName, Description.StreamArn, Description.DeviceName, Description.MediaType,
            Description.KmsKeyId, Description.DataRetentionInHours, Description.Version, Description.CreationTime.ToUnixTimeMilliseconds(), Tags);
        WriteAtomically(DescriptionPath, JsonSerializer.SerializeToUtf8Bytes(record, MediaStoreJsonContext.Default.StreamRecord));
    }

    public void AppendIndex(StoredFragment fragment)
    {
        byte[] line = [.. JsonSerializer.SerializeToUtf8Bytes(IndexRecord.From(fragment), MediaStoreJsonContext.Default.IndexRecord), (byte)'\n'];
        using var file = new FileStream(IndexPath, FileMode.Append, FileAccess.Write, FileShare.Read);
        file.Write(line);
        file.Flush(flushToDisk: true);
    }

    public void RewriteIndex()
    {
        using var buffer = new MemoryStream();
        foreach (StoredFragment fragment in Fragments)
        {
            buffer.Write(JsonSerializer.SerializeToUtf8Bytes(IndexRecord.From(fragment), MediaStoreJsonContext.Default.IndexRecord));
            buffer.WriteByte((byte)'\n');
        }
        WriteAtomically(IndexPath, buffer.ToArray());
    }

    /// <summary>Reads a stream directory back; null when it holds no valid stream.json.</summary>
    public static MediaStream? Load(string directory)
    {
        string descriptionPath = Path.Combine(directory, "stream.json");
        if (!File.Exists(descriptionPath)) return null;
        StreamRecord? record;
        try
        {
            record = JsonSerializer.Deserialize(File.ReadAllBytes(descriptionPath), MediaStoreJsonContext.Default.StreamRecord);
        }
        catch (JsonException)
        {
            return null;
        }
        if (record is null) return null;
        var description = new KvsStreamDescription(record.StreamName, record.StreamArn, record.DeviceName, record.MediaType, record.KmsKeyId,
            record.DataRetentionInHours, "ACTIVE", record.Version, DateTimeOffset.FromUnixTimeMilliseconds(record.CreationTimeMs));
        var stream = new MediaStream(directory, description, new Dictionary<string, string>(record.Tags ?? [], StringComparer.Ordinal));
        System.IO.Directory.CreateDirectory(stream.FragmentsDirectory);
        // A crash may leave a half-written fragment: it was never acknowledged as PERSISTED, so it is dropped.
        foreach (string temp in System.IO.Directory.EnumerateFiles(stream.FragmentsDirectory, "*.tmp")) File.Delete(temp);
        bool dropped = false;
        if (File.Exists(stream.IndexPath))
        {
            foreach (string line in File.ReadLines(stream.IndexPath))
            {
                IndexRecord? entry = null;
                try
                {
                    entry = JsonSerializer.Deserialize(line, MediaStoreJsonContext.Default.IndexRecord);
                }
                catch (JsonException)
                {
                    // A torn last line (crash mid-append): that fragment was not acknowledged.
                }
                if (entry?.FragmentNumber is null || !FragmentSequence.TryParse(entry.FragmentNumber, out long sequence))
                {
                    dropped = true;
                    continue;
                }
                stream.LastSequence = Math.Max(stream.LastSequence, sequence);
                if (!File.Exists(stream.FragmentPath(entry.FragmentNumber)))
                {
                    dropped = true;
                    continue;
                }
                if (stream.Fragments.Count > 0 && FragmentNumber.Compare(stream.Fragments[^1].FragmentNumber, entry.FragmentNumber) >= 0)
                {
                    dropped = true;
                    continue;
                }
                stream.Fragments.Add(entry.ToFragment());
                stream.LastServerTimestamp = stream.Fragments[^1].ServerTimestamp;
            }
        }
        if (dropped) stream.RewriteIndex();
        return stream;
    }

    private static void WriteAtomically(string path, byte[] content)
    {
        string temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(content);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>
/// A fragment still being uploaded: where its bytes are and how many are readable. KVS sends a fragment's frames to
/// GetMedia readers as they are ingested, not when the fragment ends; readers at the live tail read this one while it grows.
/// </summary>
/// <remarks>Every member is read and written under the stream's gate.</remarks>
internal sealed class LiveFragment(string fragmentNumber, DateTimeOffset producerTimestamp, DateTimeOffset serverTimestamp, string tempPath, long clusterOffset)
{
    public string FragmentNumber { get; } = fragmentNumber;
    public DateTimeOffset ProducerTimestamp { get; } = producerTimestamp;
    public DateTimeOffset ServerTimestamp { get; } = serverTimestamp;

    /// <summary>The file while the upload writes it; once committed the fragment is at its stored path (same content).</summary>
    public string TempPath { get; } = tempPath;

    /// <summary>Where the Cluster starts in the file (the bytes before it are the header every fragment carries).</summary>
    public long ClusterOffset { get; } = clusterOffset;

    /// <summary>How many bytes of the file are written and readable.</summary>
    public long Length { get; set; }

    public LiveFragmentState State { get; set; }
}

internal enum LiveFragmentState
{
    Open,
    Committed,
    Aborted,
}

/// <summary>Counts calls in the last second to imitate a KVS TPS limit.</summary>
internal sealed class CallRateWindow
{
    private readonly Queue<long> _calls = new();

    /// <summary>Records a call at <paramref name="nowTicks"/> unless <paramref name="limit"/> calls happened in the second before it.</summary>
    public bool TryEnter(long nowTicks, int limit)
    {
        while (_calls.Count > 0 && nowTicks - _calls.Peek() >= TimeSpan.TicksPerSecond) _calls.Dequeue();
        if (_calls.Count >= limit) return false;
        _calls.Enqueue(nowTicks);
        return true;
    }
}

internal sealed record StreamRecord(
    string StreamName, string StreamArn, string? DeviceName, string? MediaType, string KmsKeyId, int DataRetentionInHours,
    string Version, long CreationTimeMs, Dictionary<string, string>? Tags);

internal sealed record IndexRecord(
    string FragmentNumber, long ProducerTimestampMs, long ServerTimestampMs, long DurationMs, long SizeBytes, long ClusterOffset, long FragmentTimecodeMs)
{
    public static IndexRecord From(StoredFragment f) => new(f.FragmentNumber, f.ProducerTimestamp.ToUnixTimeMilliseconds(),
        f.ServerTimestamp.ToUnixTimeMilliseconds(), (long)f.Duration.TotalMilliseconds, f.SizeBytes, f.ClusterOffset, f.FragmentTimecodeMs);

    public StoredFragment ToFragment() => new(FragmentNumber, DateTimeOffset.FromUnixTimeMilliseconds(ProducerTimestampMs),
        DateTimeOffset.FromUnixTimeMilliseconds(ServerTimestampMs), TimeSpan.FromMilliseconds(DurationMs), SizeBytes, ClusterOffset, FragmentTimecodeMs);
}

[JsonSerializable(typeof(StreamRecord))]
[JsonSerializable(typeof(IndexRecord))]
internal sealed partial class MediaStoreJsonContext : JsonSerializerContext;
