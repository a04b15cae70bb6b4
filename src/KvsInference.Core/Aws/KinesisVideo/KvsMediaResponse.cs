using System.IO.Pipelines;

namespace KvsInference.Aws.KinesisVideo;

/// <summary>
/// The streaming answer of GetMedia or GetMediaForFragmentList: an MKV byte stream read incrementally as it arrives
/// (never buffered whole). Dispose it to close the connection.
/// </summary>
public sealed class KvsMediaResponse : IAsyncDisposable, IDisposable
{
    private readonly HttpResponseMessage? _response;
    private PipeReader? _reader;

    internal KvsMediaResponse(HttpResponseMessage? response, Stream payload, string? contentType)
    {
        _response = response;
        Payload = payload;
        ContentType = contentType;
    }

    /// <summary>Gets the content type the service sent, e.g. <c>video/webm</c>, or null.</summary>
    public string? ContentType { get; }

    /// <summary>Gets the MKV payload; reads return bytes as soon as they arrive.</summary>
    public Stream Payload { get; }

    /// <summary>Gets a <see cref="PipeReader"/> over <see cref="Payload"/> (created on first use).</summary>
    public PipeReader Reader => _reader ??= PipeReader.Create(Payload, new StreamPipeReaderOptions(leaveOpen: true));

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_reader is not null) await _reader.CompleteAsync().ConfigureAwait(false);
        await Payload.DisposeAsync().ConfigureAwait(false);
        _response?.Dispose();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _reader?.Complete();
        Payload.Dispose();
        _response?.Dispose();
    }
}
