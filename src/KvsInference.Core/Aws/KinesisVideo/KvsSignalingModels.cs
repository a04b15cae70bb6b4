namespace KvsInference.Aws.KinesisVideo;

/// <summary>The roles GetSignalingChannelEndpoint takes (<c>SingleMasterChannelEndpointConfiguration.Role</c>).</summary>
public static class KvsChannelRole
{
    /// <summary>The channel's master: receives offers from viewers (and from the storage session) and answers them.</summary>
    public const string Master = "MASTER";
    /// <summary>A viewer: sends offers to the master.</summary>
    public const string Viewer = "VIEWER";
}

/// <summary>The protocols GetSignalingChannelEndpoint takes (<c>SingleMasterChannelEndpointConfiguration.Protocols</c>).</summary>
public static class KvsChannelProtocol
{
    /// <summary>The signaling WebSocket endpoint.</summary>
    public const string Wss = "WSS";
    /// <summary>The HTTPS endpoint (GetIceServerConfig).</summary>
    public const string Https = "HTTPS";
    /// <summary>The WebRTC storage endpoint (JoinStorageSession); only for channels with media storage enabled.</summary>
    public const string WebRtc = "WEBRTC";
}
