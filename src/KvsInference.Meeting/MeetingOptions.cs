using System.ComponentModel.DataAnnotations;
using KvsInference.Validation;

namespace KvsInference.Meeting;

/// <summary>Defaults of <see cref="MeetingOptions"/>.</summary>
internal static class MeetingConstants
{
    public const string DefaultStreamPrefix = "meeting-";
    public const string DefaultSignalingPath = "/kvs";
    public static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromHours(4);
    public const int DefaultMaxMeetings = 100;
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(10);
    // Always accepted as Host: the loopback names the page is opened at locally.
    public static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "[::1]"];
    public const int DefaultMaxIngestMessageBytes = 1024 * 1024;
    public const int DefaultRecordQueueLength = 256;
    public const int DefaultStreamRetentionHours = 1;
    // The KVS SDKs presign for 299 s; the page connects right after it gets the URL.
    public static readonly TimeSpan DefaultSignedUrlLifetime = TimeSpan.FromSeconds(299);
    public const string IngestChannelSuffix = "-ingest";
    public const string ViewerClientIdPrefix = "kvsi-viewer-";
}

/// <summary>Where a meeting's signaling and media go.</summary>
public enum MeetingMode
{
    /// <summary>This process's KVS-compatible signaling server and local media store (the master page uploads WebM).</summary>
    Local,

    /// <summary>
    /// Amazon KVS: real signaling channels with presigned URLs, and the master's audio ingested through KVS WebRTC
    /// ingestion (UpdateMediaStorageConfiguration + JoinStorageSession) into the meeting's stream.
    /// </summary>
    Aws,
}

/// <summary>Settings of the meeting web app (<see cref="MeetingEndpointExtensions.MapKvsMeeting"/>).</summary>
public sealed class MeetingOptions
{
    /// <summary>Gets or sets where signaling and media go.</summary>
    /// <value>The default value is <see cref="MeetingMode.Local"/>.</value>
    public MeetingMode Mode { get; set; } = MeetingMode.Local;

    /// <summary>Gets or sets how long a presigned signaling URL handed to a page is valid (AWS mode).</summary>
    /// <value>The default value is 299 seconds, as the KVS SDKs sign.</value>
    [Range(typeof(TimeSpan), "00:00:10", "00:05:00")]
    public TimeSpan SignedUrlLifetime { get; set; } = MeetingConstants.DefaultSignedUrlLifetime;

    /// <summary>Gets or sets how long creating a meeting's channels and stream may wait for them to become ACTIVE (AWS mode).</summary>
    /// <value>The default value is 60 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ResourceActiveTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets or sets the prefix of the KVS stream name of each meeting (the worker must discover it); in AWS mode
    /// also of its two signaling channels.</summary>
    /// <value>The default value is <c>meeting-</c>.</value>
    [Required, RegularExpression("^[a-zA-Z0-9_.-]{0,200}$")]
    public string StreamPrefix { get; set; } = MeetingConstants.DefaultStreamPrefix;

    /// <summary>Gets or sets the path the signaling server is mapped at (<c>MapKvsSignaling</c>), as the page connects to it.</summary>
    /// <value>The default value is <c>/kvs</c>.</value>
    [Required]
    public string SignalingPath { get; set; } = MeetingConstants.DefaultSignalingPath;

    /// <summary>Gets or sets how long the master and viewer tokens of a new meeting are valid.</summary>
    /// <value>The default value is 4 hours.</value>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan TokenLifetime { get; set; } = MeetingConstants.DefaultTokenLifetime;

    /// <summary>Gets or sets how many meetings may exist at once (each holds a signaling channel and a stream).</summary>
    /// <value>The default value is 100.</value>
    [Range(1, 100_000)]
    public int MaxMeetings { get; set; } = MeetingConstants.DefaultMaxMeetings;

    /// <summary>Gets or sets how long a meeting may go unused before it ends and frees its slot. Local mode: no master or
    /// viewer on its channel, no ingest, no records stream. AWS mode (the pages' signaling goes to KVS directly): no
    /// records stream and no call of the meeting API; its KVS channels and stream are deleted.</summary>
    /// <value>The default value is 10 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan IdleTimeout { get; set; } = MeetingConstants.DefaultIdleTimeout;

    /// <summary>Gets the host names (without port) the meeting app answers to besides localhost, 127.0.0.1 and [::1]; a
    /// request with any other Host header gets 421, so that a DNS-rebinding page cannot read the API's answers.</summary>
    /// <value>Empty by default: loopback only.</value>
    public List<string> AllowedHosts { get; } = [];

    /// <summary>Tells whether a Host header's name is one the meeting app answers to.</summary>
    /// <param name="host">The host name of the request (no port; IPv6 in brackets).</param>
    /// <returns>True for the loopback names and <see cref="AllowedHosts"/> (case-insensitive).</returns>
    public bool IsAllowedHost(string? host) =>
        !string.IsNullOrEmpty(host)
        && (MeetingConstants.LoopbackHosts.Contains(host, StringComparer.OrdinalIgnoreCase) || AllowedHosts.Contains(host, StringComparer.OrdinalIgnoreCase));

    /// <summary>Gets or sets the largest WebSocket message the ingest accepts (one MediaRecorder chunk).</summary>
    /// <value>The default value is 1 MiB.</value>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxIngestMessageBytes { get; set; } = MeetingConstants.DefaultMaxIngestMessageBytes;

    /// <summary>Gets or sets how many records wait for a slow page before the oldest are dropped (the avatar is live).</summary>
    /// <value>The default value is 256.</value>
    [Range(1, 100_000)]
    public int RecordQueueLength { get; set; } = MeetingConstants.DefaultRecordQueueLength;

    /// <summary>Gets or sets the data retention of the meetings' streams.</summary>
    /// <value>The default value is 1 hour.</value>
    [Range(0, 87_600)]
    public int StreamRetentionHours { get; set; } = MeetingConstants.DefaultStreamRetentionHours;

    /// <summary>
    /// Gets or sets the 3D avatar the page shows: a path to a .vrm or .glb file (served at <c>/meeting/avatar/configured</c>)
    /// or an http(s) URL the page loads itself (the server must allow CORS). Empty: the generated default head.
    /// </summary>
    /// <value>The default value is null: the default head.</value>
    public string? Avatar { get; set; }

    /// <summary>
    /// Gets or sets the folder holding the page's 3D libraries (three.js and @pixiv/three-vrm module files, as the build
    /// copies them from Meeting/vendor/node_modules), served under <c>/meeting/vendor/</c>. When it is missing the page says
    /// so and draws the 2D face.
    /// </summary>
    /// <value>The default value is <c>meeting-vendor</c> next to the application.</value>
    public string AvatarLibraryDirectory { get; set; } = AvatarAssets.DefaultLibraryDirectory;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ValidationException">Some values are out of range; the message lists every one.</exception>
    public void Validate() => OptionsValidator.Validate(this, AvatarAssets.Check(Avatar, nameof(Avatar)) is { } avatar ? [avatar] : null);
}
