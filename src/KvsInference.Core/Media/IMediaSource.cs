using KvsInference.Kvs;

namespace KvsInference.Media;

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
    /// <param name="start">Where to start: the KVS GetMedia StartSelector (FRAGMENT_NUMBER starts after the named fragment).</param>
    /// <param name="cancellationToken">Cancels opening and reading.</param>
    /// <returns>The MKV bytes: one EBML header and Segment per fragment for KVS.</returns>
    Task<Stream> OpenAsync(string streamName, KvsStartSelector start, CancellationToken cancellationToken);
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
    public Task<Stream> OpenAsync(string streamName, KvsStartSelector start, CancellationToken cancellationToken)
    {
        Stream stream = new FileStream(_pathOf(streamName), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return Task.FromResult(stream);
    }
}
