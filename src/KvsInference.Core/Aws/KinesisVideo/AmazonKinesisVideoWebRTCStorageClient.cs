using KvsInference.Aws.Generated;
using KvsInference.Aws.Generated.KinesisVideoWebRTCStorage;
using Microsoft.Extensions.Logging;

namespace KvsInference.Aws.KinesisVideo;

/// <summary>
/// The KVS WebRTC storage operations this project uses, shaped like aws-sdk-net's
/// <c>Amazon.KinesisVideoWebRTCStorage.IAmazonKinesisVideoWebRTCStorage</c> (<c>kinesis-video-webrtc-storage</c> 2018-05-10).
/// </summary>
public interface IAmazonKinesisVideoWebRTCStorage : IDisposable
{
    /// <summary>
    /// Asks the channel's storage session to send the connected master an SDP offer, starting WebRTC ingestion into the
    /// linked stream (JoinStorageSession). Not idempotent: each successful call sends one offer.
    /// </summary>
    /// <param name="request">ChannelArn (media storage enabled, master connected).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The (empty) answer.</returns>
    Task<JoinStorageSessionResponse> JoinStorageSessionAsync(JoinStorageSessionRequest request, CancellationToken cancellationToken = default);
}

/// <summary>A client of one signaling channel's WEBRTC endpoint (from GetSignalingChannelEndpoint).</summary>
public sealed class AmazonKinesisVideoWebRTCStorageClient : AwsServiceClient, IAmazonKinesisVideoWebRTCStorage
{
    /// <summary>Creates the client for one WEBRTC endpoint.</summary>
    /// <param name="options">The settings (region, credentials, retries, transport); their ServiceUrl is not used.</param>
    /// <param name="webRtcEndpoint">The channel's WEBRTC endpoint.</param>
    /// <param name="timeProvider">The clock for retries and timeouts, or null for the system clock.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <exception cref="ArgumentException">The endpoint is not an absolute http(s) URL.</exception>
    public AmazonKinesisVideoWebRTCStorageClient(AwsClientOptions options, Uri webRtcEndpoint, TimeProvider? timeProvider = null, ILogger? logger = null)
        : base(AwsServiceDescriptor.KinesisVideo, options, timeProvider, logger, CheckHttpEndpoint(webRtcEndpoint, nameof(webRtcEndpoint)))
    {
    }

    /// <inheritdoc/>
    public Task<JoinStorageSessionResponse> JoinStorageSessionAsync(JoinStorageSessionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.ChannelArn, nameof(request.ChannelArn));
        var json = KinesisVideoWebRTCStorageModelJsonContext.Default;
        return Pipeline.SendOperationAsync(AwsServiceModels.KinesisVideoWebRTCStorage, "JoinStorageSession", request,
            json.JoinStorageSessionRequest, json.JoinStorageSessionResponse, cancellationToken);
    }
}
