namespace KvsInference.Media;

/// <summary>Where a media read starts: the KVS GetMedia StartSelector types.</summary>
public enum MediaStartKind
{
    /// <summary>The newest fragment: live from now on.</summary>
    Now,
    /// <summary>The oldest fragment kept.</summary>
    Earliest,
    /// <summary>The fragment after the one with <see cref="MediaStart.FragmentNumber"/> (KVS: "start with the chunk after a specific fragment").</summary>
    FragmentNumber,
    /// <summary>The first fragment whose server timestamp is at or after <see cref="MediaStart.Timestamp"/>.</summary>
    ServerTimestamp,
    /// <summary>The first fragment whose producer timestamp is at or after <see cref="MediaStart.Timestamp"/>.</summary>
    ProducerTimestamp,
    /// <summary>After the fragment named by <see cref="MediaStart.ContinuationToken"/>.</summary>
    ContinuationToken,
}

/// <summary>A start position for <see cref="IMediaSource.OpenAsync"/>.</summary>
/// <param name="Kind">The selector type.</param>
/// <param name="FragmentNumber">The fragment number, for <see cref="MediaStartKind.FragmentNumber"/>.</param>
/// <param name="Timestamp">The timestamp, for the timestamp selectors.</param>
/// <param name="ContinuationToken">The token, for <see cref="MediaStartKind.ContinuationToken"/>.</param>
public readonly record struct MediaStart(MediaStartKind Kind, string? FragmentNumber = null, DateTimeOffset? Timestamp = null, string? ContinuationToken = null)
{
    /// <summary>Live, from now on.</summary>
    public static MediaStart Now => new(MediaStartKind.Now);

    /// <summary>From the oldest fragment kept.</summary>
    public static MediaStart Earliest => new(MediaStartKind.Earliest);

    /// <summary>From the fragment after the given one (readers skip the given one too, should a source include it).</summary>
    /// <param name="fragmentNumber">The fragment number.</param>
    public static MediaStart AfterFragment(string fragmentNumber) => new(MediaStartKind.FragmentNumber, FragmentNumber: fragmentNumber);
}

/// <summary>
/// Opens the MKV byte stream of one video stream from a start position: KVS GetMedia (AWS or the local
/// media store) or a file.
/// </summary>
public interface IMediaSource
{
    /// <summary>Gets whether streams of this source are live (a read that ends is reconnected) rather than finite files.</summary>
    bool IsLive { get; }

    /// <summary>Opens the stream's media as a forward-only byte stream, read as it arrives.</summary>
    /// <param name="streamName">The stream name.</param>
    /// <param name="start">Where to start.</param>
    /// <param name="cancellationToken">Cancels opening and reading.</param>
    /// <returns>The MKV bytes: one EBML header and Segment per fragment for KVS.</returns>
    Task<Stream> OpenAsync(string streamName, MediaStart start, CancellationToken cancellationToken);
}

/// <summary>Media from files: stream name = file path (or a name mapped to one). Finite, not live.</summary>
public sealed class FileMediaSource : IMediaSource
{
    private readonly Func<string, string> _pathOf;

    /// <summary>Creates the source.</summary>
    /// <param name="pathOf">Maps a stream name to a file path; null uses the name as the path.</param>
    public FileMediaSource(Func<string, string>? pathOf = null) => _pathOf = pathOf ?? (name => name);

    /// <inheritdoc />
    public bool IsLive => false;

    /// <inheritdoc />
    /// <remarks>Files have no fragments: every start position reads the whole file.</remarks>
    public Task<Stream> OpenAsync(string streamName, MediaStart start, CancellationToken cancellationToken)
    {
        Stream stream = new FileStream(_pathOf(streamName), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return Task.FromResult(stream);
    }
}
