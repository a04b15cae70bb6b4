using KvsInference.Avatar.Model;

namespace KvsInference.Avatar.Serving;

/// <summary>
/// The per-stream model states of a <see cref="LocalVisemeInferenceClient"/>, bounded: at most a capacity of states,
/// the least recently used dropped first when a new stream arrives at the cap, and states idle longer than the idle
/// timeout dropped by <see cref="SweepIdle"/>. Every operation is O(1) (a sweep: O(states dropped)), so a client sending
/// many new stream keys costs a bounded amount of memory and no scans.
/// </summary>
internal sealed class StreamStateCache
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _byKey = new(StringComparer.Ordinal);
    // Most recently used first.
    private readonly LinkedList<Entry> _order = new();
    private readonly Func<VisemeStreamState> _create;
    private long _evicted;

    public StreamStateCache(int capacity, Func<VisemeStreamState> create)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _create = create;
    }

    public int Capacity { get; }

    public int Count
    {
        get { lock (_gate) return _byKey.Count; }
    }

    /// <summary>States dropped because the cap was reached (not the idle ones).</summary>
    public long Evicted => Interlocked.Read(ref _evicted);

    /// <summary>The state of a stream, created when absent (dropping the least recently used one at the cap); marks it used at <paramref name="now"/>.</summary>
    public VisemeStreamState GetOrAdd(string key, long now)
    {
        lock (_gate)
        {
            if (_byKey.TryGetValue(key, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                node.Value.State.LastUsedTimestamp = now;
                return node.Value.State;
            }
            while (_byKey.Count >= Capacity)
            {
                var oldest = _order.Last!;
                _order.RemoveLast();
                _byKey.Remove(oldest.Value.Key);
                _evicted++;
            }
            var state = _create();
            state.LastUsedTimestamp = now;
            _byKey[key] = _order.AddFirst(new Entry(key, state));
            return state;
        }
    }

    public bool Remove(string key)
    {
        lock (_gate)
        {
            if (!_byKey.Remove(key, out var node)) return false;
            _order.Remove(node);
            return true;
        }
    }

    public bool Contains(string key)
    {
        lock (_gate) return _byKey.ContainsKey(key);
    }

    /// <summary>Drops the states not used for longer than <paramref name="idleTimeout"/> (they sit at the end of the order).</summary>
    public void SweepIdle(TimeProvider time, long now, TimeSpan idleTimeout)
    {
        lock (_gate)
        {
            while (_order.Last is { } oldest && time.GetElapsedTime(oldest.Value.State.LastUsedTimestamp, now) > idleTimeout)
            {
                _order.RemoveLast();
                _byKey.Remove(oldest.Value.Key);
            }
        }
    }

    private sealed record Entry(string Key, VisemeStreamState State);
}
