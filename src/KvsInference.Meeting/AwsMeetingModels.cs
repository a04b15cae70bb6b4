namespace KvsInference.Meeting;

/// <summary>One meeting on Amazon KVS: its two signaling channels, its stream and the meeting tokens that open them.</summary>
/// <param name="Id">The meeting id (URL-safe).</param>
/// <param name="ChannelArn">The channel the master and the viewers meet on (peer-to-peer, no storage).</param>
/// <param name="IngestChannelArn">The channel linked to the stream: only the master and the KVS storage session are on it.</param>
/// <param name="StreamName">The KVS stream the master's audio is ingested into (the workers read it).</param>
/// <param name="StreamArn">Its ARN.</param>
/// <param name="MasterToken">Lets the master page get presigned master URLs and ask for the storage session.</param>
/// <param name="ViewerToken">Lets a viewer page get a presigned viewer URL.</param>
/// <param name="Video">Whether the master sends the avatar as a video track to the viewers.</param>
/// <param name="JoinCode">The short code of the join link (<see cref="JoinCodes"/>), which gives a viewer the viewer token.</param>
public sealed record AwsMeetingInfo(string Id, string ChannelArn, string IngestChannelArn, string StreamName, string StreamArn,
    string MasterToken, string ViewerToken, bool Video, string JoinCode);

/// <summary>An ICE server in the browser's <c>RTCIceServer</c> shape.</summary>
/// <param name="Urls">stun:/turn:/turns: URIs.</param>
/// <param name="Username">The TURN user name, or null.</param>
/// <param name="Credential">The TURN password, or null.</param>
public sealed record MeetingIceServer(IReadOnlyList<string> Urls, string? Username, string? Credential);

/// <summary>What a page needs to open one signaling channel: a presigned URL and the channel's ICE servers.</summary>
/// <param name="ChannelArn">The channel.</param>
/// <param name="Url">The presigned wss:// URL, valid for <see cref="MeetingOptions.SignedUrlLifetime"/>.</param>
/// <param name="IceServers">STUN and TURN servers (TURN credentials from GetIceServerConfig).</param>
/// <param name="ClientId">The viewer's client id, or null for the master.</param>
public sealed record MeetingChannelConnection(string ChannelArn, Uri Url, IReadOnlyList<MeetingIceServer> IceServers, string? ClientId);

/// <summary>The signaling connections of one page.</summary>
/// <param name="Role"><c>master</c> or <c>viewer</c>.</param>
/// <param name="Meeting">The meeting channel.</param>
/// <param name="Ingest">For the master, the ingestion channel; null for a viewer.</param>
public sealed record AwsMeetingConnection(string Role, MeetingChannelConnection Meeting, MeetingChannelConnection? Ingest);
