using System.ComponentModel.DataAnnotations;
using KvsInference.Validation;

namespace KvsInference.LocalKvs.Signaling;

/// <summary>Settings of the KVS-compatible signaling server: limits, authentication and the endpoints it advertises.</summary>
public sealed class SignalingOptions
{
    /// <summary>Gets or sets how many viewers may be connected to one channel at once.</summary>
    /// <value>The default value is 10 (the KVS limit).</value>
    [Range(1, 1000)]
    public int MaxViewersPerChannel { get; set; } = SignalingConstants.DefaultMaxViewersPerChannel;

    /// <summary>Gets or sets the largest accepted messagePayload, in base64 characters.</summary>
    /// <value>The default value is 10240 (10 KB, the KVS limit).</value>
    [Range(16, 1024 * 1024)]
    public int MaxMessagePayloadChars { get; set; } = SignalingConstants.DefaultMaxMessagePayloadChars;

    /// <summary>Gets or sets the sustained rate of SDP_OFFER and of SDP_ANSWER messages per connection (each its own bucket).</summary>
    /// <value>The default value is 5 (the KVS limit).</value>
    [Range(0.01, 10_000)]
    public double SdpMessagesPerSecond { get; set; } = SignalingConstants.DefaultSdpMessagesPerSecond;

    /// <summary>Gets or sets the sustained rate of ICE_CANDIDATE messages per connection.</summary>
    /// <value>The default value is 20 (the KVS limit).</value>
    [Range(0.01, 10_000)]
    public double IceCandidatesPerSecond { get; set; } = SignalingConstants.DefaultIceCandidatesPerSecond;

    /// <summary>Gets or sets how long any connection may live; GO_AWAY is sent, then the socket is closed.</summary>
    /// <value>The default value is one hour.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "7.00:00:00")]
    public TimeSpan MaxConnectionDuration { get; set; } = SignalingConstants.DefaultMaxConnectionDuration;

    /// <summary>Gets or sets how long a connection may stay without sending a message before it is closed (after GO_AWAY).</summary>
    /// <value>The default value is ten minutes.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan IdleTimeout { get; set; } = SignalingConstants.DefaultIdleTimeout;

    /// <summary>Gets or sets how long a connection stays open after GO_AWAY before the server closes it, so that the
    /// client can open its next connection first.</summary>
    /// <value>The default value is one second.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan GoAwayGracePeriod { get; set; } = SignalingConstants.DefaultGoAwayGracePeriod;

    /// <summary>Gets or sets how often at most a connection's refused messages are logged at Information (with their
    /// count); each one is logged at Debug. A flood of bad frames therefore cannot flood the log.</summary>
    /// <value>The default value is ten seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RefusalLogInterval { get; set; } = SignalingConstants.DefaultRefusalLogInterval;

    /// <summary>Gets or sets the region of generated ARNs and of accepted SigV4 signatures.</summary>
    /// <value>The default value is us-west-2.</value>
    [Required]
    public string Region { get; set; } = SignalingConstants.DefaultRegion;

    /// <summary>Gets or sets the account id used in generated channel ARNs.</summary>
    /// <value>The default value is 123456789012.</value>
    [Required]
    [RegularExpression("^[0-9]{12}$")]
    public string AccountId { get; set; } = SignalingConstants.DefaultAccountId;

    /// <summary>Gets the access keys whose SigV4 signatures are accepted (access key id -> secret access key).</summary>
    /// <value>Empty by default: no SigV4 signature is then accepted.</value>
    public Dictionary<string, string> Credentials { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets or sets the key meeting tokens are signed with (HMAC-SHA256).</summary>
    /// <value>By default a random 32-byte key made at start-up: tokens then live as long as the process.</value>
    [Required]
    public byte[] MeetingTokenKey { get; set; } = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

    /// <summary>Gets or sets whether connections and API calls without any credentials are accepted (loopback development only).</summary>
    /// <value>The default value is false.</value>
    public bool AllowAnonymous { get; set; }

    /// <summary>Gets or sets the tolerated difference between a signature's X-Amz-Date and this server's clock.</summary>
    /// <value>The default value is five minutes.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan AllowedClockSkew { get; set; } = SignalingConstants.DefaultAllowedClockSkew;

    /// <summary>Gets or sets the WSS endpoint GetSignalingChannelEndpoint advertises (for example wss://127.0.0.1:8443).</summary>
    /// <value>By default derived from the request: wss:// when it came over HTTPS, ws:// otherwise.</value>
    public Uri? WssEndpoint { get; set; }

    /// <summary>Gets or sets the HTTPS endpoint GetSignalingChannelEndpoint advertises (where GetIceServerConfig is served).</summary>
    /// <value>By default derived from the request.</value>
    public Uri? HttpsEndpoint { get; set; }

    /// <summary>Gets the ICE servers GetIceServerConfig returns (TURN for real use; on loopback none are needed).</summary>
    /// <value>Empty by default.</value>
    public List<IceServer> IceServers { get; } = [];

    /// <summary>Validates the options and throws one exception listing every problem.</summary>
    /// <exception cref="ValidationException">A value is out of range or missing.</exception>
    public void Validate() => OptionsValidator.Validate(this, Rules());

    private IEnumerable<ValidationResult> Rules()
    {
        if (MeetingTokenKey is { Length: < 16 })
        {
            yield return OptionsValidator.Error(nameof(MeetingTokenKey), "MeetingTokenKey must be at least 16 bytes long.");
        }
        foreach (var (id, secret) in Credentials)
        {
            if (string.IsNullOrWhiteSpace(id) || string.IsNullOrEmpty(secret))
            {
                yield return OptionsValidator.Error(nameof(Credentials), "Credentials must have a non-empty access key id and secret.");
            }
        }
        foreach (var server in IceServers)
        {
            if (server.Uris.Count == 0)
            {
                yield return OptionsValidator.Error(nameof(IceServers), "Every ICE server needs at least one URI.");
            }
        }
    }
}

/// <summary>One entry of GetIceServerConfig's IceServerList (a STUN or TURN server).</summary>
/// <param name="Uris">The stun:/turn:/turns: URIs.</param>
/// <param name="Username">The TURN user name, or null for STUN.</param>
/// <param name="Password">The TURN password, or null for STUN.</param>
public sealed record IceServer(IReadOnlyList<string> Uris, string? Username = null, string? Password = null);
