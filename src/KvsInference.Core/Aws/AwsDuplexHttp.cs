using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using KvsInference.IO;

namespace KvsInference.Aws;

/// <summary>
/// A minimal HTTP/1.1 client for full-duplex calls (PutMedia): the request body is sent with chunked transfer encoding,
/// each chunk flushed at once, while the answer is read on the same connection.
/// </summary>
/// <remarks>
/// <see cref="HttpClient"/> cannot do this over HTTP/1.1: SocketsHttpHandler finishes sending the request body before it
/// returns the answer, and PutMedia answers (acknowledgements) must be read while the upload goes on for hours. Only
/// what PutMedia needs is implemented: one request per connection, a 1xx-free answer, chunked or length-delimited bodies.
/// </remarks>
internal static class AwsDuplexHttp
{
    /// <summary>Opens the connection, sends the (already signed) request head, starts streaming the body and reads the answer head.</summary>
    /// <returns>The status, headers and a body stream; <see cref="DuplexResponse.Upload"/> completes when the body was sent.</returns>
    public static async Task<DuplexResponse> SendAsync(HttpRequestMessage request, Stream body, TimeSpan connectTimeout, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri ?? throw new ArgumentException("The request has no URI.", nameof(request));
        var client = new TcpClient { NoDelay = true };
        Stream stream;
        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            connect.CancelAfter(connectTimeout);
            try
            {
                await client.ConnectAsync(uri.Host, uri.Port, connect.Token).ConfigureAwait(false);
                stream = client.GetStream();
                if (uri.Scheme == Uri.UriSchemeHttps)
                {
                    var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                    await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = uri.IdnHost }, connect.Token).ConfigureAwait(false);
                    stream = ssl;
                }
            }
            catch (Exception e) when (e is SocketException or IOException or System.Security.Authentication.AuthenticationException
                || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                client.Dispose();
                throw new HttpRequestException($"Could not connect to {uri.GetLeftPart(UriPartial.Authority)}: {e.Message}", e);
            }
        }

        var head = new StringBuilder();
        head.Append(request.Method.Method).Append(' ').Append(uri.PathAndQuery).Append(" HTTP/1.1\r\n");
        head.Append("Host: ").Append(uri.IsDefaultPort ? uri.IdnHost : uri.IdnHost + ":" + uri.Port.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        foreach (var h in request.Headers)
        {
            if (h.Key.Equals("Host", StringComparison.OrdinalIgnoreCase) || h.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)) continue;
            head.Append(h.Key).Append(": ").Append(string.Join(", ", h.Value)).Append("\r\n");
        }
        if (request.Content?.Headers.ContentType is { } contentType) head.Append("Content-Type: ").Append(contentType).Append("\r\n");
        head.Append("Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);

        var uploadCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var upload = Task.Run(() => UploadAsync(stream, body, uploadCancel.Token), CancellationToken.None);
        var reader = new HttpHeadReader(stream);
        try
        {
            var statusLine = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new HttpRequestException($"{uri.GetLeftPart(UriPartial.Authority)} closed the connection before answering.");
            var parts = statusLine.Split(' ', 3);
            if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
            {
                throw new HttpRequestException($"Malformed HTTP status line from {uri.GetLeftPart(UriPartial.Authority)}: '{statusLine}'.");
            }
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { Length: > 0 } line)
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0) throw new HttpRequestException($"Malformed HTTP header line: '{line}'.");
                var name = line[..colon].Trim();
                var value = line[(colon + 1)..].Trim();
                headers[name] = headers.TryGetValue(name, out var existing) ? existing + ", " + value : value;
            }
            Stream responseBody = headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase)
                ? new ChunkedReadStream(reader)
                : headers.TryGetValue("Content-Length", out var cl) && long.TryParse(cl, NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                    ? new LengthReadStream(reader, length)
                    : new LengthReadStream(reader, long.MaxValue);
            return new DuplexResponse((HttpStatusCode)status, headers, responseBody, upload, () =>
            {
                uploadCancel.Cancel();
                stream.Dispose();
                client.Dispose();
                uploadCancel.Dispose();
            });
        }
        catch
        {
            uploadCancel.Cancel();
            stream.Dispose();
            client.Dispose();
            throw;
        }
    }

    private static async Task UploadAsync(Stream connection, Stream body, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            // Each chunk is flushed at once: a fragment must reach the service while the producer makes the next one.
            await connection.WriteAsync(Encoding.ASCII.GetBytes(n.ToString("x", CultureInfo.InvariantCulture) + "\r\n"), cancellationToken).ConfigureAwait(false);
            await connection.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            await connection.WriteAsync("\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            await connection.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        await connection.WriteAsync("0\r\n\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await connection.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads ASCII lines and then raw bytes from one connection, sharing one buffer.</summary>
    internal sealed class HttpHeadReader(Stream inner)
    {
        private readonly byte[] _buffer = new byte[16 * 1024];
        private int _start;
        private int _end;

        public async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            var line = new StringBuilder();
            while (true)
            {
                for (var i = _start; i < _end; i++)
                {
                    if (_buffer[i] != (byte)'\n') continue;
                    line.Append(Encoding.ASCII.GetString(_buffer, _start, i - _start));
                    _start = i + 1;
                    if (line.Length > 0 && line[^1] == '\r') line.Length--;
                    return line.ToString();
                }
                line.Append(Encoding.ASCII.GetString(_buffer, _start, _end - _start));
                if (line.Length > 64 * 1024) throw new HttpRequestException("HTTP header line longer than 64 KiB.");
                _start = _end = 0;
                var n = await inner.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0) return line.Length == 0 ? null : throw new HttpRequestException("Connection closed inside an HTTP header line.");
                _end = n;
            }
        }

        public async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
        {
            if (_start < _end)
            {
                var n = Math.Min(destination.Length, _end - _start);
                _buffer.AsMemory(_start, n).CopyTo(destination);
                _start += n;
                return n;
            }
            return await inner.ReadAsync(destination, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Decodes a chunked body as it arrives.</summary>
    private sealed class ChunkedReadStream(HttpHeadReader reader) : ReadOnlyStream
    {
        private long _left;
        private bool _done;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_done || buffer.IsEmpty) return 0;
            if (_left == 0)
            {
                var sizeLine = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) ?? throw new IOException("Connection closed before the chunked body ended.");
                var semicolon = sizeLine.IndexOf(';', StringComparison.Ordinal);
                var hex = (semicolon >= 0 ? sizeLine[..semicolon] : sizeLine).Trim();
                if (!long.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _left) || _left < 0)
                {
                    throw new IOException($"Malformed chunk size '{sizeLine}'.");
                }
                if (_left == 0)
                {
                    // Trailers, then the empty line.
                    while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { Length: > 0 }) { }
                    _done = true;
                    return 0;
                }
            }
            var n = await reader.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _left)], cancellationToken).ConfigureAwait(false);
            if (n == 0) throw new IOException("Connection closed inside a chunk.");
            _left -= n;
            if (_left == 0 && await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is not "")
            {
                throw new IOException("A chunk was not followed by CRLF.");
            }
            return n;
        }
    }

    /// <summary>Reads a body of known length, or until the connection closes.</summary>
    private sealed class LengthReadStream(HttpHeadReader reader, long length) : ReadOnlyStream
    {
        private long _left = length;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_left == 0 || buffer.IsEmpty) return 0;
            var n = await reader.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _left)], cancellationToken).ConfigureAwait(false);
            if (n == 0 && _left != long.MaxValue) throw new IOException($"Connection closed with {_left} body bytes missing.");
            if (_left != long.MaxValue) _left -= n;
            return n;
        }
    }
}

/// <summary>The answer of a duplex call: status, headers, streaming body and the upload's completion.</summary>
internal sealed class DuplexResponse(HttpStatusCode status, IReadOnlyDictionary<string, string> headers, Stream body, Task upload, Action close) : IAsyncDisposable
{
    public HttpStatusCode StatusCode { get; } = status;
    public IReadOnlyDictionary<string, string> Headers { get; } = headers;
    public Stream Body { get; } = body;
    public Task Upload { get; } = upload;

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    public async ValueTask DisposeAsync()
    {
        close();
        try
        {
            await Upload.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The upload ends with the connection; its failure was either observed through the session or is moot now.
        }
    }
}
