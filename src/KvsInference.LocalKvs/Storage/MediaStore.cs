using System.Globalization;
using System.IO.Pipelines;
using System.Text.RegularExpressions;
using KvsInference.Kvs;
using KvsInference.Media;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvsInference.LocalKvs.Storage;

/// <summary>
/// A local store that keeps Kinesis Video streams on disk and serves them the way KVS does: streams and tags,
/// PutMedia ingest with acknowledgements, GetMedia (history and live tail), ListFragments and
/// GetMediaForFragmentList. Mount it over HTTP with <see cref="MediaStoreEndpoints.MapKvsMediaStore"/> or run
/// <see cref="MediaStoreServer"/>; in process, call it directly.
/// </summary>
/// <remarks>
/// <para>
/// Layout of <see cref="MediaStoreOptions.DataDirectory"/>: <c>streams/&lt;name&gt;/stream.json</c> (description and
/// tags, replaced atomically), <c>index.jsonl</c> (one line per fragment, appended and fsync'd before PERSISTED) and
/// <c>fragments/&lt;number&gt;.mkv</c>. The directory is read back at construction, so streams, tags, fragments and
/// the numbering survive a restart.
/// </para>
/// <para>Thread-safe. Each stream has its own lock; readers wait for new fragments on a per-stream signal, not by polling.</para>
/// </remarks>
public sealed partial class MediaStore : IStreamCatalog, IDisposable
{
    private readonly Dictionary<string, MediaStream> _streams = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly ILogger _logger;
    private readonly ITimer _sweepTimer;
    private readonly string _streamsDirectory;
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Opens (or creates) the store in <see cref="MediaStoreOptions.DataDirectory"/> and starts the retention sweep.</summary>
    /// <param name="options">The options.</param>
    /// <param name="timeProvider">The clock (server timestamps, retention, limits); the system clock when null.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    /// <exception cref="IOException">The data directory cannot be created or read.</exception>
    public MediaStore(MediaStoreOptions options, TimeProvider? timeProvider = null, ILogger<MediaStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _streamsDirectory = Path.Combine(Path.GetFullPath(options.DataDirectory), "streams");
        Directory.CreateDirectory(_streamsDirectory);
        foreach (string directory in Directory.EnumerateDirectories(_streamsDirectory))
        {
            if (MediaStream.Load(directory) is { } stream) _streams[stream.Description.StreamName] = stream;
        }
        _logger.LogInformation("Media store at {Directory}: {Streams} streams, {Fragments} fragments loaded",
            _streamsDirectory, _streams.Count, _streams.Values.Sum(s => s.Fragments.Count));
        _sweepTimer = Time.CreateTimer(_ => SweepRetention(), null, options.RetentionSweepInterval, options.RetentionSweepInterval);
    }

    /// <summary>Gets the options.</summary>
    /// <value>As given to the constructor.</value>
    public MediaStoreOptions Options { get; }

    /// <summary>Gets the clock.</summary>
    /// <value>The system clock unless one was given.</value>
    public TimeProvider Time { get; }

    /// <summary>Gets or sets the URL GetDataEndpoint answers (this server's own).</summary>
    /// <value>Set by <see cref="MediaStoreServer"/>; when null, the endpoint answers with the URL the request came to.</value>
    public string? DataEndpoint { get; set; }

    /// <summary>Lists a stream's fragments (KVS ListFragments), optionally within a time range (inclusive).</summary>
    /// <param name="streamName">The name, or null.</param>
    /// <param name="streamArn">The ARN, or null.</param>
    /// <param name="byProducerTimestamp">True to filter by producer timestamp, false by server timestamp, null for no filter.</param>
    /// <param name="start">The start of the range.</param>
    /// <param name="end">The end of the range.</param>
    /// <returns>The fragments in fragment-number order.</returns>
    /// <exception cref="KvsServiceException">ResourceNotFoundException.</exception>
    public IReadOnlyList<StoredFragment> ListFragments(string? streamName, string? streamArn = null, bool? byProducerTimestamp = null,
        DateTimeOffset start = default, DateTimeOffset end = default)
    {
        MediaStream stream = Resolve(streamName, streamArn);
        lock (stream.Gate)
        {
            if (byProducerTimestamp is not { } producer) return stream.Fragments.ToList();
            return stream.Fragments.Where(f =>
            {
                DateTimeOffset t = producer ? f.ProducerTimestamp : f.ServerTimestamp;
                return t >= start && t <= end;
            }).ToList();
        }
    }

    /// <summary>Opens a stored fragment file (EBML header, Segment, Info, Tracks, Cluster) for reading.</summary>
    /// <param name="streamName">The stream name.</param>
    /// <param name="fragmentNumber">The fragment number.</param>
    /// <returns>The fragment and its file, or null when it is not kept.</returns>
    /// <exception cref="KvsServiceException">ResourceNotFoundException for the stream.</exception>
    public (StoredFragment Fragment, Stream Content)? OpenFragment(string streamName, string fragmentNumber)
    {
        MediaStream stream = Resolve(streamName, null);
        StoredFragment? fragment;
        lock (stream.Gate)
        {
            int index = stream.LowerBound(fragmentNumber);
            fragment = index < stream.Fragments.Count && stream.Fragments[index].FragmentNumber == fragmentNumber ? stream.Fragments[index] : null;
        }
        if (fragment is null) return null;
        try
        {
            return (fragment, new FileStream(stream.FragmentPath(fragmentNumber), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Removes the fragments past each stream's retention now (the background sweep runs this periodically).</summary>
    /// <returns>The number of fragments removed.</returns>
    public int SweepRetention()
    {
        List<MediaStream> streams;
        lock (_gate) streams = [.. _streams.Values];
        DateTimeOffset now = Time.GetUtcNow();
        int removed = 0;
        foreach (MediaStream stream in streams)
        {
            var doomed = new List<string>();
            lock (stream.Gate)
            {
                if (stream.Deleted) continue;
                int hours = Options.RetentionOverrideHours ?? stream.Description.DataRetentionInHours;
                TimeSpan keep = hours == 0 ? Options.ZeroRetentionWindow : TimeSpan.FromHours(hours);
                DateTimeOffset cutoff = now - keep;
                int count = 0;
                while (count < stream.Fragments.Count && stream.Fragments[count].ServerTimestamp < cutoff) count++;
                if (count == 0) continue;
                doomed.AddRange(stream.Fragments.Take(count).Select(f => f.FragmentNumber));
                stream.Fragments.RemoveRange(0, count);
                try
                {
                    stream.RewriteIndex();
                }
                catch (IOException e)
                {
                    _logger.LogWarning(e, "Could not rewrite the index of {Stream}", stream.Description.StreamName);
                }
            }
            foreach (string number in doomed)
            {
                try
                {
                    File.Delete(stream.FragmentPath(number));
                }
                catch (IOException e)
                {
                    _logger.LogWarning(e, "Could not delete fragment {Fragment}", number);
                }
            }
            removed += doomed.Count;
        }
        if (removed > 0) _logger.LogInformation("Retention removed {Count} fragments", removed);
        return removed;
    }

    /// <summary>Gets a token cancelled when the store shuts down: open GetMedia reads end.</summary>
    /// <value>Cancelled by <see cref="Dispose"/>.</value>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Ends open GetMedia reads and stops the retention sweep.</summary>
    public void Dispose()
    {
        _sweepTimer.Dispose();
        if (!_stopping.IsCancellationRequested) _stopping.Cancel();
    }

    internal void BeginShutdown()
    {
        if (!_stopping.IsCancellationRequested) _stopping.Cancel();
    }

    // ---------------------------------------------------------------- internals

    internal string NextFragmentNumber(MediaStream stream)
    {
        lock (stream.Gate)
        {
            long micros = Time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
            stream.LastSequence = Math.Max(stream.LastSequence + 1, micros);
            return FragmentSequence.Format(stream.LastSequence);
        }
    }

    /// <summary>Server timestamps of a stream strictly increase (by at least 1 ms), so SERVER_TIMESTAMP selects one fragment.</summary>
    internal DateTimeOffset NextServerTimestamp(MediaStream stream)
    {
        lock (stream.Gate)
        {
            DateTimeOffset now = Time.GetUtcNow();
            now = DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
            if (stream.LastServerTimestamp is { } last && now <= last) now = last.AddMilliseconds(1);
            stream.LastServerTimestamp = now;
            return now;
        }
    }

    internal void CommitFragment(MediaStream stream, StoredFragment fragment, string tempPath)
    {
        lock (stream.Gate)
        {
            if (stream.Deleted)
            {
                File.Delete(tempPath);
                throw new PutMediaException(PutMediaErrorIds.StreamNotActive, $"The stream {stream.Description.StreamName} was deleted.", fragment.FragmentTimecodeMs);
            }
            File.Move(tempPath, stream.FragmentPath(fragment.FragmentNumber));
            stream.AppendIndex(fragment);
            stream.Fragments.Add(fragment);
            // Under the same lock as the Add: a reader finds the fragment either live or stored, never in neither.
            if (stream.Live is { } live && live.FragmentNumber == fragment.FragmentNumber)
            {
                live.Length = fragment.SizeBytes;
                live.State = LiveFragmentState.Committed;
                stream.Live = null;
            }
            stream.Signal();
        }
    }

    /// <summary>
    /// Publishes what an upload has written of its open fragment (flushed to the file) to GetMedia readers at the live
    /// tail; the first call makes it the stream's live fragment unless another upload's fragment is live.
    /// </summary>
    /// <returns>The live fragment, or null when another upload's fragment is live (this one is then read once stored).</returns>
    internal LiveFragment? PublishLive(MediaStream stream, LiveFragment? live, Func<LiveFragment> create, long length)
    {
        lock (stream.Gate)
        {
            if (live is null)
            {
                if (stream.Live is not null || stream.Deleted) return null;
                live = stream.Live = create();
            }
            if (live.State != LiveFragmentState.Open) return live;
            live.Length = length;
            stream.Signal();
            return live;
        }
    }

    /// <summary>Ends a live fragment whose upload failed: readers streaming it stop (it is never stored).</summary>
    internal void AbortLive(MediaStream stream, LiveFragment live)
    {
        lock (stream.Gate)
        {
            if (live.State != LiveFragmentState.Open) return;
            live.State = LiveFragmentState.Aborted;
            if (stream.Live == live) stream.Live = null;
            stream.Signal();
        }
    }

    internal MediaStream Resolve(string? streamName, string? streamArn)
    {
        if (streamName is null == streamArn is null)
        {
            throw KvsServiceException.InvalidArgument(streamName is null ? "Give StreamName or StreamARN." : "Give StreamName or StreamARN, not both.");
        }
        lock (_gate)
        {
            if (streamName is not null)
            {
                ValidateStreamName(streamName);
                if (_streams.TryGetValue(streamName, out MediaStream? byName)) return byName;
                throw KvsServiceException.NotFound($"The stream {streamName} does not exist.");
            }
            foreach (MediaStream stream in _streams.Values)
            {
                if (stream.Description.StreamArn == streamArn) return stream;
            }
            throw KvsServiceException.NotFound($"The stream {streamArn} does not exist.");
        }
    }

    internal MediaStream ResolveOrCreate(string? streamName, string? streamArn)
    {
        try
        {
            return Resolve(streamName, streamArn);
        }
        catch (KvsServiceException e) when (e.StatusCode == 404 && Options.AutoCreateStreams && streamName is not null)
        {
            try
            {
                CreateStream(streamName, dataRetentionInHours: 24);
            }
            catch (KvsServiceException inUse) when (inUse.ErrorType == KvsErrorTypes.ResourceInUse)
            {
                // Created concurrently.
            }
            return Resolve(streamName, null);
        }
    }

    internal static long Ticks(TimeProvider time) => time.GetTimestamp() * TimeSpan.TicksPerSecond / time.TimestampFrequency;

    /// <summary>
    /// The directory of a stream: its name when that is short enough, otherwise its first 150 characters, '~' and the
    /// SHA-256 of the whole name (names cannot hold '~', so the two forms never meet). KVS names reach 256 characters,
    /// one more than a Linux file name; stores made before keep their directories, which are found by stream.json.
    /// </summary>
    internal static string StreamDirectoryName(string streamName) =>
        streamName.Length <= MaxPlainDirectoryName
            ? streamName
            : streamName[..150] + "~" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(streamName)));

    private const int MaxPlainDirectoryName = 200;

    internal static string FormatSeconds(DateTimeOffset time) =>
        (time.ToUnixTimeMilliseconds() / 1000m).ToString("0.000", CultureInfo.InvariantCulture);
}
