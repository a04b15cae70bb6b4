using KvsInference.Kvs;

namespace KvsInference.Media;

/// <summary>
/// Lists streams and their tags (KVS ListStreams, ListTagsForStream); implemented over the KVS client
/// (<see cref="KvsStreamCatalog"/>) and by the local media store, and used by stream discovery to create and retire leases.
/// </summary>
public interface IStreamCatalog
{
    /// <summary>Lists every stream whose name starts with <paramref name="namePrefix"/> (all streams when null), following pages.</summary>
    /// <param name="namePrefix">The name prefix, or null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<IReadOnlyList<KvsStreamInfo>> ListStreamsAsync(string? namePrefix, CancellationToken cancellationToken);

    /// <summary>Lists the tags of one stream.</summary>
    /// <param name="streamArn">The stream ARN.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<IReadOnlyDictionary<string, string>> ListTagsAsync(string streamArn, CancellationToken cancellationToken);
}
