using System.Collections.Concurrent;
using System.Security.Cryptography;
using KvsInference.LocalKvs.Storage;
using KvsInference.LocalKvs.Signaling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvsInference.Meeting;

/// <summary>One meeting: its signaling channel, its KVS stream and the tokens that open them.</summary>
/// <param name="Id">The meeting id (URL-safe).</param>
/// <param name="ChannelArn">The signaling channel.</param>
/// <param name="StreamName">The KVS stream the master's audio goes to.</param>
/// <param name="MasterToken">Opens the channel as master, the ingest and the records of the meeting.</param>
/// <param name="ViewerToken">Opens the channel as a viewer (any client id).</param>
/// <param name="Video">Whether the master sends the avatar as a video track.</param>
/// <param name="JoinCode">The short code of the join link (<see cref="JoinCodes"/>), which gives a viewer the viewer token.</param>
public sealed record MeetingInfo(string Id, string ChannelArn, string StreamName, string MasterToken, string ViewerToken, bool Video, string JoinCode);

/// <summary>What a meeting's pages poll: who is connected.</summary>
/// <param name="Id">The meeting id.</param>
/// <param name="Viewers">The viewers connected to the signaling channel, or null where the server cannot know (AWS mode).</param>
/// <param name="MaxViewers">How many viewers the channel takes.</param>
/// <param name="MasterConnected">Whether the master is connected, or null where the server cannot know (AWS mode).</param>
public sealed record MeetingStatus(string Id, int? Viewers, int MaxViewers, bool? MasterConnected);

/// <summary>
/// Meetings on the local KVS stand-in (<see cref="MeetingMode.Local"/>): a signaling channel on the
/// <see cref="SignalingServer"/>, a stream in the local media store (named <see cref="MeetingOptions.StreamPrefix"/> + id,
/// so that the workers discover it), and the meeting tokens. A meeting ends, freeing its slot of
/// <see cref="MeetingOptions.MaxMeetings"/>, when its master ends it (<see cref="EndAsync"/>) or when it has had no
/// connection for <see cref="MeetingOptions.IdleTimeout"/>.
/// </summary>
public sealed class LocalMeetingService : IMeetingService
{
    private readonly ConcurrentDictionary<string, Entry> _byStream = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Entry> _byId = new(StringComparer.Ordinal);
    private readonly Lock _createGate = new();
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ITimer _sweeper;

    /// <summary>Creates the service.</summary>
    /// <param name="options">The settings (validated here).</param>
    /// <param name="signaling">The signaling server the page connects to.</param>
    /// <param name="store">The local media store the master's audio is written to.</param>
    /// <param name="records">The broadcaster the worker's sink is wrapped in.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <param name="time">The clock of idle expiry; null for the system clock.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public LocalMeetingService(MeetingOptions options, SignalingServer signaling, MediaStore store, RecordBroadcaster records, ILogger<LocalMeetingService>? logger = null,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Signaling = signaling ?? throw new ArgumentNullException(nameof(signaling));
        Store = store ?? throw new ArgumentNullException(nameof(store));
        Records = records ?? throw new ArgumentNullException(nameof(records));
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        // A few checks per idle timeout: a meeting ends between 1 and 1.25 idle timeouts after its last connection left.
        var period = options.IdleTimeout / 4;
        _sweeper = _time.CreateTimer(_ => SweepIdle(), null, period, period);
    }

    /// <summary>Gets the settings.</summary>
    public MeetingOptions Options { get; }

    /// <summary>Gets the signaling server.</summary>
    public SignalingServer Signaling { get; }

    /// <summary>Gets the media store.</summary>
    public MediaStore Store { get; }

    /// <summary>Gets the record broadcaster.</summary>
    public RecordBroadcaster Records { get; }

    /// <summary>Gets the number of meetings that exist.</summary>
    public int Count => _byId.Count;

    /// <summary>Gets the join codes of the meetings.</summary>
    public JoinCodes Codes { get; } = new();

    /// <summary>Creates a meeting.</summary>
    /// <param name="video">Whether the master sends the avatar video track.</param>
    /// <returns>The meeting.</returns>
    /// <exception cref="MeetingRequestException">There are already <see cref="MeetingOptions.MaxMeetings"/> meetings (429).</exception>
    public MeetingInfo Create(bool video)
    {
        Entry entry;
        lock (_createGate)
        {
            if (_byId.Count >= Options.MaxMeetings)
            {
                throw new MeetingRequestException(429, $"There are already {_byId.Count} meetings (MeetingOptions.MaxMeetings); one ends when its master ends it or after {Options.IdleTimeout} without connections.");
            }
            var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
            var channel = Signaling.CreateChannel("meeting-" + id);
            var streamName = Options.StreamPrefix + id;
            // Created now, before any audio, so that the workers have discovered it when the first fragment arrives.
            Store.CreateStream(streamName, Options.StreamRetentionHours);
            var viewerToken = Signaling.Tokens.Issue(channel.Arn, SignalingRole.Viewer, null, Options.TokenLifetime);
            var code = Codes.Issue(new JoinGrant("local", id, channel.Arn, viewerToken, Options.SignalingPath, video));
            var meeting = new MeetingInfo(id, channel.Arn, streamName,
                Signaling.Tokens.Issue(channel.Arn, SignalingRole.Master, null, Options.TokenLifetime),
                viewerToken, video, code);
            entry = new Entry(meeting, channel, _time);
            _byStream[streamName] = entry;
            _byId[id] = entry;
        }
        _logger.LogInformation("meeting {Id}: channel {Arn}, stream {Stream}", entry.Info.Id, entry.Info.ChannelArn, entry.Info.StreamName);
        return entry.Info;
    }

    /// <summary>Finds a meeting by id.</summary>
    /// <param name="id">The meeting id.</param>
    /// <returns>The meeting, or null when there is none (never was, or ended).</returns>
    public MeetingInfo? Find(string id) => _byId.GetValueOrDefault(id)?.Info;

    /// <summary>Ends a meeting at its master's request: every signaling connection gets GO_AWAY, the channel and the
    /// stream are deleted, and the slot is free.</summary>
    /// <param name="id">The meeting id.</param>
    /// <param name="masterToken">The meeting's master token.</param>
    /// <returns>A task that completes when the meeting is gone.</returns>
    /// <exception cref="MeetingRequestException">There is no such meeting (404), or the token is not its master token (403).</exception>
    public async Task EndAsync(string? id, string? masterToken)
    {
        if (id is null || !_byId.TryGetValue(id, out var entry)) throw new MeetingRequestException(404, $"Ending the meeting refused: there is no meeting '{id}'.");
        if (string.IsNullOrEmpty(masterToken)) throw new MeetingRequestException(403, "Ending the meeting refused: the meeting's master token is missing (Authorization: Bearer).");
        var problem = Signaling.Tokens.Validate(masterToken, entry.Info.ChannelArn, SignalingRole.Master, null);
        if (problem is not null) throw new MeetingRequestException(403, "Ending the meeting refused: " + problem + ".");
        await RemoveAsync(entry, "ended by its master");
    }

    /// <summary>Tells who is connected to a meeting.</summary>
    /// <param name="id">The meeting id.</param>
    /// <param name="token">A master or viewer token of the meeting.</param>
    /// <returns>The status.</returns>
    /// <exception cref="MeetingRequestException">The meeting ended (410), is unknown (404), or the token does not open it (403).</exception>
    public MeetingStatus GetStatus(string? id, string? token)
    {
        if (id is null || !_byId.TryGetValue(id, out var entry))
        {
            throw id is not null && Codes.HasEnded(id) ? new MeetingRequestException(410, "The meeting has ended.") : new MeetingRequestException(404, $"There is no meeting '{id}'.");
        }
        if (string.IsNullOrEmpty(token)) throw new MeetingRequestException(403, "A meeting token is missing (Authorization: Bearer).");
        var problem = Signaling.Tokens.ValidateForChannel(token, entry.Info.ChannelArn);
        if (problem is not null) throw new MeetingRequestException(403, problem[..1].ToUpperInvariant() + problem[1..] + ".");
        return new MeetingStatus(id, entry.Channel.ViewerCount, Signaling.Options.MaxViewersPerChannel, entry.Channel.HasMaster);
    }

    /// <summary>Marks a meeting as in use (an ingest or a records stream) until the result is disposed, so that it does
    /// not expire meanwhile.</summary>
    /// <param name="meeting">The meeting.</param>
    /// <returns>Dispose when the use ends.</returns>
    public IDisposable Use(MeetingInfo meeting)
    {
        ArgumentNullException.ThrowIfNull(meeting);
        return _byId.GetValueOrDefault(meeting.Id)?.Activity.Use() ?? NoMeetingUse.Instance;
    }

    /// <inheritdoc/>
    Task<MeetingCreated> IMeetingService.CreateAsync(bool video, CancellationToken cancellationToken)
    {
        var m = Create(video);
        return Task.FromResult(new MeetingCreated("local", m.Id, m.ChannelArn, m.StreamName, m.MasterToken, m.ViewerToken, m.Video, m.JoinCode,
            MeetingEndpointExtensions.JoinPath(m.JoinCode), Options.SignalingPath, null));
    }

    /// <inheritdoc/>
    IDisposable IMeetingService.WatchRecords(string? streamName, string? token) =>
        Use(Authorize(streamName, token, null, out var why) ?? throw new MeetingRequestException(403, "Records refused: " + why + "."));

    /// <summary>Stops the idle sweep.</summary>
    public void Dispose() => _sweeper.Dispose();

    /// <summary>Ends the meetings that have had no connection for <see cref="MeetingOptions.IdleTimeout"/>.</summary>
    internal void SweepIdle()
    {
        foreach (var entry in _byId.Values)
        {
            if (entry.Activity.IsIdle(Options.IdleTimeout, connected: entry.Channel.HasMaster || entry.Channel.ViewerCount > 0))
            {
                _ = RemoveAsync(entry, $"no connection for {Options.IdleTimeout}");
            }
        }
    }

    private async Task RemoveAsync(Entry entry, string why)
    {
        if (!_byId.TryRemove(new KeyValuePair<string, Entry>(entry.Info.Id, entry))) return;
        _byStream.TryRemove(entry.Info.StreamName, out _);
        Codes.End(entry.Info.Id);
        _logger.LogInformation("meeting {Id} ended: {Why}", entry.Info.Id, why);
        try
        {
            Store.DeleteStream(Store.DescribeStream(entry.Info.StreamName).StreamArn);
        }
        catch (KvsServiceException e)
        {
            _logger.LogWarning("meeting {Id}: deleting stream {Stream} failed: {Message}", entry.Info.Id, entry.Info.StreamName, e.Message);
        }
        await Signaling.DeleteChannelAsync(entry.Info.ChannelArn).ConfigureAwait(false);
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
        if (string.IsNullOrEmpty(streamName) || !_byStream.TryGetValue(streamName, out var entry))
        {
            why = $"no meeting has the stream '{streamName}'";
            return null;
        }
        if (string.IsNullOrEmpty(token))
        {
            why = "the meeting token is missing (query parameter token)";
            return null;
        }
        var meeting = entry.Info;
        var problem = role is { } r ? Signaling.Tokens.Validate(token, meeting.ChannelArn, r, null) : Signaling.Tokens.ValidateForChannel(token, meeting.ChannelArn);
        if (problem is not null)
        {
            why = problem;
            return null;
        }
        return meeting;
    }

    private sealed class Entry(MeetingInfo info, SignalingChannel channel, TimeProvider time)
    {
        public MeetingInfo Info { get; } = info;

        public SignalingChannel Channel { get; } = channel;

        public MeetingActivity Activity { get; } = new(time);
    }
}
