using KvsInference.Aws.Generated;
using KvsInference.Aws.Generated.KinesisVideoMedia;
using Microsoft.Extensions.Logging;

namespace KvsInference.Aws.KinesisVideo;

/// <summary>
/// The Kinesis Video Streams media operations this project uses, shaped like aws-sdk-net's
/// <c>Amazon.KinesisVideoMedia.IAmazonKinesisVideoMedia</c> (<c>kinesis-video-media</c> 2017-09-30).
/// </summary>
public interface IAmazonKinesisVideoMedia : IDisposable
{
    /// <summary>
    /// Opens the media of a stream from a start selector (GetMedia). Returns when the answer's headers arrive; the Payload is
    /// then read incrementally, live, for as long as the caller reads. Dispose the response to close the connection.
    /// </summary>
    /// <param name="request">StreamName or StreamARN, and StartSelector.</param>
    /// <param name="cancellationToken">Cancels the connection phase.</param>
    /// <returns>The streaming answer (Payload is never null).</returns>
    /// <exception cref="AwsResourceNotFoundException">The stream does not exist.</exception>
    /// <exception cref="AwsThrottlingException">Too many GetMedia connections or calls, after retries.</exception>
    Task<GetMediaResponse> GetMediaAsync(GetMediaRequest request, CancellationToken cancellationToken = default);
}

/// <summary>
/// A client of one KVS media data endpoint (the GET_MEDIA or PUT_MEDIA endpoint GetDataEndpoint returned): GetMedia on the
/// generated types, and PutMedia, which AWS publishes no model for (<see cref="PutMediaAsync"/>).
/// </summary>
public sealed class AmazonKinesisVideoMediaClient : AwsServiceClient, IAmazonKinesisVideoMedia
{
    /// <summary>Creates the client for one data endpoint.</summary>
    /// <param name="options">The settings (region, credentials, retries, transport); their ServiceUrl is not used.</param>
    /// <param name="endpoint">The data endpoint from GetDataEndpoint.</param>
    /// <param name="timeProvider">The clock for retries and timeouts, or null for the system clock.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public AmazonKinesisVideoMediaClient(AwsClientOptions options, Uri endpoint, TimeProvider? timeProvider = null, ILogger? logger = null)
        : base(AwsServiceDescriptor.KinesisVideo, options, timeProvider, logger, CheckHttpEndpoint(endpoint, nameof(endpoint)))
    {
    }

    /// <inheritdoc/>
    public async Task<GetMediaResponse> GetMediaAsync(GetMediaRequest request, CancellationToken cancellationToken = default)
    {
        AmazonKinesisVideoClient.ThrowIfNone(request, request?.StreamName, request?.StreamARN, "StreamName or StreamARN");
        ArgumentException.ThrowIfNullOrWhiteSpace(request!.StartSelector?.StartSelectorType, "StartSelector.StartSelectorType");
        var (payload, contentType) = await Pipeline.SendStreamingOperationAsync(AwsServiceModels.KinesisVideoMedia, "GetMedia", request,
            KinesisVideoMediaModelJsonContext.Default.GetMediaRequest, cancellationToken).ConfigureAwait(false);
        return new GetMediaResponse { Payload = payload, ContentType = contentType };
    }

    /// <summary>
    /// Starts a PutMedia session (<c>POST /putMedia</c>): the payload is streamed with chunked transfer encoding while the
    /// acknowledgements are read from the answer on the same connection (<see cref="AwsDuplexHttp"/>). Never retried: the
    /// body is consumed as it is sent.
    /// </summary>
    /// <param name="request">The stream, timecode settings and payload.</param>
    /// <param name="cancellationToken">Cancels the session (upload and acknowledgements).</param>
    /// <returns>The session, once the service answered 200; read its acknowledgements and dispose it.</returns>
    /// <exception cref="ArgumentException">Neither or both of stream name and ARN are given, or a relative timecode lacks its start timestamp.</exception>
    /// <exception cref="AwsServiceException">The service refused the session (e.g. ConnectionLimitExceededException, ResourceNotFoundException).</exception>
    public async Task<KvsPutMediaSession> PutMediaAsync(KvsPutMediaRequest request, CancellationToken cancellationToken = default)
    {
        ThrowIfInvalid(request);
        using var message = new HttpRequestMessage(HttpMethod.Post, AwsHttpPipeline.Combine(Pipeline.Endpoint, "/putMedia"));
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
        await Pipeline.SignAsync(message, cancellationToken).ConfigureAwait(false);
        var response = await AwsDuplexHttp.SendAsync(message, request.Payload, Pipeline.AttemptTimeout, cancellationToken).ConfigureAwait(false);
        if ((int)response.StatusCode is >= 200 and < 300) return new KvsPutMediaSession(response);
        await using (response.ConfigureAwait(false))
        {
            var error = new byte[AwsConstants.MaxErrorBodyBytes];
            var total = 0;
            int n;
            while (total < error.Length && (n = await response.Body.ReadAsync(error.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0) total += n;
            throw AwsErrorMapper.Map(response.StatusCode, response.Header("x-amzn-ErrorType") ?? response.Header("x-amz-ErrorType"),
                response.Header("x-amzn-RequestId") ?? response.Header("x-amz-RequestId"), error.AsSpan(0, total), "kinesisvideo:PutMedia");
        }
    }

    /// <summary>Throws unless the request names exactly one of stream name and ARN, and a relative timecode has its start.</summary>
    internal static void ThrowIfInvalid(KvsPutMediaRequest request)
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
    }
}
