using KvsInference.Aws.Generated;
using KvsInference.Aws.Generated.KinesisVideoArchivedMedia;
using Microsoft.Extensions.Logging;

namespace KvsInference.Aws.KinesisVideo;

/// <summary>
/// The Kinesis Video Streams archived-media operations this project uses, shaped like aws-sdk-net's
/// <c>Amazon.KinesisVideoArchivedMedia.IAmazonKinesisVideoArchivedMedia</c> (<c>kinesis-video-archived-media</c> 2017-09-30).
/// </summary>
public interface IAmazonKinesisVideoArchivedMedia : IDisposable
{
    /// <summary>Lists one page of fragments (ListFragments), in the service's (unspecified) order.</summary>
    /// <param name="request">StreamName or StreamARN; MaxResults, NextToken and FragmentSelector are optional.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page.</returns>
    Task<ListFragmentsResponse> ListFragmentsAsync(ListFragmentsRequest request, CancellationToken cancellationToken = default);

    /// <summary>Opens the media of 1 to 1000 fragments (GetMediaForFragmentList); dispose the response to close it.</summary>
    /// <param name="request">StreamName or StreamARN, and Fragments.</param>
    /// <param name="cancellationToken">Cancels the connection phase.</param>
    /// <returns>The streaming answer (Payload is never null).</returns>
    /// <exception cref="ArgumentException">The list is empty or longer than 1000.</exception>
    Task<GetMediaForFragmentListResponse> GetMediaForFragmentListAsync(GetMediaForFragmentListRequest request, CancellationToken cancellationToken = default);
}

/// <summary>A client of one KVS archived-media data endpoint (LIST_FRAGMENTS or GET_MEDIA_FOR_FRAGMENT_LIST, from GetDataEndpoint).</summary>
public sealed class AmazonKinesisVideoArchivedMediaClient : AwsServiceClient, IAmazonKinesisVideoArchivedMedia
{
    /// <summary>Creates the client for one data endpoint.</summary>
    /// <param name="options">The settings (region, credentials, retries, transport); their ServiceUrl is not used.</param>
    /// <param name="endpoint">The data endpoint from GetDataEndpoint.</param>
    /// <param name="timeProvider">The clock for retries and timeouts, or null for the system clock.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public AmazonKinesisVideoArchivedMediaClient(AwsClientOptions options, Uri endpoint, TimeProvider? timeProvider = null, ILogger? logger = null)
        : base(AwsServiceDescriptor.KinesisVideo, options, timeProvider, logger, CheckHttpEndpoint(endpoint, nameof(endpoint)))
    {
    }

    private static KinesisVideoArchivedMediaModelJsonContext Json => KinesisVideoArchivedMediaModelJsonContext.Default;

    /// <inheritdoc/>
    public async Task<ListFragmentsResponse> ListFragmentsAsync(ListFragmentsRequest request, CancellationToken cancellationToken = default)
    {
        AmazonKinesisVideoClient.ThrowIfNone(request, request?.StreamName, request?.StreamARN, "StreamName or StreamARN");
        var response = await Pipeline.SendOperationAsync(AwsServiceModels.KinesisVideoArchivedMedia, "ListFragments", request!,
            Json.ListFragmentsRequest, Json.ListFragmentsResponse, cancellationToken).ConfigureAwait(false);
        response.Fragments ??= [];
        return response;
    }

    /// <inheritdoc/>
    public async Task<GetMediaForFragmentListResponse> GetMediaForFragmentListAsync(GetMediaForFragmentListRequest request, CancellationToken cancellationToken = default)
    {
        AmazonKinesisVideoClient.ThrowIfNone(request, request?.StreamName, request?.StreamARN, "StreamName or StreamARN");
        var count = request!.Fragments?.Count ?? 0;
        if (count is 0 or > KinesisVideoConstants.MaxFragmentsPerGetMediaForFragmentList)
        {
            throw new ArgumentException($"GetMediaForFragmentList takes 1 to {KinesisVideoConstants.MaxFragmentsPerGetMediaForFragmentList} fragments, not {count}; " +
                "KinesisVideoClient.OpenFragmentsAsync splits a longer list.", nameof(request));
        }
        var (payload, contentType) = await Pipeline.SendStreamingOperationAsync(AwsServiceModels.KinesisVideoArchivedMedia, "GetMediaForFragmentList", request,
            Json.GetMediaForFragmentListRequest, cancellationToken).ConfigureAwait(false);
        return new GetMediaForFragmentListResponse { Payload = payload, ContentType = contentType };
    }
}
