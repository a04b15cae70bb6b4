using System.Collections.Concurrent;
using KvsInference.Aws.Generated.KinesisVideo;
using KvsInference.Aws.Generated.KinesisVideoArchivedMedia;
using KvsInference.Aws.Generated.KinesisVideoMedia;
using KvsInference.IO;
using KvsInference.Kvs;
using KvsInference.Validation;
using Microsoft.Extensions.Logging;

namespace KvsInference.Aws.KinesisVideo;

/// <summary>
/// The Kinesis Video Streams clients of one account and region: the control plane (<see cref="ControlPlane"/>) and the
/// data-plane clients built per endpoint, as aws-sdk-net users build them: GetDataEndpoint per stream and API (cached for
/// <see cref="KinesisVideoClientOptions.DataEndpointCacheDuration"/>, forgotten when a call to it fails), then one
/// <see cref="AmazonKinesisVideoMediaClient"/> or <see cref="AmazonKinesisVideoArchivedMediaClient"/> per endpoint; one
/// <see cref="AmazonKinesisVideoSignalingChannelsClient"/> or <see cref="AmazonKinesisVideoWebRTCStorageClient"/> per
/// channel endpoint. On top, the reads the media layer needs in KVS vocabulary (start selector, all fragments sorted, long
/// fragment lists).
/// </summary>
/// <remarks>
/// Wherever a stream is named by a <c>stream</c> argument, a value starting with <c>arn:</c> is sent as <c>StreamARN</c>
/// and anything else as <c>StreamName</c>. Calls and the connection phase of streamed answers are retried by
/// <see cref="AwsResilience"/>; a streamed body, once returned, is not (the caller resumes with a start selector).
/// </remarks>
public sealed class KinesisVideoClient : IDisposable
{
    private readonly AmazonKinesisVideoClient _controlPlane;
    private readonly KinesisVideoClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly ConcurrentDictionary<(string Stream, string Api), (Uri Endpoint, DateTimeOffset Expires)> _endpoints = new();
    private readonly ConcurrentDictionary<(Type Client, Uri Endpoint), IDisposable> _clients = new();

    /// <summary>Creates the clients.</summary>
    /// <param name="options">The settings; region, endpoint and credentials are resolved now (credentials lazily on first call).</param>
    /// <param name="timeProvider">The clock for retries, timeouts and the endpoint cache, or null for the system clock.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    /// <exception cref="InvalidOperationException">No region could be resolved, or an endpoint variable is malformed.</exception>
    public KinesisVideoClient(KinesisVideoClientOptions options, TimeProvider? timeProvider = null, ILogger<KinesisVideoClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        OptionsValidator.Validate(options);
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger;
        _controlPlane = new AmazonKinesisVideoClient(options, _time, logger);
    }

    /// <summary>Gets the control-plane client.</summary>
    public IAmazonKinesisVideo ControlPlane => _controlPlane;

    /// <summary>Gets the control-plane endpoint in use.</summary>
    public Uri Endpoint => _controlPlane.Endpoint;

    /// <summary>Gets the region in use.</summary>
    public string Region => _controlPlane.Region;

    /// <summary>Lists every stream whose name begins with <paramref name="namePrefix"/> (ListStreams), following NextToken.</summary>
    /// <param name="namePrefix">The prefix, or null for all streams.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>The streams in the order the service listed them.</returns>
    /// <exception cref="AwsServiceException">The service refused a call.</exception>
    public async Task<IReadOnlyList<StreamInfo>> ListAllStreamsAsync(string? namePrefix, CancellationToken cancellationToken)
    {
        var all = new List<StreamInfo>();
        string? token = null;
        do
        {
            var page = await _controlPlane.ListStreamsAsync(new ListStreamsRequest
            {
                MaxResults = Math.Min(_options.PageSize, KinesisVideoConstants.MaxListStreamsResults),
                NextToken = token,
                StreamNameCondition = string.IsNullOrEmpty(namePrefix) ? null : new StreamNameCondition { ComparisonOperator = "BEGINS_WITH", ComparisonValue = namePrefix },
            }, cancellationToken).ConfigureAwait(false);
            all.AddRange(page.StreamInfoList ?? []);
            token = string.IsNullOrEmpty(page.NextToken) ? null : page.NextToken;
        }
        while (token is not null);
        return all;
    }

    /// <summary>Lists every tag of one stream (ListTagsForStream), following NextToken.</summary>
    /// <param name="stream">The stream name or ARN.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>The tags.</returns>
    /// <exception cref="AwsResourceNotFoundException">The stream does not exist.</exception>
    public async Task<IReadOnlyDictionary<string, string>> ListAllTagsForStreamAsync(string stream, CancellationToken cancellationToken)
    {
        var (name, arn) = Ref(stream);
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        string? token = null;
        do
        {
            var page = await _controlPlane.ListTagsForStreamAsync(new ListTagsForStreamRequest { StreamName = name, StreamARN = arn, NextToken = token }, cancellationToken)
                .ConfigureAwait(false);
            foreach (var (k, v) in page.Tags ?? []) tags[k] = v;
            token = string.IsNullOrEmpty(page.NextToken) ? null : page.NextToken;
        }
        while (token is not null);
        return tags;
    }

    /// <summary>Gets the data endpoint of one stream and API (GetDataEndpoint), cached for <see cref="KinesisVideoClientOptions.DataEndpointCacheDuration"/>.</summary>
    /// <param name="stream">The stream name or ARN.</param>
    /// <param name="apiName">One of <see cref="KvsApiName"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The endpoint.</returns>
    /// <exception cref="AwsResourceNotFoundException">The stream does not exist.</exception>
    public async Task<Uri> GetDataEndpointAsync(string stream, string apiName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(apiName);
        var (name, arn) = Ref(stream);
        var now = _time.GetUtcNow();
        if (_endpoints.TryGetValue((stream, apiName), out var cached) && cached.Expires > now) return cached.Endpoint;
        var response = await _controlPlane.GetDataEndpointAsync(new GetDataEndpointRequest { APIName = apiName, StreamName = name, StreamARN = arn }, cancellationToken)
            .ConfigureAwait(false);
        var endpoint = new Uri(response.DataEndpoint!);
        _endpoints[(stream, apiName)] = (endpoint, now + _options.DataEndpointCacheDuration);
        return endpoint;
    }

    /// <summary>Forgets the cached data endpoints of a stream (after its endpoint failed, so the next call asks again).</summary>
    /// <param name="stream">The stream name or ARN.</param>
    public void InvalidateDataEndpoints(string stream)
    {
        foreach (var key in _endpoints.Keys.Where(k => k.Stream == stream).ToList()) _endpoints.TryRemove(key, out _);
    }

    /// <summary>Gets the media client of a stream's data endpoint for <paramref name="apiName"/> (GET_MEDIA or PUT_MEDIA).</summary>
    /// <param name="stream">The stream name or ARN.</param>
    /// <param name="apiName"><see cref="KvsApiName.GetMedia"/> or <see cref="KvsApiName.PutMedia"/>.</param>
    /// <param name="cancellationToken">Cancels GetDataEndpoint.</param>
    /// <returns>The client (owned by this object).</returns>
    public async Task<AmazonKinesisVideoMediaClient> MediaClientAsync(string stream, string apiName, CancellationToken cancellationToken)
    {
        var endpoint = await GetDataEndpointAsync(stream, apiName, cancellationToken).ConfigureAwait(false);
        return Client(endpoint, e => new AmazonKinesisVideoMediaClient(_options, e, _time, _logger));
    }

    /// <summary>Gets the archived-media client of a stream's data endpoint for <paramref name="apiName"/>.</summary>
    /// <param name="stream">The stream name or ARN.</param>
    /// <param name="apiName"><see cref="KvsApiName.ListFragments"/> or <see cref="KvsApiName.GetMediaForFragmentList"/>.</param>
    /// <param name="cancellationToken">Cancels GetDataEndpoint.</param>
    /// <returns>The client (owned by this object).</returns>
    public async Task<AmazonKinesisVideoArchivedMediaClient> ArchivedMediaClientAsync(string stream, string apiName, CancellationToken cancellationToken)
    {
        var endpoint = await GetDataEndpointAsync(stream, apiName, cancellationToken).ConfigureAwait(false);
        return Client(endpoint, e => new AmazonKinesisVideoArchivedMediaClient(_options, e, _time, _logger));
    }

    /// <summary>Gets the client of a signaling channel's HTTPS endpoint (GetIceServerConfig).</summary>
    /// <param name="httpsEndpoint">The HTTPS endpoint from GetSignalingChannelEndpoint.</param>
    /// <returns>The client (owned by this object).</returns>
    /// <exception cref="ArgumentException">The endpoint is not an absolute http(s) URL.</exception>
    public IAmazonKinesisVideoSignalingChannels SignalingChannelsClient(Uri httpsEndpoint)
    {
        return Client(httpsEndpoint, e => new AmazonKinesisVideoSignalingChannelsClient(_options, e, _time, _logger));
    }

    /// <summary>Gets the client of a signaling channel's WEBRTC endpoint (JoinStorageSession).</summary>
    /// <param name="webRtcEndpoint">The WEBRTC endpoint from GetSignalingChannelEndpoint.</param>
    /// <returns>The client (owned by this object).</returns>
    /// <exception cref="ArgumentException">The endpoint is not an absolute http(s) URL.</exception>
    public IAmazonKinesisVideoWebRTCStorage WebRtcStorageClient(Uri webRtcEndpoint)
    {
        return Client(webRtcEndpoint, e => new AmazonKinesisVideoWebRTCStorageClient(_options, e, _time, _logger));
    }

    /// <summary>Presigns the signaling WebSocket URL of a channel (see <see cref="AmazonKinesisVideoClient.PresignSignalingUrlAsync"/>).</summary>
    /// <param name="wssEndpoint">The channel's WSS endpoint for the role.</param>
    /// <param name="channelArn">The channel ARN.</param>
    /// <param name="clientId">The viewer's client id, or null to connect as master.</param>
    /// <param name="lifetime">How long the URL is valid: 1 s to 5 min.</param>
    /// <param name="cancellationToken">Cancels resolving the credentials.</param>
    /// <returns>The presigned wss:// URL.</returns>
    public Task<Uri> PresignSignalingUrlAsync(Uri wssEndpoint, string channelArn, string? clientId, TimeSpan lifetime, CancellationToken cancellationToken) =>
        _controlPlane.PresignSignalingUrlAsync(wssEndpoint, channelArn, clientId, lifetime, cancellationToken);

    /// <summary>Opens the media of a stream from a start selector (GetMedia on the GET_MEDIA data endpoint).</summary>
    /// <param name="stream">The stream name or ARN.</param>
    /// <param name="startSelector">Where to start.</param>
    /// <param name="cancellationToken">Cancels the connection phase (dispose the response to stop reading).</param>
    /// <returns>The streaming answer; dispose it.</returns>
    /// <exception cref="AwsResourceNotFoundException">The stream does not exist.</exception>
    /// <exception cref="AwsThrottlingException">Too many GetMedia connections or calls, after retries.</exception>
    public Task<GetMediaResponse> GetMediaAsync(string stream, KvsStartSelector startSelector, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(startSelector);
        var (name, arn) = Ref(stream);
        var request = new GetMediaRequest
        {
            StreamName = name,
            StreamARN = arn,
            StartSelector = new StartSelector
            {
                StartSelectorType = startSelector.StartSelectorType,
                AfterFragmentNumber = startSelector.AfterFragmentNumber,
                ContinuationToken = startSelector.ContinuationToken,
                StartTimestamp = startSelector.StartTimestamp,
            },
        };
        return DataAsync(stream, KvsApiName.GetMedia, async () =>
            await (await MediaClientAsync(stream, KvsApiName.GetMedia, cancellationToken).ConfigureAwait(false)).GetMediaAsync(request, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Starts a PutMedia session on the stream's PUT_MEDIA data endpoint (see <see cref="AmazonKinesisVideoMediaClient.PutMediaAsync"/>).</summary>
    /// <param name="request">The stream, timecode settings and payload.</param>
    /// <param name="cancellationToken">Cancels the session.</param>
    /// <returns>The session; read its acknowledgements and dispose it.</returns>
    /// <exception cref="ArgumentException">Neither or both of stream name and ARN are given, or a relative timecode lacks its start timestamp.</exception>
    public Task<KvsPutMediaSession> PutMediaAsync(KvsPutMediaRequest request, CancellationToken cancellationToken)
    {
        AmazonKinesisVideoMediaClient.ThrowIfInvalid(request);
        var stream = request.StreamArn ?? request.StreamName!;
        return DataAsync(stream, KvsApiName.PutMedia, async () =>
            await (await MediaClientAsync(stream, KvsApiName.PutMedia, cancellationToken).ConfigureAwait(false)).PutMediaAsync(request, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Lists one page of fragments (ListFragments on the LIST_FRAGMENTS data endpoint).</summary>
    /// <param name="stream">The stream name or ARN.</param>
    /// <param name="start">The start of the timestamp range, or null (with <paramref name="end"/> null too) for no range.</param>
    /// <param name="end">The end of the timestamp range, or null.</param>
    /// <param name="origin">Which clock the range refers to.</param>
    /// <param name="nextToken">The page token, or null for the first page.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page, in the service's (unspecified) order.</returns>
    /// <exception cref="ArgumentException">Only one end of the range is given, or the end is before the start.</exception>
    public Task<ListFragmentsResponse> ListFragmentsPageAsync(string stream, DateTimeOffset? start, DateTimeOffset? end, KvsTimestampOrigin origin,
        string? nextToken, CancellationToken cancellationToken)
    {
        if (start.HasValue != end.HasValue) throw new ArgumentException("Give both ends of the timestamp range or neither.", nameof(end));
        if (start > end) throw new ArgumentException($"The range ends ({end:O}) before it starts ({start:O}).", nameof(end));
        var (name, arn) = Ref(stream);
        var request = new ListFragmentsRequest
        {
            StreamName = name,
            StreamARN = arn,
            MaxResults = Math.Min(_options.PageSize, 1000),
            NextToken = nextToken,
            FragmentSelector = start is null ? null : new FragmentSelector
            {
                FragmentSelectorType = KvsTimestampOrigins.ToWireName(origin),
                TimestampRange = new TimestampRange { StartTimestamp = start, EndTimestamp = end },
            },
        };
        return DataAsync(stream, KvsApiName.ListFragments, async () =>
            await (await ArchivedMediaClientAsync(stream, KvsApiName.ListFragments, cancellationToken).ConfigureAwait(false)).ListFragmentsAsync(request, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Lists every fragment in a timestamp range, following NextToken, sorted by fragment number.</summary>
    /// <param name="stream">The stream name or ARN.</param>
    /// <param name="start">The start of the range, or null for all fragments.</param>
    /// <param name="end">The end of the range, or null.</param>
    /// <param name="origin">Which clock the range refers to.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>The fragments in ingestion order.</returns>
    public async Task<IReadOnlyList<Fragment>> ListFragmentsAsync(string stream, DateTimeOffset? start, DateTimeOffset? end, KvsTimestampOrigin origin,
        CancellationToken cancellationToken)
    {
        var all = new List<Fragment>();
        string? token = null;
        do
        {
            var page = await ListFragmentsPageAsync(stream, start, end, origin, token, cancellationToken).ConfigureAwait(false);
            all.AddRange(page.Fragments ?? []);
            token = string.IsNullOrEmpty(page.NextToken) ? null : page.NextToken;
        }
        while (token is not null);
        all.Sort((a, b) => CompareFragmentNumbers(a.FragmentNumber ?? "", b.FragmentNumber ?? ""));
        return all;
    }

    /// <summary>Opens the media of up to 1000 fragments (GetMediaForFragmentList on the GET_MEDIA_FOR_FRAGMENT_LIST data endpoint).</summary>
    /// <param name="stream">The stream name or ARN.</param>
    /// <param name="fragmentNumbers">1 to 1000 fragment numbers; <see cref="OpenFragmentsAsync"/> takes longer lists.</param>
    /// <param name="cancellationToken">Cancels the connection phase.</param>
    /// <returns>The streaming answer; dispose it.</returns>
    /// <exception cref="ArgumentException">The list is empty or longer than 1000.</exception>
    public Task<GetMediaForFragmentListResponse> GetMediaForFragmentListAsync(string stream, IReadOnlyList<string> fragmentNumbers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fragmentNumbers);
        var (name, arn) = Ref(stream);
        var request = new GetMediaForFragmentListRequest { StreamName = name, StreamARN = arn, Fragments = [.. fragmentNumbers] };
        return DataAsync(stream, KvsApiName.GetMediaForFragmentList, async () =>
            await (await ArchivedMediaClientAsync(stream, KvsApiName.GetMediaForFragmentList, cancellationToken).ConfigureAwait(false))
                .GetMediaForFragmentListAsync(request, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Opens the media of any number of fragments as one stream: the list is split into GetMediaForFragmentList calls of at
    /// most 1000 fragments, made one after the other as the previous payload is read to its end (MKV segments concatenate).
    /// </summary>
    /// <param name="stream">The stream name or ARN.</param>
    /// <param name="fragmentNumbers">The fragment numbers, in the order wanted.</param>
    /// <param name="cancellationToken">Cancels the first connection; later ones use the read's token.</param>
    /// <returns>The concatenated answer; dispose it.</returns>
    /// <exception cref="ArgumentException">The list is empty.</exception>
    public async Task<GetMediaForFragmentListResponse> OpenFragmentsAsync(string stream, IReadOnlyList<string> fragmentNumbers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fragmentNumbers);
        if (fragmentNumbers.Count == 0) throw new ArgumentException("No fragments to open.", nameof(fragmentNumbers));
        var chunks = fragmentNumbers.Chunk(KinesisVideoConstants.MaxFragmentsPerGetMediaForFragmentList).Select(c => (IReadOnlyList<string>)c).ToList();
        var first = await GetMediaForFragmentListAsync(stream, chunks[0], cancellationToken).ConfigureAwait(false);
        if (chunks.Count == 1) return first;
        var rest = chunks.Skip(1).Select(c => (Func<CancellationToken, Task<Stream>>)(async ct =>
            (await GetMediaForFragmentListAsync(stream, c, ct).ConfigureAwait(false)).Payload!)).ToList();
        return new GetMediaForFragmentListResponse { ContentType = first.ContentType, Payload = new ConcatenatedStream(first.Payload!, rest) };
    }

    /// <summary>Compares two fragment numbers numerically (they are decimal strings longer than a long).</summary>
    /// <param name="a">One number.</param>
    /// <param name="b">The other.</param>
    /// <returns>Negative, zero or positive.</returns>
    public static int CompareFragmentNumbers(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var x = a.TrimStart('0');
        var y = b.TrimStart('0');
        return x.Length != y.Length ? x.Length.CompareTo(y.Length) : string.CompareOrdinal(x, y);
    }

    /// <summary>Splits a stream name-or-ARN argument into the StreamName and StreamARN members (one of them null).</summary>
    /// <param name="stream">The stream name or ARN.</param>
    /// <returns>The name, or the ARN when the value starts with <c>arn:</c>.</returns>
    public static (string? Name, string? Arn) Ref(string stream)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        return stream.StartsWith("arn:", StringComparison.Ordinal) ? (null, stream) : (stream, null);
    }

    private T Client<T>(Uri endpoint, Func<Uri, T> create) where T : class, IDisposable =>
        (T)_clients.GetOrAdd((typeof(T), endpoint), key => create(key.Endpoint));

    /// <summary>Runs a data-plane call, forgetting the stream's endpoint when the call fails in a way a moved endpoint explains.</summary>
    private async Task<T> DataAsync<T>(string stream, string apiName, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or Polly.Timeout.TimeoutRejectedException or AwsServiceException { IsRetryable: true })
        {
            _endpoints.TryRemove((stream, apiName), out _);
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var client in _clients.Values) client.Dispose();
        _clients.Clear();
        _controlPlane.Dispose();
    }
}

/// <summary>Reads a list of streamed answers one after the other as one stream, opening each when the previous one ends.</summary>
internal sealed class ConcatenatedStream : ReadOnlyStream
{
    private readonly Queue<Func<CancellationToken, Task<Stream>>> _next;
    private Stream? _current;

    public ConcatenatedStream(Stream first, IReadOnlyList<Func<CancellationToken, Task<Stream>>> next)
    {
        _current = first;
        _next = new Queue<Func<CancellationToken, Task<Stream>>>(next);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_current is not null)
        {
            var n = await _current.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n > 0 || buffer.IsEmpty) return n;
            await _current.DisposeAsync().ConfigureAwait(false);
            _current = null;
            if (_next.TryDequeue(out var open)) _current = await open(cancellationToken).ConfigureAwait(false);
        }
        return 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _current?.Dispose();
        _current = null;
        _next.Clear();
        base.Dispose(disposing);
    }
}
