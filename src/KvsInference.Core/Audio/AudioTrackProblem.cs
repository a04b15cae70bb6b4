namespace KvsInference.Audio;

/// <summary>What went wrong while decoding an MKV audio track (see <see cref="AudioTrackProblem"/>).</summary>
public enum AudioTrackProblemKind
{
    /// <summary>An audio track (or a new header of the chosen track) cannot be decoded: its codec is not supported,
    /// its codec data is invalid, or its output format differs from the sink's. The track is skipped.</summary>
    TrackSkipped,

    /// <summary>A frame of the chosen track is corrupt: nothing was decoded for it and decoding goes on.</summary>
    FrameFailed,
}

/// <summary>A problem <see cref="MkvAudioTrackReader"/> reports and recovers from: a skipped track or a failed frame.</summary>
/// <param name="Kind">What went wrong.</param>
/// <param name="TrackNumber">The track it concerns.</param>
/// <param name="TimestampNs">The frame's timestamp in ns, for <see cref="AudioTrackProblemKind.FrameFailed"/>; otherwise null.</param>
/// <param name="Message">One line naming the track or frame and the cause, for logs (for example
/// <c>skipping unsupported codec A_VORBIS (track 2)</c>).</param>
public sealed record AudioTrackProblem(AudioTrackProblemKind Kind, ulong TrackNumber, long? TimestampNs, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Message;
}
