using KvsInference.Aws.Generated.KinesisVideo;

namespace KvsInference.Aws.KinesisVideo;

/// <summary>
/// The Kinesis Video Streams control-plane operations this project uses, shaped like aws-sdk-net's
/// <c>Amazon.KinesisVideo.IAmazonKinesisVideo</c>: one method per operation on the types generated from the official model
/// (<c>kinesisvideo</c> 2017-09-30).
/// </summary>
/// <remarks>Every method throws <see cref="AwsServiceException"/> or the subclass named after the modelled error
/// (<see cref="AwsResourceNotFoundException"/>, <see cref="AwsResourceInUseException"/>, ...) when the service refuses the call
/// after retries, and <see cref="ArgumentException"/> when a required member is missing.</remarks>
public interface IAmazonKinesisVideo : IDisposable
{
    /// <summary>Creates a stream (CreateStream).</summary>
    /// <param name="request">StreamName is required.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new stream's ARN.</returns>
    Task<CreateStreamResponse> CreateStreamAsync(CreateStreamRequest request, CancellationToken cancellationToken = default);

    /// <summary>Describes one stream (DescribeStream).</summary>
    /// <param name="request">StreamName or StreamARN.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The answer; its StreamInfo is present.</returns>
    Task<DescribeStreamResponse> DescribeStreamAsync(DescribeStreamRequest request, CancellationToken cancellationToken = default);

    /// <summary>Lists one page of streams (ListStreams).</summary>
    /// <param name="request">MaxResults, NextToken and StreamNameCondition, all optional.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page.</returns>
    Task<ListStreamsResponse> ListStreamsAsync(ListStreamsRequest request, CancellationToken cancellationToken = default);

    /// <summary>Deletes a stream and its data (DeleteStream); KVS deletes it asynchronously (status DELETING).</summary>
    /// <param name="request">StreamARN is required.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The (empty) answer.</returns>
    Task<DeleteStreamResponse> DeleteStreamAsync(DeleteStreamRequest request, CancellationToken cancellationToken = default);

    /// <summary>Lists one page of a stream's tags (ListTagsForStream).</summary>
    /// <param name="request">StreamName or StreamARN, and NextToken.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page.</returns>
    Task<ListTagsForStreamResponse> ListTagsForStreamAsync(ListTagsForStreamRequest request, CancellationToken cancellationToken = default);

    /// <summary>Gets the data endpoint of one stream and API (GetDataEndpoint).</summary>
    /// <param name="request">APIName (<see cref="KvsApiName"/>) and StreamName or StreamARN.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The answer; its DataEndpoint is an absolute URL.</returns>
    Task<GetDataEndpointResponse> GetDataEndpointAsync(GetDataEndpointRequest request, CancellationToken cancellationToken = default);

    /// <summary>Creates a signaling channel (CreateSignalingChannel).</summary>
    /// <param name="request">ChannelName is required.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The channel ARN.</returns>
    Task<CreateSignalingChannelResponse> CreateSignalingChannelAsync(CreateSignalingChannelRequest request, CancellationToken cancellationToken = default);

    /// <summary>Describes a signaling channel (DescribeSignalingChannel).</summary>
    /// <param name="request">ChannelName or ChannelARN.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The answer; its ChannelInfo is present.</returns>
    Task<DescribeSignalingChannelResponse> DescribeSignalingChannelAsync(DescribeSignalingChannelRequest request, CancellationToken cancellationToken = default);

    /// <summary>Deletes a signaling channel (DeleteSignalingChannel); its connections are closed.</summary>
    /// <param name="request">ChannelARN is required.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The (empty) answer.</returns>
    Task<DeleteSignalingChannelResponse> DeleteSignalingChannelAsync(DeleteSignalingChannelRequest request, CancellationToken cancellationToken = default);

    /// <summary>Gets the endpoints of a signaling channel for one role (GetSignalingChannelEndpoint).</summary>
    /// <param name="request">ChannelARN and SingleMasterChannelEndpointConfiguration (protocols <see cref="KvsChannelProtocol"/>, role <see cref="KvsChannelRole"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One endpoint per protocol.</returns>
    Task<GetSignalingChannelEndpointResponse> GetSignalingChannelEndpointAsync(GetSignalingChannelEndpointRequest request, CancellationToken cancellationToken = default);

    /// <summary>Links a signaling channel to a stream for WebRTC ingestion, or unlinks it (UpdateMediaStorageConfiguration).</summary>
    /// <param name="request">ChannelARN and MediaStorageConfiguration.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The (empty) answer.</returns>
    Task<UpdateMediaStorageConfigurationResponse> UpdateMediaStorageConfigurationAsync(UpdateMediaStorageConfigurationRequest request, CancellationToken cancellationToken = default);

    /// <summary>Reads where a signaling channel stores its media (DescribeMediaStorageConfiguration).</summary>
    /// <param name="request">ChannelName or ChannelARN.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The answer (MediaStorageConfiguration null or DISABLED when none was set).</returns>
    Task<DescribeMediaStorageConfigurationResponse> DescribeMediaStorageConfigurationAsync(DescribeMediaStorageConfigurationRequest request, CancellationToken cancellationToken = default);
}
