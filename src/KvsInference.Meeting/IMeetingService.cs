namespace KvsInference.Meeting;

/// <summary>
/// The meetings of one <see cref="MeetingMode"/>, as the meeting API serves them: <see cref="LocalMeetingService"/> on the
/// local KVS stand-in, <see cref="AwsMeetingService"/> on Amazon KVS. <see cref="MeetingEndpointExtensions.MapKvsMeeting"/>
/// maps the routes both have (create, status, end, records, join links) on this interface, and each mode's own routes
/// (local: the WebM ingest socket; AWS: presigned signaling URLs and the storage session) beside them.
/// </summary>
/// <remarks>Every refusal is a <see cref="MeetingRequestException"/> whose status the API answers with.</remarks>
public interface IMeetingService : IDisposable
{
    /// <summary>Gets the settings.</summary>
    MeetingOptions Options { get; }

    /// <summary>Gets the records the pages watch.</summary>
    RecordBroadcaster Records { get; }

    /// <summary>Gets the join codes of the meetings.</summary>
    JoinCodes Codes { get; }

    /// <summary>Creates a meeting.</summary>
    /// <param name="video">Whether the master sends the avatar as a video track.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>What the master page needs.</returns>
    /// <exception cref="MeetingRequestException">There are already <see cref="MeetingOptions.MaxMeetings"/> meetings (429).</exception>
    Task<MeetingCreated> CreateAsync(bool video, CancellationToken cancellationToken);

    /// <summary>Tells a page whether its meeting exists and who is connected, where the mode can know.</summary>
    /// <param name="meetingId">The meeting.</param>
    /// <param name="token">A master or viewer token of the meeting.</param>
    /// <returns>The status.</returns>
    /// <exception cref="MeetingRequestException">The meeting ended (410), is unknown (404), or the token does not open it (403).</exception>
    MeetingStatus GetStatus(string? meetingId, string? token);

    /// <summary>Ends a meeting at its master's request, deleting what it made, and frees its slot.</summary>
    /// <param name="meetingId">The meeting.</param>
    /// <param name="token">The master token.</param>
    /// <returns>A task that completes when the meeting's resources are deleted.</returns>
    /// <exception cref="MeetingRequestException">Unknown meeting (404) or not the master token (403).</exception>
    Task EndAsync(string? meetingId, string? token);

    /// <summary>Opens the records of a meeting's stream for a page, keeping the meeting in use until the result is disposed.</summary>
    /// <param name="streamName">The meeting's stream.</param>
    /// <param name="token">Any token of the meeting.</param>
    /// <returns>Dispose when the page stops watching.</returns>
    /// <exception cref="MeetingRequestException">The stream is no meeting's or the token does not open it (403).</exception>
    IDisposable WatchRecords(string? streamName, string? token);
}

/// <summary>What creating a meeting answers to the master page.</summary>
/// <param name="Mode"><c>local</c> or <c>aws</c>.</param>
/// <param name="Id">The meeting id.</param>
/// <param name="ChannelArn">The signaling channel the master and the viewers meet on.</param>
/// <param name="StreamName">The KVS stream the master's audio goes to.</param>
/// <param name="MasterToken">The master's meeting token.</param>
/// <param name="ViewerToken">The viewers' meeting token.</param>
/// <param name="Video">Whether the master sends the avatar video track.</param>
/// <param name="JoinCode">The short code of the join link.</param>
/// <param name="JoinPath">The join link, relative to the page.</param>
/// <param name="SignalingPath">Local mode: the signaling server's path on this host; null in AWS mode.</param>
/// <param name="IngestChannelArn">AWS mode: the channel linked to the stream (WebRTC ingestion); null in local mode.</param>
public sealed record MeetingCreated(string Mode, string Id, string ChannelArn, string StreamName, string MasterToken, string ViewerToken,
    bool Video, string JoinCode, string JoinPath, string? SignalingPath, string? IngestChannelArn);

/// <summary>A meeting request the service will not serve: an unknown or ended meeting, a refused token, too many meetings.</summary>
public sealed class MeetingRequestException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="status">403 for a refused token, 404 for an unknown meeting, 410 for an ended one, 429 for too many meetings.</param>
    /// <param name="message">Why, as a sentence the page can show.</param>
    public MeetingRequestException(int status, string message) : base(message) => Status = status;

    /// <summary>Gets the HTTP status to answer.</summary>
    public int Status { get; }

    /// <summary>Gets the error type the API sends in <c>x-amzn-ErrorType</c>, in the style of the KVS APIs.</summary>
    public string ErrorType => Status switch
    {
        404 => "ResourceNotFoundException",
        410 => "MeetingEndedException",
        429 => "ClientLimitExceededException",
        _ => "NotAuthorizedException",
    };
}
