using System.Text.RegularExpressions;
using KvsInference.Kvs;
using Microsoft.Extensions.Logging;

namespace KvsInference.LocalKvs.Storage;

/// <summary>The control plane of the store: streams, tags and retention (CreateStream ... UpdateDataRetention), and the checks of names and tags.</summary>
public sealed partial class MediaStore
{
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

    private static string NewVersion() => Guid.NewGuid().ToString("N")[..20];

    private static void ValidateStreamName(string? name)
    {
        // "." and ".." match the KVS character set but would name directories outside the store.
        if (name is null || name is "." or ".." || !StreamNamePattern().IsMatch(name))
        {
            throw KvsServiceException.InvalidArgument($"Stream name '{name}' is invalid: use 1-256 characters of a-z, A-Z, 0-9, '_', '.', '-'.");
        }
    }

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
}
