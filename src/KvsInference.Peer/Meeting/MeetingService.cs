using System.Collections.Concurrent;
using System.Security.Cryptography;
using KvsInference.Peer.Signaling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Store = KvsInference.Peer.MediaStore.MediaStore;

namespace KvsInference.Peer.Meeting;

/// <summary>One meeting: its signaling channel, its KVS stream and the tokens that open them.</summary>
/// <param name="Id">The meeting id (URL-safe).</param>
/// <param name="ChannelArn">The signaling channel.</param>
/// <param name="StreamName">The KVS stream the master's audio goes to.</param>
/// <param name="MasterToken">Opens the channel as master, the ingest and the records of the meeting.</param>
/// <param name="ViewerToken">Opens the channel as a viewer (any client id).</param>
/// <param name="Video">Whether the master sends the avatar as a video track.</param>
public sealed record MeetingInfo(string Id, string ChannelArn, string StreamName, string MasterToken, string ViewerToken, bool Video);

/// <summary>
/// Creates meetings: a signaling channel on the <see cref="SignalingServer"/>, a stream in the local media store
/// (named <see cref="MeetingOptions.StreamPrefix"/> + id, so that the workers discover it), and the meeting tokens.
/// </summary>
public sealed class MeetingService
{
    private readonly ConcurrentDictionary<string, MeetingInfo> _byStream = new(StringComparer.Ordinal);
    private readonly ILogger _logger;

    /// <summary>Creates the service.</summary>
    /// <param name="options">The settings (validated here).</param>
    /// <param name="signaling">The signaling server the page connects to.</param>
    /// <param name="store">The local media store the master's audio is written to.</param>
    /// <param name="records">The broadcaster the worker's sink is wrapped in.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public MeetingService(MeetingOptions options, SignalingServer signaling, Store store, RecordBroadcaster records, ILogger<MeetingService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Signaling = signaling ?? throw new ArgumentNullException(nameof(signaling));
        Store = store ?? throw new ArgumentNullException(nameof(store));
        Records = records ?? throw new ArgumentNullException(nameof(records));
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Gets the settings.</summary>
    public MeetingOptions Options { get; }

    /// <summary>Gets the signaling server.</summary>
    public SignalingServer Signaling { get; }

    /// <summary>Gets the media store.</summary>
    public Store Store { get; }

    /// <summary>Gets the record broadcaster.</summary>
    public RecordBroadcaster Records { get; }

    /// <summary>Creates a meeting.</summary>
    /// <param name="video">Whether the master sends the avatar video track.</param>
    /// <returns>The meeting.</returns>
    /// <exception cref="InvalidOperationException">There are already <see cref="MeetingOptions.MaxMeetings"/> meetings.</exception>
    public MeetingInfo Create(bool video)
    {
        if (_byStream.Count >= Options.MaxMeetings)
        {
            throw new InvalidOperationException($"There are already {_byStream.Count} meetings (MeetingOptions.MaxMeetings).");
        }
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var channel = Signaling.CreateChannel("meeting-" + id);
        var streamName = Options.StreamPrefix + id;
        // Created now, before any audio, so that the workers have discovered it when the first fragment arrives.
        Store.CreateStream(streamName, Options.StreamRetentionHours);
        var meeting = new MeetingInfo(id, channel.Arn, streamName,
            Signaling.Tokens.Issue(channel.Arn, SignalingRole.Master, null, Options.TokenLifetime),
            Signaling.Tokens.Issue(channel.Arn, SignalingRole.Viewer, null, Options.TokenLifetime),
            video);
        _byStream[streamName] = meeting;
        _logger.LogInformation("meeting {Id}: channel {Arn}, stream {Stream}", id, channel.Arn, streamName);
        return meeting;
    }

    /// <summary>Finds the meeting of a stream and checks a token for it.</summary>
    /// <param name="streamName">The meeting's stream.</param>
    /// <param name="token">A meeting token.</param>
    /// <param name="role">The role the token must carry, or null for any role of the meeting.</param>
    /// <param name="why">Why not, when it returns null.</param>
    /// <returns>The meeting, or null when the stream is not a meeting's or the token does not open it.</returns>
    public MeetingInfo? Authorize(string? streamName, string? token, SignalingRole? role, out string why)
    {
        why = "";
        if (string.IsNullOrEmpty(streamName) || !_byStream.TryGetValue(streamName, out var meeting))
        {
            why = $"no meeting has the stream '{streamName}'";
            return null;
        }
        if (string.IsNullOrEmpty(token))
        {
            why = "the meeting token is missing (query parameter token)";
            return null;
        }
        var problem = role is { } r ? Signaling.Tokens.Validate(token, meeting.ChannelArn, r, null) : Signaling.Tokens.ValidateForChannel(token, meeting.ChannelArn);
        if (problem is not null)
        {
            why = problem;
            return null;
        }
        return meeting;
    }
}
