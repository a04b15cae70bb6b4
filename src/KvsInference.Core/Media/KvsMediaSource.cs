using KvsInference.Aws.KinesisVideo;
using KvsInference.IO;
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
        var response = await _client.GetMediaAsync(streamName, start, cancellationToken).ConfigureAwait(false);
        return new OwningStream(response);
    }

    // The response owns the HTTP message; disposing the stream disposes both.
    private sealed class OwningStream(KvsMediaResponse response) : ReadOnlyStream
    {
        private readonly Stream _inner = response.Payload;
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);
        protected override void Dispose(bool disposing)
        {
            if (disposing) response.Dispose();
            base.Dispose(disposing);
        }
        public override async ValueTask DisposeAsync()
        {
            await response.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }
}
