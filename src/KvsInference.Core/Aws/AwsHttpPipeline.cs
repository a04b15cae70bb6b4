using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Amazon.Runtime;
using KvsInference.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;

namespace KvsInference.Aws;

/// <summary>
/// The HTTP pipeline every typed AWS client shares: resolved region and endpoint, Polly retries above SigV4 signing
/// (so each attempt is signed afresh), error answers mapped to <see cref="AwsServiceException"/>.
/// </summary>
internal sealed class AwsHttpPipeline : IDisposable
{
    private readonly HttpClient _http;
    private readonly ResiliencePipeline _retrying;
    private readonly ILogger _logger;
    private readonly Lazy<Task<AWSCredentials>> _credentials;
    private readonly TimeProvider _time;

    /// <param name="service">The service.</param>
    /// <param name="options">The settings.</param>
    /// <param name="timeProvider">The clock, or null for the system clock.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <param name="endpoint">The endpoint of a data-plane client (from GetDataEndpoint or GetSignalingChannelEndpoint), which wins over
    /// the options and the environment; null to resolve it from them.</param>
    public AwsHttpPipeline(AwsServiceDescriptor service, AwsClientOptions options, TimeProvider? timeProvider, ILogger? logger, Uri? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(options);
        OptionsValidator.ThrowIfAny(options.GetType().Name,
            OptionsValidator.FindErrors(options).Concat(OptionsValidator.FindErrors(options.Resilience, path: nameof(options.Resilience))));
        var time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        Service = service;
        Region = AwsRegionResolver.Resolve(options);
        Endpoint = endpoint ?? AwsEndpointResolver.Resolve(service, options, Region);
        var credentials = new Lazy<Task<AWSCredentials>>(() => Task.Run(() => AwsCredentialsResolver.Resolve(options, Endpoint)));
        // Redirects are not followed: a followed redirect would not be re-signed (see SigV4SigningHandler remarks).
        var transport = options.Transport ?? new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        _credentials = credentials;
        _time = time;
        AttemptTimeout = options.Resilience.AttemptTimeout;
        var signer = new AwsSigningHandler(_ => credentials.Value, Region, service.SigningName, time, transport);
        // Timeouts come from the resilience pipeline; GetMedia bodies stream for hours, so the client itself never times out.
        _http = new HttpClient(signer, disposeHandler: options.Transport is null) { Timeout = Timeout.InfiniteTimeSpan };
        _retrying = AwsResilience.Build(options.Resilience, time, args =>
            _logger.LogWarning("{Service} call retried (attempt {Attempt}, delay {Delay}): {Error}",
                service.SigningName, args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception?.Message));
    }

    public AwsServiceDescriptor Service { get; }

    public string Region { get; }

    public Uri Endpoint { get; }

    public TimeSpan AttemptTimeout { get; }

    /// <summary>Gets the credentials the pipeline signs with, for URLs presigned outside it (KVS signaling).</summary>
    public async Task<ImmutableCredentials> GetCredentialsAsync()
    {
        var credentials = await _credentials.Value.ConfigureAwait(false);
        return await credentials.GetCredentialsAsync().ConfigureAwait(false);
    }

    /// <summary>Gets the clock signing times are taken from.</summary>
    public TimeProvider Time => _time;

    /// <summary>Signs a request for calls that bypass <see cref="HttpClient"/> (the duplex PutMedia connection).</summary>
    public async Task SignAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var credentials = await _credentials.Value.ConfigureAwait(false);
        await AwsSigningHandler.SignAsync(request, credentials, Amazon.RegionEndpoint.GetBySystemName(Region), Service.SigningName,
            _time.GetUtcNow().UtcDateTime, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends a request built by <paramref name="createRequest"/> (called once per attempt) and returns the successful answer;
    /// with <paramref name="streamResponse"/> the answer is returned as soon as its headers arrive and its body is not buffered.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(string operation, Func<HttpRequestMessage> createRequest, bool streamResponse,
        CancellationToken cancellationToken)
    {
        var completion = streamResponse ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead;
        return await _retrying.ExecuteAsync(async ct =>
        {
            var request = createRequest();
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, completion, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new HttpRequestException($"{operation}: {e.Message}", e, e.StatusCode);
            }
            if (response.IsSuccessStatusCode) return response;
            using (response)
            {
                throw await AwsErrorMapper.FromResponseAsync(response, operation, ct).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a JSON body and reads a JSON answer (AWS JSON 1.1 when <paramref name="target"/> is set, else REST-JSON).</summary>
    public async Task<TResponse> SendJsonAsync<TRequest, TResponse>(string operation, Uri uri, string? target, TRequest body,
        JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(body, requestType);
        var mediaType = target is null ? "application/json" : "application/x-amz-json-1.1";
        using var response = await SendAsync(operation, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(payload) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            if (target is not null) request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
            return request;
        }, streamResponse: false, cancellationToken).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Some operations answer an empty body (CreateStream of Kinesis): treat it as an empty object.
            return JsonSerializer.Deserialize(bytes.Length == 0 ? "{}"u8 : bytes, responseType)
                ?? throw new AwsProtocolException($"{operation}: the answer was JSON null.");
        }
        catch (JsonException e)
        {
            throw new AwsProtocolException($"{operation}: the answer is not the expected JSON: {e.Message}", e);
        }
    }

    /// <summary>
    /// Sends one operation of a REST-JSON model (every KVS operation: <c>POST</c> of a JSON body to the model's request URI)
    /// to <see cref="Endpoint"/>, named <c>&lt;signing name&gt;:&lt;operation&gt;</c> in errors and logs.
    /// </summary>
    public Task<TResponse> SendOperationAsync<TRequest, TResponse>(AwsServiceModel model, string operation, TRequest body,
        JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken) =>
        SendJsonAsync(model.SigningName + ":" + operation, Combine(Endpoint, model.Operations[operation].RequestUri), null, body, requestType, responseType, cancellationToken);

    /// <summary>
    /// Sends one REST-JSON operation whose answer is a streamed payload (GetMedia, GetMediaForFragmentList) and returns the
    /// payload as soon as the headers arrive; disposing the returned stream closes the answer.
    /// </summary>
    public async Task<(Stream Payload, string? ContentType)> SendStreamingOperationAsync<TRequest>(AwsServiceModel model, string operation, TRequest body,
        JsonTypeInfo<TRequest> requestType, CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(body, requestType);
        var uri = Combine(Endpoint, model.Operations[operation].RequestUri);
        var response = await SendAsync(model.SigningName + ":" + operation, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(payload) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            return request;
        }, streamResponse: true, cancellationToken).ConfigureAwait(false);
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return (new ResponseOwningStream(response, stream), response.Content.Headers.ContentType?.MediaType);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Builds an absolute URI on <paramref name="baseUri"/> (keeping any base path).</summary>
    public static Uri Combine(Uri baseUri, string path)
    {
        var b = baseUri.AbsoluteUri.TrimEnd('/');
        return new Uri(b + "/" + path.TrimStart('/'));
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>A streamed answer body that disposes its HTTP answer with it.</summary>
internal sealed class ResponseOwningStream(HttpResponseMessage response, Stream inner) : KvsInference.IO.ReadOnlyStream
{
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            response.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>An AWS answer did not have the shape the wire protocol defines (a client/service mismatch, not a service error).</summary>
public sealed class AwsProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="inner">The parse error, or null.</param>
    public AwsProtocolException(string message, Exception? inner = null) : base(message, inner) { }
}
