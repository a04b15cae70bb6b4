using KvsInference.Aws.Generated;
using KvsInference.Aws.Generated.KinesisVideoSignalingChannels;
using Microsoft.Extensions.Logging;

namespace KvsInference.Aws.KinesisVideo;

/// <summary>
/// The KVS signaling-channel operations this project uses, shaped like aws-sdk-net's
/// <c>Amazon.KinesisVideoSignalingChannels.IAmazonKinesisVideoSignalingChannels</c> (<c>kinesis-video-signaling</c> 2019-12-04).
/// </summary>
public interface IAmazonKinesisVideoSignalingChannels : IDisposable
{
    /// <summary>Gets the TURN servers of a channel with short-lived credentials (GetIceServerConfig).</summary>
    /// <param name="request">ChannelARN; ClientId for a viewer; Service (TURN, the default).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The answer (IceServerList is never null).</returns>
    Task<GetIceServerConfigResponse> GetIceServerConfigAsync(GetIceServerConfigRequest request, CancellationToken cancellationToken = default);
}

/// <summary>A client of one signaling channel's HTTPS endpoint (from GetSignalingChannelEndpoint).</summary>
public sealed class AmazonKinesisVideoSignalingChannelsClient : AwsServiceClient, IAmazonKinesisVideoSignalingChannels
{
    /// <summary>Creates the client for one HTTPS endpoint.</summary>
    /// <param name="options">The settings (region, credentials, retries, transport); their ServiceUrl is not used.</param>
    /// <param name="httpsEndpoint">The channel's HTTPS endpoint.</param>
    /// <param name="timeProvider">The clock for retries and timeouts, or null for the system clock.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <exception cref="ArgumentException">The endpoint is not an absolute http(s) URL.</exception>
    public AmazonKinesisVideoSignalingChannelsClient(AwsClientOptions options, Uri httpsEndpoint, TimeProvider? timeProvider = null, ILogger? logger = null)
        : base(AwsServiceDescriptor.KinesisVideo, options, timeProvider, logger, CheckHttpEndpoint(httpsEndpoint, nameof(httpsEndpoint)))
    {
    }

    /// <inheritdoc/>
    public async Task<GetIceServerConfigResponse> GetIceServerConfigAsync(GetIceServerConfigRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.ChannelARN, nameof(request.ChannelARN));
        var json = KinesisVideoSignalingChannelsModelJsonContext.Default;
        var response = await Pipeline.SendOperationAsync(AwsServiceModels.KinesisVideoSignalingChannels, "GetIceServerConfig", request,
            json.GetIceServerConfigRequest, json.GetIceServerConfigResponse, cancellationToken).ConfigureAwait(false);
        response.IceServerList ??= [];
        return response;
    }
}
