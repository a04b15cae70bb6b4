using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KvsInference.Meeting.Streaming;

/// <summary>A stream ingestion as Zoom returns it: where to push RTMP and under which key.</summary>
/// <param name="StreamId">The stream ingestion id.</param>
/// <param name="StreamName">Its name.</param>
/// <param name="StreamUrl">The RTMP(S) ingest URL.</param>
/// <param name="StreamKey">The stream key (a secret).</param>
/// <param name="BackupStreamUrl">The backup ingest URL, if any.</param>
public sealed record ZoomStreamIngestion(
    [property: JsonPropertyName("stream_id")] string StreamId,
    [property: JsonPropertyName("stream_name")] string? StreamName,
    [property: JsonPropertyName("stream_url")] string StreamUrl,
    [property: JsonPropertyName("stream_key")] string StreamKey,
    [property: JsonPropertyName("backup_stream_url")] string? BackupStreamUrl)
{
    /// <summary>Gets the URL to push to: stream_url + "/" + stream_key.</summary>
    public Uri PublishUrl => new(StreamUrl.TrimEnd('/') + "/" + StreamKey);
}

/// <summary>A Zoom API call failed.</summary>
public sealed class ZoomApiException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="code">Zoom's error code, if the body carried one.</param>
    /// <param name="message">What failed.</param>
    public ZoomApiException(HttpStatusCode status, int? code, string message) : base(message)
    {
        Status = status;
        Code = code;
    }

    /// <summary>Gets the HTTP status.</summary>
    public HttpStatusCode Status { get; }

    /// <summary>Gets Zoom's error code (for example 34016: at most 20 stream ingestions), if any.</summary>
    public int? Code { get; }
}

/// <summary>
/// Zoom Video SDK REST calls for stream ingestion: create one (POST videosdk/stream_ingestions, which returns the
/// RTMP URL and key), bind it to a live session and start or stop it (PATCH videosdk/sessions/{id}/events with method
/// stream_ingestion.bind / .send / .stop / .unbind), and delete it. Every call carries
/// <c>Authorization: Bearer</c> with an HS256 JWT made from the Video SDK API key and secret
/// (header {"alg":"HS256","typ":"JWT"}, claims iss = key, iat, exp), or a configured OAuth access token.
/// </summary>
public sealed class ZoomStreamIngestionClient
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    private readonly HttpClient _http;
    private readonly ZoomOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates a client.</summary>
    /// <param name="http">The HTTP client (its BaseAddress is ignored: <see cref="ZoomOptions.ApiBaseUrl"/> is used).</param>
    /// <param name="options">API URL and credentials.</param>
    /// <param name="time">The clock of JWT iat/exp.</param>
    /// <exception cref="ArgumentException">No credentials are configured.</exception>
    public ZoomStreamIngestionClient(HttpClient http, ZoomOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.HasCredentials)
        {
            throw new ArgumentException("Zoom stream ingestion needs ApiKey and ApiSecret (Video SDK API credentials) or an AccessToken.", nameof(options));
        }
        _http = http;
        _options = options;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Creates a stream ingestion.</summary>
    /// <param name="name">Its name (at most 128 characters).</param>
    /// <param name="description">Its description (at most 128 characters), optional.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The ingestion with its RTMP URL and key.</returns>
    /// <exception cref="ZoomApiException">Zoom refused (for example 400 code 34016 when 20 exist already).</exception>
    /// <exception cref="ArgumentException">The name or description is empty or too long.</exception>
    public async Task<ZoomStreamIngestion> CreateAsync(string name, string? description = null, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 128) throw new ArgumentException("The stream name must be 1-128 characters.", nameof(name));
        if (description is { Length: > 128 }) throw new ArgumentException("The stream description must be at most 128 characters.", nameof(description));
        using var response = await SendAsync(HttpMethod.Post, "videosdk/stream_ingestions",
            new CreateRequest(name, description), cancellationToken);
        return await response.Content.ReadFromJsonAsync<ZoomStreamIngestion>(Json, cancellationToken)
            ?? throw new ZoomApiException(response.StatusCode, null, "Zoom returned an empty stream ingestion.");
    }

    /// <summary>Binds a stream ingestion to a live session (the host's session).</summary>
    public Task BindAsync(string sessionId, string streamId, CancellationToken cancellationToken = default) =>
        SessionEventAsync(sessionId, "stream_ingestion.bind", streamId, cancellationToken);

    /// <summary>Starts the bound stream ingestion: the RTMP push then appears in the session as the incoming live stream.</summary>
    public Task StartAsync(string sessionId, string streamId, CancellationToken cancellationToken = default) =>
        SessionEventAsync(sessionId, "stream_ingestion.send", streamId, cancellationToken);

    /// <summary>Stops the stream ingestion in the session.</summary>
    public Task StopAsync(string sessionId, string streamId, CancellationToken cancellationToken = default) =>
        SessionEventAsync(sessionId, "stream_ingestion.stop", streamId, cancellationToken);

    /// <summary>Unbinds the stream ingestion from the session.</summary>
    public Task UnbindAsync(string sessionId, string streamId, CancellationToken cancellationToken = default) =>
        SessionEventAsync(sessionId, "stream_ingestion.unbind", streamId, cancellationToken);

    /// <summary>Deletes a stream ingestion.</summary>
    public async Task DeleteAsync(string streamId, CancellationToken cancellationToken = default)
    {
        using var _ = await SendAsync(HttpMethod.Delete, "videosdk/stream_ingestions/" + Uri.EscapeDataString(streamId), null, cancellationToken);
    }

    /// <summary>Creates a stream ingestion, binds it to the session and starts it: the avatar's RTMP push goes to the returned URL.</summary>
    /// <param name="sessionId">The live Video SDK session.</param>
    /// <param name="name">The stream ingestion's name.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>The ingestion; push to <see cref="ZoomStreamIngestion.PublishUrl"/>.</returns>
    /// <exception cref="ZoomApiException">A call was refused.</exception>
    public async Task<ZoomStreamIngestion> StartForSessionAsync(string sessionId, string name, CancellationToken cancellationToken = default)
    {
        var ingestion = await CreateAsync(name, "KvsInference avatar", cancellationToken);
        await BindAsync(sessionId, ingestion.StreamId, cancellationToken);
        await StartAsync(sessionId, ingestion.StreamId, cancellationToken);
        return ingestion;
    }

    /// <summary>Makes the Video SDK API JWT: HS256 over {"alg":"HS256","typ":"JWT"} and {"iss":key,"iat":now,"exp":now+lifetime}.</summary>
    /// <param name="apiKey">The Video SDK API key.</param>
    /// <param name="apiSecret">The Video SDK API secret.</param>
    /// <param name="now">The issue time.</param>
    /// <param name="lifetime">How long the token is valid.</param>
    /// <returns>The compact JWT.</returns>
    public static string CreateJwt(string apiKey, string apiSecret, DateTimeOffset now, TimeSpan lifetime)
    {
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        ArgumentException.ThrowIfNullOrEmpty(apiSecret);
        var header = Base64Url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"u8.ToArray());
        var iat = now.ToUnixTimeSeconds();
        var claims = Base64Url(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{{\"iss\":{JsonSerializer.Serialize(apiKey)},\"iat\":{iat},\"exp\":{iat + (long)lifetime.TotalSeconds}}}")));
        var signature = Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(apiSecret), Encoding.ASCII.GetBytes(header + "." + claims)));
        return header + "." + claims + "." + signature;
    }

    private async Task SessionEventAsync(string sessionId, string method, string streamId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        ArgumentException.ThrowIfNullOrEmpty(streamId);
        using var _ = await SendAsync(HttpMethod.Patch, $"videosdk/sessions/{EncodeSessionId(sessionId)}/events",
            new EventRequest(method, new EventParams(streamId)), cancellationToken);
    }

    /// <summary>Zoom: a session id that begins with '/' or contains '//' must be URL-encoded twice in the path.</summary>
    internal static string EncodeSessionId(string sessionId)
    {
        var once = Uri.EscapeDataString(sessionId);
        return sessionId.StartsWith('/') || sessionId.Contains("//", StringComparison.Ordinal) ? Uri.EscapeDataString(once) : once;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(_options.ApiBaseUrl, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.AccessToken is { Length: > 0 } token
            ? token
            : CreateJwt(_options.ApiKey!, _options.ApiSecret!, _time.GetUtcNow(), _options.JwtLifetime));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        var response = await _http.SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            int? code = null;
            var message = text;
            try
            {
                using var doc = JsonDocument.Parse(text);
                if (doc.RootElement.TryGetProperty("code", out var c) && c.TryGetInt32(out var n)) code = n;
                if (doc.RootElement.TryGetProperty("message", out var m)) message = m.GetString() ?? text;
            }
            catch (JsonException)
            {
            }
            throw new ZoomApiException(response.StatusCode, code,
                $"Zoom {method} {path} failed with {(int)response.StatusCode}{(code is null ? "" : $" (code {code})")}: {message}");
        }
    }

    private static string Base64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private sealed record CreateRequest(
        [property: JsonPropertyName("stream_name")] string StreamName,
        [property: JsonPropertyName("stream_description")] string? StreamDescription);

    private sealed record EventRequest(
        [property: JsonPropertyName("method")] string Method,
        [property: JsonPropertyName("params")] EventParams Params);

    private sealed record EventParams([property: JsonPropertyName("stream_ingestion_stream_id")] string StreamIngestionStreamId);
}

/// <summary>Chooses where the avatar's RTMP push goes: a Zoom stream ingestion when credentials are set, else a given URL.</summary>
public static class AvatarStreamTarget
{
    /// <summary>Resolves the RTMP URL to publish to.</summary>
    /// <param name="zoom">Zoom settings; used when they carry credentials and a session id is given.</param>
    /// <param name="zoomSessionId">The Zoom Video SDK session to join as incoming live stream, or null.</param>
    /// <param name="rtmpUrl">The plain RTMP(S) URL to use without Zoom credentials.</param>
    /// <param name="http">The HTTP client for Zoom's API.</param>
    /// <param name="cancellationToken">Cancels the Zoom calls.</param>
    /// <returns>The URL (with stream key) and, for Zoom, the ingestion created.</returns>
    /// <exception cref="InvalidOperationException">Neither Zoom (credentials + session) nor an RTMP URL is configured.</exception>
    public static async Task<(Uri Url, ZoomStreamIngestion? Ingestion)> ResolveAsync(ZoomOptions zoom, string? zoomSessionId, Uri? rtmpUrl,
        HttpClient http, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(zoom);
        if (zoom.HasCredentials && !string.IsNullOrEmpty(zoomSessionId))
        {
            var ingestion = await new ZoomStreamIngestionClient(http, zoom).StartForSessionAsync(zoomSessionId, "kvsinference-avatar", cancellationToken);
            return (ingestion.PublishUrl, ingestion);
        }
        return (rtmpUrl ?? throw new InvalidOperationException(
            "No RTMP target: configure Zoom Video SDK API credentials and a session id, or an rtmp:// URL."), null);
    }
}
