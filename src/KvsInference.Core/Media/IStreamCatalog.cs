namespace KvsInference.Media;

/// <summary>A video stream as the KVS control plane lists it.</summary>
/// <param name="StreamName">The stream name.</param>
/// <param name="StreamArn">The stream ARN.</param>
/// <param name="Status">CREATING, ACTIVE, UPDATING or DELETING.</param>
/// <param name="CreationTime">When the stream was created.</param>
public sealed record KvsStreamInfo(string StreamName, string StreamArn, string Status, DateTimeOffset CreationTime);

/// <summary>
/// Lists streams and their tags (KVS ListStreams, ListTagsForStream); implemented by the KVS client and by the
/// local media store, and used by stream discovery to create and retire leases.
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
