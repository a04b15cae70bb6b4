using System.Text.Json.Serialization;

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

/// <summary>A tag of a signaling channel (CreateSignalingChannel takes a list of them).</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The value.</param>
public sealed record KvsTag([property: JsonPropertyName("Key")] string Key, [property: JsonPropertyName("Value")] string Value);

/// <summary>The settings of a <c>SINGLE_MASTER</c> channel.</summary>
public sealed class KvsSingleMasterConfiguration
{
    /// <summary>Gets how long KVS keeps a viewer's message while no master is connected, 5-120 s.</summary>
    public int? MessageTtlSeconds { get; init; }
}

/// <summary>CreateSignalingChannel parameters.</summary>
public sealed class KvsCreateSignalingChannelRequest
{
    /// <summary>Gets the channel name (1-256 of [a-zA-Z0-9_.-]).</summary>
    public required string ChannelName { get; init; }
    /// <summary>Gets the channel type.</summary>
    /// <value>The default value is <c>SINGLE_MASTER</c>.</value>
    public string ChannelType { get; init; } = "SINGLE_MASTER";
    /// <summary>Gets the single-master settings, or null for the defaults.</summary>
    public KvsSingleMasterConfiguration? SingleMasterConfiguration { get; init; }
    /// <summary>Gets the tags, or null.</summary>
    public IReadOnlyList<KvsTag>? Tags { get; init; }
}

/// <summary>A signaling channel as DescribeSignalingChannel describes it (<c>ChannelInfo</c>).</summary>
public sealed class KvsSignalingChannelDescription
{
    /// <summary>Gets the name.</summary>
    public string ChannelName { get; init; } = "";
    /// <summary>Gets the ARN.</summary>
    [JsonPropertyName("ChannelARN")] public string ChannelArn { get; init; } = "";
    /// <summary>Gets <c>SINGLE_MASTER</c> or <c>FULL_MESH</c>.</summary>
    public string? ChannelType { get; init; }
    /// <summary>Gets CREATING, ACTIVE, UPDATING or DELETING.</summary>
    public string ChannelStatus { get; init; } = "";
    /// <summary>Gets the creation time.</summary>
    [JsonConverter(typeof(AwsEpochSecondsConverter))] public DateTimeOffset? CreationTime { get; init; }
    /// <summary>Gets the single-master settings.</summary>
    public KvsSingleMasterConfiguration? SingleMasterConfiguration { get; init; }
    /// <summary>Gets the version.</summary>
    public string? Version { get; init; }
}

/// <summary>One entry of GetSignalingChannelEndpoint's <c>ResourceEndpointList</c>.</summary>
public sealed class KvsResourceEndpoint
{
    /// <summary>Gets WSS, HTTPS or WEBRTC.</summary>
    public string Protocol { get; init; } = "";
    /// <summary>Gets the endpoint URL, e.g. <c>wss://v-1a2b3c4d.kinesisvideo.us-west-2.amazonaws.com</c>.</summary>
    public string ResourceEndpoint { get; init; } = "";
}

/// <summary>One entry of GetIceServerConfig's <c>IceServerList</c> (TURN servers with short-lived credentials).</summary>
public sealed class KvsIceServer
{
    /// <summary>Gets the turn:/turns: URIs.</summary>
    public IReadOnlyList<string> Uris { get; init; } = [];
    /// <summary>Gets the TURN user name.</summary>
    public string? Username { get; init; }
    /// <summary>Gets the TURN password.</summary>
    public string? Password { get; init; }
    /// <summary>Gets how long the credentials are valid, in seconds.</summary>
    public int? Ttl { get; init; }
}

/// <summary>Where a signaling channel stores its media (DescribeMediaStorageConfiguration, UpdateMediaStorageConfiguration).</summary>
public sealed class KvsMediaStorageConfiguration
{
    /// <summary>Gets ENABLED or DISABLED.</summary>
    public string Status { get; init; } = "DISABLED";
    /// <summary>Gets the stream the media goes to (with ENABLED).</summary>
    [JsonPropertyName("StreamARN")] public string? StreamArn { get; init; }
    /// <summary>Gets whether WebRTC ingestion into <see cref="StreamArn"/> is on.</summary>
    [JsonIgnore] public bool IsEnabled => Status == "ENABLED";
}

internal sealed class KvsChannelRef
{
    public string? ChannelName { get; init; }
    [JsonPropertyName("ChannelARN")] public string? ChannelArn { get; init; }
}

internal sealed class KvsCreateSignalingChannelOutput
{
    [JsonPropertyName("ChannelARN")] public string? ChannelArn { get; init; }
}

internal sealed class KvsDescribeSignalingChannelOutput
{
    public KvsSignalingChannelDescription? ChannelInfo { get; init; }
}

internal sealed class KvsEndpointConfiguration
{
    public required IReadOnlyList<string> Protocols { get; init; }
    public required string Role { get; init; }
}

internal sealed class KvsGetSignalingChannelEndpointInput
{
    [JsonPropertyName("ChannelARN")] public required string ChannelArn { get; init; }
    public required KvsEndpointConfiguration SingleMasterChannelEndpointConfiguration { get; init; }
}

internal sealed class KvsGetSignalingChannelEndpointOutput
{
    public List<KvsResourceEndpoint>? ResourceEndpointList { get; init; }
}

internal sealed class KvsGetIceServerConfigInput
{
    [JsonPropertyName("ChannelARN")] public required string ChannelArn { get; init; }
    public string? ClientId { get; init; }
    public string Service { get; init; } = "TURN";
}

internal sealed class KvsGetIceServerConfigOutput
{
    public List<KvsIceServer>? IceServerList { get; init; }
}

internal sealed class KvsUpdateMediaStorageConfigurationInput
{
    [JsonPropertyName("ChannelARN")] public required string ChannelArn { get; init; }
    public required KvsMediaStorageConfiguration MediaStorageConfiguration { get; init; }
}

internal sealed class KvsDescribeMediaStorageConfigurationOutput
{
    public KvsMediaStorageConfiguration? MediaStorageConfiguration { get; init; }
}

internal sealed class KvsJoinStorageSessionInput
{
    // The WebRTC storage API is the one KVS API whose member names are camelCase.
    [JsonPropertyName("channelArn")] public required string ChannelArn { get; init; }
}

internal sealed class KvsEmptyOutput;

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KvsChannelRef))]
[JsonSerializable(typeof(KvsCreateSignalingChannelRequest))]
[JsonSerializable(typeof(KvsCreateSignalingChannelOutput))]
[JsonSerializable(typeof(KvsDescribeSignalingChannelOutput))]
[JsonSerializable(typeof(KvsGetSignalingChannelEndpointInput))]
[JsonSerializable(typeof(KvsGetSignalingChannelEndpointOutput))]
[JsonSerializable(typeof(KvsGetIceServerConfigInput))]
[JsonSerializable(typeof(KvsGetIceServerConfigOutput))]
[JsonSerializable(typeof(KvsUpdateMediaStorageConfigurationInput))]
[JsonSerializable(typeof(KvsDescribeMediaStorageConfigurationOutput))]
[JsonSerializable(typeof(KvsJoinStorageSessionInput))]
[JsonSerializable(typeof(KvsEmptyOutput))]
[JsonSerializable(typeof(Generated.KinesisVideo.DeleteSignalingChannelRequest))]
[JsonSerializable(typeof(Generated.KinesisVideo.DeleteSignalingChannelResponse))]
internal sealed partial class KinesisVideoSignalingJsonContext : JsonSerializerContext;
