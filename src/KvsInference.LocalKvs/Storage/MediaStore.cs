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

    // ---------------------------------------------------------------- control plane

    /// <summary>Creates a stream (KVS CreateStream).</summary>
    /// <param name="streamName">1-256 characters of a-z, A-Z, 0-9, '_', '.', '-'.</param>
    /// <param name="dataRetentionInHours">Hours fragments are kept; 0 keeps them only for live readers (<see cref="MediaStoreOptions.ZeroRetentionWindow"/>).</param>
    /// <param name="tags">Tags, or null.</param>
    /// <param name="deviceName">DeviceName, or null.</param>
    /// <param name="mediaType">MediaType, or null.</param>
    /// <param name="kmsKeyId">KmsKeyId, or null for the KVS default.</param>
    /// <returns>The new stream.</returns>
    /// <exception cref="KvsServiceException">InvalidArgumentException for a bad name or value; ResourceInUseException when it exists.</exception>
    public KvsStreamDescription CreateStream(string streamName, int dataRetentionInHours = 0, IReadOnlyDictionary<string, string>? tags = null,
        string? deviceName = null, string? mediaType = null, string? kmsKeyId = null)
    {
        ValidateStreamName(streamName);
        if (dataRetentionInHours is < 0 or > MediaStoreConstants.MaxRetentionHours)
        {
            throw KvsServiceException.InvalidArgument($"DataRetentionInHours must be 0 to {MediaStoreConstants.MaxRetentionHours}, not {dataRetentionInHours}.");
        }
        if (tags is { Count: > MediaStoreConstants.MaxTags }) throw KvsServiceException.InvalidArgument($"A stream may have at most {MediaStoreConstants.MaxTags} tags, not {tags.Count}.");
        if (tags is not null) ValidateTags(tags);
        lock (_gate)
        {
            if (_streams.ContainsKey(streamName)) throw KvsServiceException.InUse($"The stream {streamName} already exists.");
            DateTimeOffset now = Time.GetUtcNow();
            var description = new KvsStreamDescription(streamName,
                $"arn:aws:kinesisvideo:{Options.Region}:{Options.AccountId}:stream/{streamName}/{now.ToUnixTimeMilliseconds()}",
                deviceName, mediaType, kmsKeyId ?? $"arn:aws:kms:{Options.Region}:{Options.AccountId}:alias/aws/kinesisvideo",
                dataRetentionInHours, "ACTIVE", NewVersion(), now);
            string directory = Path.Combine(_streamsDirectory, StreamDirectoryName(streamName));
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
            var stream = new MediaStream(directory, description, new Dictionary<string, string>(tags ?? new Dictionary<string, string>(), StringComparer.Ordinal));
            Directory.CreateDirectory(stream.FragmentsDirectory);
            stream.SaveDescription();
            _streams[streamName] = stream;
            _logger.LogInformation("Created stream {Stream} (retention {Hours} h)", streamName, dataRetentionInHours);
            return description;
        }
    }

    /// <summary>Describes a stream (KVS DescribeStream). Give exactly one of name and ARN.</summary>
    /// <param name="streamName">The name, or null.</param>
    /// <param name="streamArn">The ARN, or null.</param>
    /// <returns>The description.</returns>
    /// <exception cref="KvsServiceException">ResourceNotFoundException; InvalidArgumentException when both or neither are given.</exception>
    public KvsStreamDescription DescribeStream(string? streamName, string? streamArn = null)
    {
        MediaStream stream = Resolve(streamName, streamArn);
        lock (stream.Gate) return stream.Description;
    }

    /// <summary>Lists streams whose name begins with <paramref name="namePrefix"/>, in name order (KVS ListStreams).</summary>
    /// <param name="namePrefix">The prefix, or null for all.</param>
    /// <returns>The streams.</returns>
    public IReadOnlyList<KvsStreamDescription> ListStreams(string? namePrefix = null)
    {
        lock (_gate)
        {
            return _streams.Values
                .Where(s => namePrefix is null || s.Description.StreamName.StartsWith(namePrefix, StringComparison.Ordinal))
                .Select(s => s.Description)
                .OrderBy(d => d.StreamName, StringComparer.Ordinal)
                .ToList();
        }
    }

    /// <summary>Deletes a stream and its fragments (KVS DeleteStream); open GetMedia responses end.</summary>
    /// <param name="streamArn">The ARN.</param>
    /// <param name="currentVersion">When given, must match the stream's version.</param>
    /// <exception cref="KvsServiceException">ResourceNotFoundException; VersionMismatchException.</exception>
    public void DeleteStream(string streamArn, string? currentVersion = null)
    {
        MediaStream stream = Resolve(null, streamArn);
        lock (_gate)
        {
            lock (stream.Gate)
            {
                if (currentVersion is not null && currentVersion != stream.Description.Version)
                {
                    throw KvsServiceException.VersionMismatch($"CurrentVersion {currentVersion} does not match the stream's version {stream.Description.Version}.");
                }
                stream.Deleted = true;
                stream.Signal();
                _streams.Remove(stream.Description.StreamName);
            }
        }
        try
        {
            Directory.Delete(stream.Directory, recursive: true);
        }
        catch (IOException e)
        {
            _logger.LogWarning(e, "Could not remove the directory of deleted stream {Stream}", stream.Description.StreamName);
        }
    }

    /// <summary>Adds or replaces tags (KVS TagStream).</summary>
    /// <param name="streamName">The name, or null.</param>
    /// <param name="streamArn">The ARN, or null.</param>
    /// <param name="tags">The tags.</param>
    /// <exception cref="KvsServiceException">ResourceNotFoundException; InvalidArgumentException past 50 tags (TagsPerResourceExceededLimitException in KVS).</exception>
    public void TagStream(string? streamName, string? streamArn, IReadOnlyDictionary<string, string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        MediaStream stream = Resolve(streamName, streamArn);
        ValidateTags(tags);
        lock (stream.Gate)
        {
            var merged = new Dictionary<string, string>(stream.Tags, StringComparer.Ordinal);
            foreach (var (key, value) in tags) merged[key] = value;
            if (merged.Count > MediaStoreConstants.MaxTags)
            {
                throw new KvsServiceException("TagsPerResourceExceededLimitException", 400, $"A stream may have at most {MediaStoreConstants.MaxTags} tags; this would make {merged.Count}.");
            }
            foreach (var (key, value) in tags) stream.Tags[key] = value;
            stream.SaveDescription();
        }
    }

    /// <summary>Removes tags (KVS UntagStream).</summary>
    /// <param name="streamName">The name, or null.</param>
    /// <param name="streamArn">The ARN, or null.</param>
    /// <param name="tagKeys">The keys to remove.</param>
    /// <exception cref="KvsServiceException">ResourceNotFoundException.</exception>
    public void UntagStream(string? streamName, string? streamArn, IEnumerable<string> tagKeys)
    {
        ArgumentNullException.ThrowIfNull(tagKeys);
        MediaStream stream = Resolve(streamName, streamArn);
        lock (stream.Gate)
        {
            foreach (string key in tagKeys) stream.Tags.Remove(key);
            stream.SaveDescription();
        }
    }

    /// <summary>Lists a stream's tags (KVS ListTagsForStream).</summary>
    /// <param name="streamName">The name, or null.</param>
    /// <param name="streamArn">The ARN, or null.</param>
    /// <returns>A copy of the tags.</returns>
    /// <exception cref="KvsServiceException">ResourceNotFoundException.</exception>
    public IReadOnlyDictionary<string, string> ListTagsForStream(string? streamName, string? streamArn = null)
    {
        MediaStream stream = Resolve(streamName, streamArn);
        lock (stream.Gate) return new SortedDictionary<string, string>(stream.Tags, StringComparer.Ordinal);
    }

    /// <summary>Changes the retention (KVS UpdateDataRetention).</summary>
    /// <param name="streamName">The name, or null.</param>
    /// <param name="streamArn">The ARN, or null.</param>
    /// <param name="currentVersion">Must match the stream's version.</param>
    /// <param name="increase">True for INCREASE_DATA_RETENTION, false for DECREASE_DATA_RETENTION.</param>
    /// <param name="changeInHours">The change, 1 or more.</param>
    /// <exception cref="KvsServiceException">ResourceNotFoundException, VersionMismatchException, InvalidArgumentException.</exception>
    public void UpdateDataRetention(string? streamName, string? streamArn, string currentVersion, bool increase, int changeInHours)
    {
        MediaStream stream = Resolve(streamName, streamArn);
        if (changeInHours < 1) throw KvsServiceException.InvalidArgument($"DataRetentionChangeInHours must be 1 or more, not {changeInHours}.");
        lock (stream.Gate)
        {
            if (currentVersion != stream.Description.Version)
            {
                throw KvsServiceException.VersionMismatch($"CurrentVersion {currentVersion} does not match the stream's version {stream.Description.Version}.");
            }
            // In long: a change near int.MaxValue must not wrap around into a negative (or small) retention.
            long hours = stream.Description.DataRetentionInHours + (increase ? (long)changeInHours : -(long)changeInHours);
            if (hours < 0) throw KvsServiceException.InvalidArgument($"Retention cannot go below 0 hours (it is {stream.Description.DataRetentionInHours}).");
            if (hours > MediaStoreConstants.MaxRetentionHours)
            {
                throw KvsServiceException.InvalidArgument(
                    $"Retention cannot go above {MediaStoreConstants.MaxRetentionHours} hours (it is {stream.Description.DataRetentionInHours}, the increase {changeInHours}).");
            }
            stream.Description = stream.Description with { DataRetentionInHours = (int)hours, Version = NewVersion() };
            stream.SaveDescription();
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<KvsStreamInfo>> ListStreamsAsync(string? namePrefix, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<KvsStreamInfo>>(ListStreams(namePrefix)
            .Select(d => new KvsStreamInfo(d.StreamName, d.StreamArn, d.Status, d.CreationTime)).ToList());

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, string>> ListTagsAsync(string streamArn, CancellationToken cancellationToken) =>
        Task.FromResult(ListTagsForStream(null, streamArn));

    // ---------------------------------------------------------------- data plane

    /// <summary>
    /// Ingests an MKV/WebM upload into a stream, as PutMedia does: one fragment per Cluster, each persisted before its
    /// PERSISTED acknowledgement. Counts against the PutMedia connection and call limits like an HTTP upload.
    /// </summary>
    /// <param name="streamName">The stream name, or null when <paramref name="streamArn"/> is given.</param>
    /// <param name="streamArn">The stream ARN, or null.</param>
    /// <param name="media">The upload; read forward until it ends.</param>
    /// <param name="timecodeType">How Cluster timecodes are to be read.</param>
    /// <param name="producerStartTimestamp">Required for <see cref="FragmentTimecodeType.Relative"/>.</param>
    /// <param name="onAck">Receives each acknowledgement as it happens, or null.</param>
    /// <param name="cancellationToken">Stops the upload (the fragment in progress is dropped).</param>
    /// <returns>Every acknowledgement, in order; the last is ERROR when the upload failed.</returns>
    /// <exception cref="KvsServiceException">ResourceNotFoundException, InvalidArgumentException, ConnectionLimitExceededException, ClientLimitExceededException.</exception>
    public async Task<IReadOnlyList<PutMediaAck>> PutMediaAsync(string? streamName, string? streamArn, Stream media,
        FragmentTimecodeType timecodeType = FragmentTimecodeType.Absolute, DateTimeOffset? producerStartTimestamp = null,
        Func<PutMediaAck, ValueTask>? onAck = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(media);
        var acks = new List<PutMediaAck>();
        PipeReader reader = PipeReader.Create(media, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        try
        {
            await PutMediaAsync(streamName, streamArn, reader, timecodeType, producerStartTimestamp, async ack =>
            {
                acks.Add(ack);
                if (onAck is not null) await onAck(ack).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
        return acks;
    }

    internal async Task PutMediaAsync(string? streamName, string? streamArn, PipeReader media, FragmentTimecodeType timecodeType,
        DateTimeOffset? producerStartTimestamp, Func<PutMediaAck, ValueTask> onAck, CancellationToken cancellationToken)
    {
        MediaStream stream = AcquirePutMedia(streamName, streamArn, timecodeType, producerStartTimestamp);
        try
        {
            await RunPutMediaAsync(stream, media, timecodeType, producerStartTimestamp, onAck, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ReleasePutMedia(stream);
        }
    }

    /// <summary>Checks the stream and the PutMedia limits and takes a connection slot; release it with <see cref="ReleasePutMedia"/>.</summary>
    internal MediaStream AcquirePutMedia(string? streamName, string? streamArn, FragmentTimecodeType timecodeType, DateTimeOffset? producerStartTimestamp)
    {
        if (timecodeType == FragmentTimecodeType.Relative && producerStartTimestamp is null)
        {
            throw KvsServiceException.InvalidArgument("x-amzn-producer-start-timestamp is required when x-amzn-fragment-timecode-type is RELATIVE.");
        }
        MediaStream stream = ResolveOrCreate(streamName, streamArn);
        lock (stream.Gate)
        {
            if (!stream.PutMediaCalls.TryEnter(Ticks(Time), Options.PutMediaCallsPerSecondPerStream))
            {
                throw KvsServiceException.ClientLimit($"More than {Options.PutMediaCallsPerSecondPerStream} PutMedia calls in one second on stream {stream.Description.StreamName}.");
            }
            if (stream.PutMediaConnections >= Options.PutMediaConnectionsPerStream)
            {
                throw KvsServiceException.ConnectionLimit($"The stream {stream.Description.StreamName} already has {stream.PutMediaConnections} PutMedia connection(s); the limit is {Options.PutMediaConnectionsPerStream}.");
            }
            stream.PutMediaConnections++;
        }
        return stream;
    }

    internal void ReleasePutMedia(MediaStream stream)
    {
        lock (stream.Gate) stream.PutMediaConnections--;
    }

    internal async Task RunPutMediaAsync(MediaStream stream, PipeReader media, FragmentTimecodeType timecodeType,
        DateTimeOffset? producerStartTimestamp, Func<PutMediaAck, ValueTask> onAck, CancellationToken cancellationToken)
    {
        var ingest = new PutMediaIngest(this, stream, timecodeType, producerStartTimestamp);
        PutMediaAck? error = await ingest.RunAsync(media, onAck, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            _logger.LogWarning("PutMedia on {Stream} ended with {ErrorId} {ErrorCode}: {Message}", stream.Description.StreamName, error.ErrorId, error.ErrorCode, error.Message);
        }
    }

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

    private static string NewVersion() => Guid.NewGuid().ToString("N")[..20];

    private static void ValidateStreamName(string? name)
    {
        // "." and ".." match the KVS character set but would name directories outside the store.
        if (name is null || name is "." or ".." || !StreamNamePattern().IsMatch(name))
        {
            throw KvsServiceException.InvalidArgument($"Stream name '{name}' is invalid: use 1-256 characters of a-z, A-Z, 0-9, '_', '.', '-'.");
        }
    }

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

    private static void ValidateTags(IReadOnlyDictionary<string, string> tags)
    {
        foreach (var (key, value) in tags)
        {
            if (key.Length is < 1 or > MediaStoreConstants.MaxTagKeyLength)
            {
                throw KvsServiceException.InvalidArgument($"A tag key must have 1 to {MediaStoreConstants.MaxTagKeyLength} characters; '{Shorten(key)}' has {key.Length}.");
            }
            if (value.Length > MediaStoreConstants.MaxTagValueLength)
            {
                throw KvsServiceException.InvalidArgument($"The value of tag '{Shorten(key)}' has {value.Length} characters; at most {MediaStoreConstants.MaxTagValueLength} are allowed.");
            }
        }
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";

    [GeneratedRegex("^[a-zA-Z0-9_.-]{1,256}$")]
    private static partial Regex StreamNamePattern();

    internal static string FormatSeconds(DateTimeOffset time) =>
        (time.ToUnixTimeMilliseconds() / 1000m).ToString("0.000", CultureInfo.InvariantCulture);
}
