using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace KvsInference.Meeting;

/// <summary>
/// The meetings of one mode by id, with the idle sweep both modes run: a few checks per idle timeout, so that a
/// meeting ends between 1 and 1.25 idle timeouts after its last use.
/// </summary>
/// <typeparam name="TEntry">What the mode keeps per meeting.</typeparam>
internal sealed class MeetingTable<TEntry> : IDisposable where TEntry : class
{
    private readonly TimeSpan _idleTimeout;
    private readonly Func<TEntry, MeetingActivity> _activity;
    private readonly Func<TEntry, bool> _connected;
    private readonly Action<TEntry> _expire;
    private readonly ITimer _sweeper;

    /// <summary>Creates the table and starts its idle sweep.</summary>
    /// <param name="time">The clock of the sweep.</param>
    /// <param name="idleTimeout">How long a meeting may be unused (<see cref="MeetingOptions.IdleTimeout"/>).</param>
    /// <param name="activity">A meeting's activity.</param>
    /// <param name="connected">Whether the mode knows of a live connection to a meeting (local signaling).</param>
    /// <param name="expire">Ends an idle meeting (and removes it from <see cref="ById"/>).</param>
    public MeetingTable(TimeProvider time, TimeSpan idleTimeout, Func<TEntry, MeetingActivity> activity, Func<TEntry, bool> connected, Action<TEntry> expire)
    {
        _idleTimeout = idleTimeout;
        _activity = activity;
        _connected = connected;
        _expire = expire;
        var period = idleTimeout / 4;
        _sweeper = time.CreateTimer(_ => SweepIdle(), null, period, period);
    }

    /// <summary>Gets the meetings by id.</summary>
    public ConcurrentDictionary<string, TEntry> ById { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets the meetings by the name of their stream.</summary>
    public ConcurrentDictionary<string, TEntry> ByStream { get; } = new(StringComparer.Ordinal);

    /// <summary>Finds the meeting of a stream for a caller who presents a token (which the mode then checks).</summary>
    /// <param name="streamName">The meeting's stream.</param>
    /// <param name="token">The caller's meeting token; not null when found.</param>
    /// <param name="entry">The meeting, when found.</param>
    /// <param name="why">Why not, when it returns false.</param>
    /// <returns>False when the stream is no meeting's or the token is missing.</returns>
    public bool TryFindByStream(string? streamName, [NotNullWhen(true)] string? token, [NotNullWhen(true)] out TEntry? entry, out string why)
    {
        why = "";
        if (string.IsNullOrEmpty(streamName) || !ByStream.TryGetValue(streamName, out entry))
        {
            why = $"no meeting has the stream '{streamName}'";
            entry = null;
            return false;
        }
        if (string.IsNullOrEmpty(token))
        {
            why = "the meeting token is missing (query parameter token)";
            entry = null;
            return false;
        }
        return true;
    }

    /// <summary>Marks a meeting as in use until the result is disposed; a meeting that no longer exists marks nothing.</summary>
    public IDisposable Use(string id) => ById.GetValueOrDefault(id) is { } entry ? _activity(entry).Use() : NoMeetingUse.Instance;

    /// <summary>Ends the meetings unused for the idle timeout.</summary>
    public void SweepIdle()
    {
        foreach (var entry in ById.Values)
        {
            if (_activity(entry).IsIdle(_idleTimeout, _connected(entry))) _expire(entry);
        }
    }

    /// <summary>Stops the idle sweep.</summary>
    public void Dispose() => _sweeper.Dispose();
}
