using KvsInference.Aws.KinesisVideo;
using KvsInference.Kvs;

namespace KvsInference.Media;

/// <summary>The streams of Kinesis Video Streams (AWS or the local media store) through the KVS control plane.</summary>
public sealed class KvsStreamCatalog : IStreamCatalog
{
    private readonly KinesisVideoClient _client;

    /// <summary>Creates the catalog.</summary>
    /// <param name="client">The Kinesis Video client.</param>
    public KvsStreamCatalog(KinesisVideoClient client) => _client = client ?? throw new ArgumentNullException(nameof(client));

    /// <inheritdoc/>
    /// <remarks>ListStreams, following NextToken; a stream without a creation time gets the Unix epoch.</remarks>
    public async Task<IReadOnlyList<KvsStreamInfo>> ListStreamsAsync(string? namePrefix, CancellationToken cancellationToken)
    {
        var streams = await _client.ListAllStreamsAsync(namePrefix, cancellationToken).ConfigureAwait(false);
        return streams.Select(s => new KvsStreamInfo(s.StreamName ?? "", s.StreamARN ?? "", s.Status ?? "", s.CreationTime ?? DateTimeOffset.UnixEpoch)).ToList();
    }

    /// <inheritdoc/>
    /// <remarks>ListTagsForStream, following NextToken.</remarks>
    public Task<IReadOnlyDictionary<string, string>> ListTagsAsync(string streamArn, CancellationToken cancellationToken) =>
        _client.ListAllTagsForStreamAsync(streamArn, cancellationToken);
}
