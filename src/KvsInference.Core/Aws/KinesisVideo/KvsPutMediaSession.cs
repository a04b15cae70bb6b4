using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace KvsInference.Aws.KinesisVideo;

/// <summary>
/// A running PutMedia session: the upload continues in the background while <see cref="ReadAcknowledgementsAsync"/>
/// yields the acknowledgement events as they arrive. Dispose it to end the session.
/// </summary>
public sealed class KvsPutMediaSession : IAsyncDisposable
{
    private readonly DuplexResponse _response;
    private readonly Stream _body;

    internal KvsPutMediaSession(DuplexResponse response)
    {
        _response = response;
        _body = response.Body;
    }

    /// <summary>Gets a task that completes when the whole payload was sent (faults when the upload failed).</summary>
    public Task UploadCompletion => _response.Upload;

    /// <summary>
    /// Yields each acknowledgement object of the answer (JSON objects, newline-separated on the wire, parsed incrementally)
    /// until the service closes the answer.
    /// </summary>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The acknowledgements in arrival order.</returns>
    /// <exception cref="AwsProtocolException">The answer holds something other than JSON objects.</exception>
    public async IAsyncEnumerable<KvsAcknowledgement> ReadAcknowledgementsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var reader = PipeReader.Create(_body, new StreamPipeReaderOptions(leaveOpen: true));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (AckSplitter.TryReadObject(ref buffer, out var json))
                {
                    yield return Parse(json);
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    if (!AckSplitter.IsBlank(buffer)) throw new AwsProtocolException("PutMedia answer ended inside an acknowledgement object.");
                    yield break;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static KvsAcknowledgement Parse(ReadOnlySequence<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            return JsonSerializer.Deserialize(ref reader, KvsPutMediaJsonContext.Default.KvsAcknowledgement)
                ?? throw new AwsProtocolException("PutMedia acknowledgement was null.");
        }
        catch (JsonException e)
        {
            throw new AwsProtocolException("PutMedia acknowledgement is not valid JSON: " + e.Message, e);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _response.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Finds complete top-level JSON objects in a byte stream (string- and escape-aware brace counting).</summary>
internal static class AckSplitter
{
    /// <summary>Reads the next complete object; on success <paramref name="buffer"/> is advanced past it.</summary>
    public static bool TryReadObject(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> json)
    {
        var reader = new SequenceReader<byte>(buffer);
        // Skip separators (newlines, spaces, commas some servers add).
        while (reader.TryPeek(out var b) && (b is (byte)' ' or (byte)'\r' or (byte)'\n' or (byte)'\t' or (byte)','))
        {
            reader.Advance(1);
        }
        if (reader.End)
        {
            buffer = buffer.Slice(reader.Position);
            json = default;
            return false;
        }
        if (!reader.TryPeek(out var first) || first != (byte)'{')
        {
            throw new AwsProtocolException($"PutMedia answer: expected '{{' at an acknowledgement start, found 0x{first:X2}.");
        }
        var start = reader.Position;
        int depth = 0;
        bool inString = false, escaped = false;
        while (reader.TryRead(out var c))
        {
            if (inString)
            {
                if (escaped) escaped = false;
                else if (c == (byte)'\\') escaped = true;
                else if (c == (byte)'"') inString = false;
                continue;
            }
            if (c == (byte)'"') inString = true;
            else if (c == (byte)'{') depth++;
            else if (c == (byte)'}' && --depth == 0)
            {
                json = buffer.Slice(start, reader.Position);
                buffer = buffer.Slice(reader.Position);
                return true;
            }
        }
        // Incomplete: keep from the object's start and wait for more bytes.
        buffer = buffer.Slice(start);
        json = default;
        return false;
    }

    public static bool IsBlank(ReadOnlySequence<byte> buffer)
    {
        foreach (var segment in buffer)
        {
            foreach (var b in segment.Span)
            {
                if (b is not ((byte)' ' or (byte)'\r' or (byte)'\n' or (byte)'\t' or (byte)',')) return false;
            }
        }
        return true;
    }
}
