using KvsInference.IO;
using KvsInference.Kvs;

namespace KvsInference.Aws.KinesisVideo;

public sealed partial class KinesisVideoClient
{
    /// <summary>
    /// Opens the media of a stream from a start selector (GetMedia, <c>POST /getMedia</c> on the GET_MEDIA data endpoint).
    /// Returns when the answer's headers arrive; the payload is then read incrementally, live, for as long as the caller reads.
    /// </summary>
    /// <param name="stream">The stream name or ARN.</param>
    /// <param name="startSelector">Where to start.</param>
    /// <param name="cancellationToken">Cancels the connection phase (dispose the response to stop reading).</param>
    /// <returns>The streaming answer; dispose it.</returns>
    /// <exception cref="AwsResourceNotFoundException">The stream does not exist.</exception>
    /// <exception cref="AwsThrottlingException">Too many GetMedia connections or calls, after retries (ConnectionLimitExceededException, ClientLimitExceededException).</exception>
    /// <exception cref="AwsServiceException">The service refused the call.</exception>
    public Task<KvsMediaResponse> GetMediaAsync(string stream, KvsStartSelector startSelector, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(startSelector);
        var r = Ref(stream);
        var body = Serialize(new KvsGetMediaInput { StreamName = r.StreamName, StreamArn = r.StreamArn, StartSelector = KvsStartSelectorInput.From(startSelector) }, Json.KvsGetMediaInput);
        return DataAsync(stream, KvsApiName.GetMedia, endpoint => OpenMediaAsync("GetMedia", AwsHttpPipeline.Combine(endpoint, "/getMedia"), body, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Opens the media of up to 1000 fragments (GetMediaForFragmentList, <c>POST /getMediaForFragmentList</c> on the
    /// GET_MEDIA_FOR_FRAGMENT_LIST data endpoint). Use <see cref="OpenFragmentsAsync"/> for longer lists.
    /// </summary>
    /// <param name="stream">The stream name or ARN.</param>
    /// <param name="fragmentNumbers">1 to 1000 fragment numbers.</param>
    /// <param name="cancellationToken">Cancels the connection phase.</param>
    /// <returns>The streaming answer; dispose it.</returns>
    /// <exception cref="ArgumentException">The list is empty or longer than 1000.</exception>
    /// <exception cref="AwsServiceException">The service refused the call.</exception>
    public Task<KvsMediaResponse> GetMediaForFragmentListAsync(string stream, IReadOnlyList<string> fragmentNumbers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fragmentNumbers);
        if (fragmentNumbers.Count is 0 or > KinesisVideoConstants.MaxFragmentsPerGetMediaForFragmentList)
        {
            throw new ArgumentException($"GetMediaForFragmentList takes 1 to {KinesisVideoConstants.MaxFragmentsPerGetMediaForFragmentList} fragments, not {fragmentNumbers.Count}; use OpenFragmentsAsync to split a longer list.", nameof(fragmentNumbers));
        }
        var r = Ref(stream);
        var body = Serialize(new KvsGetMediaForFragmentListInput { StreamName = r.StreamName, StreamArn = r.StreamArn, Fragments = fragmentNumbers }, Json.KvsGetMediaForFragmentListInput);
        return DataAsync(stream, KvsApiName.GetMediaForFragmentList,
            endpoint => OpenMediaAsync("GetMediaForFragmentList", AwsHttpPipeline.Combine(endpoint, "/getMediaForFragmentList"), body, cancellationToken), cancellationToken);
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
    public async Task<KvsMediaResponse> OpenFragmentsAsync(string stream, IReadOnlyList<string> fragmentNumbers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fragmentNumbers);
        if (fragmentNumbers.Count == 0) throw new ArgumentException("No fragments to open.", nameof(fragmentNumbers));
        var chunks = fragmentNumbers.Chunk(KinesisVideoConstants.MaxFragmentsPerGetMediaForFragmentList).Select(c => (IReadOnlyList<string>)c).ToList();
        var first = await GetMediaForFragmentListAsync(stream, chunks[0], cancellationToken).ConfigureAwait(false);
        if (chunks.Count == 1) return first;
        var concatenated = new ConcatenatedMediaStream(first, chunks.Skip(1).Select(c => (Func<CancellationToken, Task<KvsMediaResponse>>)(ct => GetMediaForFragmentListAsync(stream, c, ct))).ToList());
        return new KvsMediaResponse(null, concatenated, first.ContentType);
    }

    /// <summary>Lists one page of fragments (ListFragments, <c>POST /listFragments</c> on the LIST_FRAGMENTS data endpoint).</summary>
    /// <param name="stream">The stream name or ARN.</param>
    /// <param name="start">The start of the timestamp range, or null (with <paramref name="end"/> null too) for no range.</param>
    /// <param name="end">The end of the timestamp range, or null.</param>
    /// <param name="origin">Which clock the range refers to.</param>
    /// <param name="nextToken">The page token, or null for the first page.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page, in the service's (unspecified) order.</returns>
    /// <exception cref="ArgumentException">Only one end of the range is given, or the end is before the start.</exception>
    /// <exception cref="AwsServiceException">The service refused the call.</exception>
    public Task<KvsFragmentPage> ListFragmentsPageAsync(string stream, DateTimeOffset? start, DateTimeOffset? end, KvsTimestampOrigin origin,
        string? nextToken, CancellationToken cancellationToken)
    {
        if (start.HasValue != end.HasValue) throw new ArgumentException("Give both ends of the timestamp range or neither.", nameof(end));
        if (start > end) throw new ArgumentException($"The range ends ({end:O}) before it starts ({start:O}).", nameof(end));
        var r = Ref(stream);
        var input = new KvsListFragmentsInput
        {
            StreamName = r.StreamName,
            StreamArn = r.StreamArn,
            MaxResults = Math.Min(_options.PageSize, 1000),
            NextToken = nextToken,
            FragmentSelector = start is null ? null : new KvsFragmentSelector
            {
                FragmentSelectorType = origin == KvsTimestampOrigin.Server ? "SERVER_TIMESTAMP" : "PRODUCER_TIMESTAMP",
                TimestampRange = new KvsTimestampRange { StartTimestamp = start, EndTimestamp = end },
            },
        };
        return DataAsync(stream, KvsApiName.ListFragments, async endpoint =>
        {
            var output = await _pipeline.SendJsonAsync(Service + ":ListFragments", AwsHttpPipeline.Combine(endpoint, "/listFragments"), null, input,
                Json.KvsListFragmentsInput, Json.KvsListFragmentsOutput, cancellationToken).ConfigureAwait(false);
            return new KvsFragmentPage(output.Fragments ?? [], string.IsNullOrEmpty(output.NextToken) ? null : output.NextToken);
        }, cancellationToken);
    }

    /// <summary>Lists every fragment in a timestamp range, following NextToken, sorted by fragment number.</summary>
    /// <param name="stream">The stream name or ARN.</param>
    /// <param name="start">The start of the range, or null for all fragments.</param>
    /// <param name="end">The end of the range, or null.</param>
    /// <param name="origin">Which clock the range refers to.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>The fragments in ingestion order.</returns>
    /// <exception cref="AwsServiceException">The service refused a call.</exception>
    public async Task<IReadOnlyList<KvsFragment>> ListFragmentsAsync(string stream, DateTimeOffset? start, DateTimeOffset? end, KvsTimestampOrigin origin,
        CancellationToken cancellationToken)
    {
        var all = new List<KvsFragment>();
        string? token = null;
        do
        {
            var page = await ListFragmentsPageAsync(stream, start, end, origin, token, cancellationToken).ConfigureAwait(false);
            all.AddRange(page.Fragments);
            token = page.NextToken;
        }
        while (token is not null);
        // Fragment numbers are decimal strings of up to 128 digits that grow with ingestion order.
        all.Sort((a, b) => CompareFragmentNumbers(a.FragmentNumber, b.FragmentNumber));
        return all;
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

    private async Task<KvsMediaResponse> OpenMediaAsync(string operation, Uri uri, byte[] body, CancellationToken cancellationToken)
    {
        var response = await _pipeline.SendAsync(Service + ":" + operation, () => JsonPost(uri, body), streamResponse: true, cancellationToken).ConfigureAwait(false);
        try
        {
            var payload = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return new KvsMediaResponse(response, payload, response.Content.Headers.ContentType?.MediaType);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts a PutMedia session (<c>POST /putMedia</c> on the PUT_MEDIA data endpoint): the payload is streamed with chunked
    /// transfer encoding while the acknowledgements are read from the answer on the same connection.
    /// </summary>
    /// <param name="request">The stream, timecode settings and payload.</param>
    /// <param name="cancellationToken">Cancels the session (upload and acknowledgements).</param>
    /// <returns>The session, once the service answered 200; read its acknowledgements and dispose it.</returns>
    /// <exception cref="ArgumentException">Neither or both of stream name and ARN are given, or a relative timecode lacks its start timestamp.</exception>
    /// <exception cref="AwsServiceException">The service refused the session (e.g. ConnectionLimitExceededException, ResourceNotFoundException).</exception>
    public Task<KvsPutMediaSession> PutMediaAsync(KvsPutMediaRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.StreamName) == string.IsNullOrEmpty(request.StreamArn))
        {
            throw new ArgumentException("PutMedia takes exactly one of StreamName and StreamArn.", nameof(request));
        }
        if (request.FragmentTimecodeType == KvsFragmentTimecodeType.Relative && request.ProducerStartTimestamp is null)
        {
            throw new ArgumentException("PutMedia with RELATIVE timecodes needs ProducerStartTimestamp.", nameof(request));
        }
        var stream = request.StreamArn ?? request.StreamName!;
        return DataAsync(stream, KvsApiName.PutMedia, async endpoint =>
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, AwsHttpPipeline.Combine(endpoint, "/putMedia"));
            if (request.StreamName is not null) message.Headers.TryAddWithoutValidation("x-amzn-stream-name", request.StreamName);
            if (request.StreamArn is not null) message.Headers.TryAddWithoutValidation("x-amzn-stream-arn", request.StreamArn);
            message.Headers.TryAddWithoutValidation("x-amzn-fragment-timecode-type",
                request.FragmentTimecodeType == KvsFragmentTimecodeType.Absolute ? "ABSOLUTE" : "RELATIVE");
            if (request.ProducerStartTimestamp is { } t)
            {
                message.Headers.TryAddWithoutValidation("x-amzn-producer-start-timestamp", AwsEpochSecondsConverter.Format(t));
            }
            // The body is produced while it is sent, so it cannot be hashed ahead: signed as UNSIGNED-PAYLOAD.
            message.Content = new ByteArrayContent([]);
            message.Content.Headers.ContentType = null;
            message.Options.Set(AwsSigningHandler.UnsignedPayloadOption, true);
            await _pipeline.SignAsync(message, cancellationToken).ConfigureAwait(false);
            var response = await AwsDuplexHttp.SendAsync(message, request.Payload, _pipeline.AttemptTimeout, cancellationToken).ConfigureAwait(false);
            if ((int)response.StatusCode is >= 200 and < 300) return new KvsPutMediaSession(response);
            await using (response.ConfigureAwait(false))
            {
                var error = new byte[AwsConstants.MaxErrorBodyBytes];
                var total = 0;
                int n;
                while (total < error.Length && (n = await response.Body.ReadAsync(error.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0) total += n;
                throw AwsErrorMapper.Map(response.StatusCode, response.Header("x-amzn-ErrorType") ?? response.Header("x-amz-ErrorType"),
                    response.Header("x-amzn-RequestId") ?? response.Header("x-amz-RequestId"), error.AsSpan(0, total), Service + ":PutMedia");
            }
        }, cancellationToken);
    }
}

/// <summary>Reads a list of media answers one after the other as one stream.</summary>
internal sealed class ConcatenatedMediaStream : ReadOnlyStream
{
    private readonly Queue<Func<CancellationToken, Task<KvsMediaResponse>>> _next;
    private KvsMediaResponse? _current;

    public ConcatenatedMediaStream(KvsMediaResponse first, IReadOnlyList<Func<CancellationToken, Task<KvsMediaResponse>>> next)
    {
        _current = first;
        _next = new Queue<Func<CancellationToken, Task<KvsMediaResponse>>>(next);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_current is not null)
        {
            var n = await _current.Payload.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
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
