namespace KvsInference.Meeting;

/// <summary>
/// When a meeting was last in use, for idle expiry (<see cref="MeetingOptions.IdleTimeout"/>): both meeting modes keep
/// one per meeting. A meeting is in use while a <see cref="Use"/> scope is open (an ingest or a records stream) or
/// while its mode says so (<see cref="IsIdle"/>'s <c>connected</c>: local signaling connections); otherwise it is idle
/// since the later of its last <see cref="Touch"/> and the end of its last use.
/// </summary>
internal sealed class MeetingActivity(TimeProvider time)
{
    // Fields for Interlocked: the timestamp since which nothing was connected, and the uses open.
    private long _idleSince = time.GetTimestamp();
    private int _uses;

    /// <summary>Marks the meeting as used now (an API call).</summary>
    public void Touch() => Interlocked.Exchange(ref _idleSince, time.GetTimestamp());

    /// <summary>Marks the meeting as in use until the result is disposed.</summary>
    public IDisposable Use()
    {
        Interlocked.Increment(ref _uses);
        return new UseScope(this);
    }

    /// <summary>Whether the meeting has been unused for <paramref name="timeout"/>; a meeting that is used now restarts its idle time.</summary>
    /// <param name="timeout">The idle timeout.</param>
    /// <param name="connected">Whether the mode knows of a live connection (local signaling).</param>
    public bool IsIdle(TimeSpan timeout, bool connected)
    {
        if (connected || Volatile.Read(ref _uses) > 0)
        {
            Touch();
            return false;
        }
        return time.GetElapsedTime(Interlocked.Read(ref _idleSince)) >= timeout;
    }

    private sealed class UseScope(MeetingActivity activity) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            // The idle time starts when the last use ends, not when it began.
            activity.Touch();
            Interlocked.Decrement(ref activity._uses);
        }
    }
}

/// <summary>The use of a meeting that no longer exists: nothing to mark.</summary>
internal sealed class NoMeetingUse : IDisposable
{
    public static readonly NoMeetingUse Instance = new();

    public void Dispose()
    {
    }
}
