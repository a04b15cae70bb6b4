using System.Diagnostics;

namespace KvsInference.LocalKvs.Signaling;

/// <summary>
/// A token bucket on a <see cref="TimeProvider"/>'s monotonic clock: holds at most <c>capacity</c> tokens and
/// refills at <c>ratePerSecond</c>. Not thread-safe: each connection's receive loop owns its buckets.
/// </summary>
internal sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private readonly double _capacity;
    private readonly double _ratePerSecond;
    private double _tokens;
    private long _lastTimestamp;

    public TokenBucket(TimeProvider time, double ratePerSecond, double capacity)
    {
        Debug.Assert(ratePerSecond > 0 && capacity >= 1);
        _time = time;
        _ratePerSecond = ratePerSecond;
        _capacity = capacity;
        _tokens = capacity;
        _lastTimestamp = time.GetTimestamp();
    }

    /// <summary>Takes one token if there is one; false means the caller is over its rate.</summary>
    public bool TryTake()
    {
        var now = _time.GetTimestamp();
        _tokens = Math.Min(_capacity, _tokens + _time.GetElapsedTime(_lastTimestamp, now).TotalSeconds * _ratePerSecond);
        _lastTimestamp = now;
        if (_tokens < 1)
        {
            return false;
        }
        _tokens -= 1;
        return true;
    }
}
