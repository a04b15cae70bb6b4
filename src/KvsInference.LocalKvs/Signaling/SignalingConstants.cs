using KvsInference.Aws.KinesisVideo;

namespace KvsInference.LocalKvs.Signaling;

/// <summary>The defaults of <see cref="SignalingOptions"/>: the limits Amazon KVS documents for its signaling channels.</summary>
internal static class SignalingConstants
{
    /// <summary>ListSignalingChannels' largest MaxResults (the kinesisvideo model's ListSignalingChannelsInputLimit), and its default.</summary>
    public const int MaxListChannelsResults = 10000;

    /// <summary>KVS allows up to 10 viewers per signaling channel.</summary>
    public const int DefaultMaxViewersPerChannel = KinesisVideoConstants.MaxViewersPerSignalingChannel;

    /// <summary>KVS limits the base64 messagePayload to 10 KB.</summary>
    public const int DefaultMaxMessagePayloadChars = 10 * 1024;

    /// <summary>KVS: SendSDPOffer and SendSDPAnswer, 5 transactions per second per connection.</summary>
    public const double DefaultSdpMessagesPerSecond = 5;

    /// <summary>KVS: SendICECandidate, 20 transactions per second per connection.</summary>
    public const double DefaultIceCandidatesPerSecond = 20;

    /// <summary>KVS closes every connection after one hour.</summary>
    public static readonly TimeSpan DefaultMaxConnectionDuration = TimeSpan.FromHours(1);

    /// <summary>KVS closes a connection that sent nothing for ten minutes.</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Time a client gets between GO_AWAY and the close to open its next connection.</summary>
    public static readonly TimeSpan DefaultGoAwayGracePeriod = TimeSpan.FromSeconds(1);

    /// <summary>At most one Information line per connection this often about refused messages.</summary>
    public static readonly TimeSpan DefaultRefusalLogInterval = TimeSpan.FromSeconds(10);

    /// <summary>The SDK signs URLs with X-Amz-Expires=299; a clock skew of five minutes is what AWS tolerates.</summary>
    public static readonly TimeSpan DefaultAllowedClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>The region in generated ARNs and the one SigV4 signatures must be scoped to.</summary>
    public const string DefaultRegion = "us-west-2";

    /// <summary>The account id in generated channel ARNs (the 12-digit example account AWS documentation uses).</summary>
    public const string DefaultAccountId = "123456789012";

    /// <summary>The SigV4 service name of KVS (control plane and signaling).</summary>
    public const string SigningService = "kinesisvideo";

    /// <summary>The query parameter carrying a meeting token instead of a SigV4 signature.</summary>
    public const string MeetingTokenParameter = "X-KvsInference-Token";

    /// <summary>Messages queued towards one slow client before further ones are refused.</summary>
    public const int OutboundQueueLength = 256;

    /// <summary>KVS ICE server credentials live five minutes (Ttl in seconds).</summary>
    public const int IceServerTtlSeconds = 300;

    /// <summary>KVS's MessageTtlSeconds default for SINGLE_MASTER channels.</summary>
    public const int DefaultMessageTtlSeconds = 60;
}
