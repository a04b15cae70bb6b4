using KvsInference.Aws.KinesisVideo;
using KvsInference.Kvs;

namespace KvsInference.Media;

/// <summary>Live media from Kinesis Video Streams (AWS or the local media store) through GetMedia.</summary>
public sealed class KvsMediaSource : IMediaSource
{
    private readonly KinesisVideoClient _client;

    /// <summary>Creates the source.</summary>
    /// <param name="client">The Kinesis Video client (it caches data endpoints per stream).</param>
    public KvsMediaSource(KinesisVideoClient client) => _client = client ?? throw new ArgumentNullException(nameof(client));

    /// <inheritdoc />
    public bool IsLive => true;

    /// <inheritdoc />
    public async Task<Stream> OpenAsync(string streamName, KvsStartSelector start, CancellationToken cancellationToken)
    {
        // The payload owns the HTTP answer: disposing it closes the connection.
        var response = await _client.GetMediaAsync(streamName, start, cancellationToken).ConfigureAwait(false);
        return response.Payload!;
    }
}
