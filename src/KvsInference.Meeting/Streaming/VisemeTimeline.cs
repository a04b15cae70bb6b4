using KvsInference.Inference;
using KvsInference.Sinks;

namespace KvsInference.Meeting.Streaming;

/// <summary>
/// The viseme frames of one stream placed on the producer clock (Unix milliseconds of the speech they were computed
/// from), so that the avatar can be drawn for any moment: between two frames it is interpolated, where no record covers
/// the moment (the stream paused, a record was lost or not yet received) the face rests rather than freezing mid-word.
/// </summary>
/// <remarks>
/// A record's frame <c>i</c> is at <c>producerTimestamp + startOffsetMs + i / frameRate</c>: the worker maps a fragment's
/// first decoded sample to the fragment's producer timestamp, and the same mapping places the audio (see
/// <see cref="KvsAudioFeed"/>), so mouth and voice meet on this clock whatever the delays on the way. A record without a
/// producer timestamp (a file written by a producer that set none) continues where the previous one ended. A record
/// that starts where a kept one starts is a repeat (after a lease hand-off the worker re-sends identical records) and is
/// ignored. Not thread-safe: the owner serializes access.
/// </remarks>
public sealed class VisemeTimeline
{
    /// <summary>The face drawn where no record covers the moment.</summary>
    public static readonly VisemeFrame Rest = new(0, 0, 0, 0, 0, 0, 1);

    // Two records closer than this are taken as one continuous run (interpolation crosses the boundary).
    private const double JoinToleranceMs = 1;

    private readonly List<Segment> _segments = new();
    private double? _unstampedNextMs;

    private readonly record struct Segment(double StartMs, double FrameRate, IReadOnlyList<VisemeFrame> Frames)
    {
        // Computed as count / rate, not count x (1 / rate): 30 frames at 60 fps end at exactly 500 ms.
        public double EndMs => StartMs + Frames.Count * 1000 / FrameRate;
    }

    /// <summary>Gets the time of the first frame kept, or null when empty.</summary>
    public double? StartMs => _segments.Count == 0 ? null : _segments[0].StartMs;

    /// <summary>Gets the time just after the last frame kept, or null when empty.</summary>
    public double? EndMs => _segments.Count == 0 ? null : _segments.Max(s => s.EndMs);

    /// <summary>Gets how many records are kept.</summary>
    public int Count => _segments.Count;

    /// <summary>Gets how many records were ignored as repeats of kept ones.</summary>
    public long Repeats { get; private set; }

    /// <summary>The time of a record's first frame on the producer clock.</summary>
    /// <param name="record">The record.</param>
    /// <returns>Unix ms, or null when the record carries no producer (or server) timestamp.</returns>
    public static double? StartOf(InferenceRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return (record.ProducerTimestamp ?? record.ServerTimestamp) is { } t ? t + record.StartOffsetMs : null;
    }

    /// <summary>Adds a record's frames.</summary>
    /// <param name="record">The record.</param>
    /// <returns>False when the record repeats one already kept.</returns>
    /// <exception cref="InvalidDataException">The record's frame rate is not a positive number.</exception>
    public bool Add(InferenceRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!(record.FrameRate > 0) || double.IsInfinity(record.FrameRate))
        {
            throw new InvalidDataException($"record {record.RecordId}: frame rate {record.FrameRate} is not a positive number");
        }
        double start = StartOf(record) ?? _unstampedNextMs ?? 0;
        var segment = new Segment(start, record.FrameRate, record.Frames);
        _unstampedNextMs = segment.EndMs;
        if (record.Frames.Count == 0) return true;

        int index = UpperBound(start);
        if (index > 0 && Math.Abs(_segments[index - 1].StartMs - start) < JoinToleranceMs)
        {
            Repeats++;
            return false;
        }
        _segments.Insert(index, segment);
        return true;
    }

    /// <summary>The face at a moment: interpolated between the two frames around it, or <see cref="Rest"/> where no record covers it.</summary>
    /// <param name="timeMs">The moment on the producer clock (Unix ms).</param>
    /// <returns>The face.</returns>
    public VisemeFrame Sample(double timeMs)
    {
        int index = UpperBound(timeMs) - 1;
        // An earlier record may be longer than the gap to a later one: look back over the few that could still cover.
        for (int i = index; i >= 0 && i >= index - 2; i--)
        {
            var s = _segments[i];
            if (timeMs >= s.EndMs) continue;
            double p = (timeMs - s.StartMs) * s.FrameRate / 1000;
            int k = (int)Math.Floor(p);
            var a = s.Frames[k];
            VisemeFrame b;
            if (k + 1 < s.Frames.Count) b = s.Frames[k + 1];
            else if (i + 1 < _segments.Count && Math.Abs(_segments[i + 1].StartMs - s.EndMs) < JoinToleranceMs) b = _segments[i + 1].Frames[0];
            else b = a;
            return Lerp(a, b, (float)(p - k));
        }
        return Rest;
    }

    /// <summary>Forgets records that end before a moment (the avatar never goes back).</summary>
    /// <param name="timeMs">The moment (Unix ms).</param>
    public void DropBefore(double timeMs)
    {
        int drop = 0;
        while (drop < _segments.Count && _segments[drop].EndMs <= timeMs) drop++;
        if (drop > 0) _segments.RemoveRange(0, drop);
    }

    // The index of the first segment starting after timeMs.
    private int UpperBound(double timeMs)
    {
        int lo = 0, hi = _segments.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_segments[mid].StartMs <= timeMs) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private static VisemeFrame Lerp(in VisemeFrame a, in VisemeFrame b, float f) => new(
        a.Aa + (b.Aa - a.Aa) * f, a.Ih + (b.Ih - a.Ih) * f, a.Ou + (b.Ou - a.Ou) * f, a.Ee + (b.Ee - a.Ee) * f,
        a.Oh + (b.Oh - a.Oh) * f, a.JawOpen + (b.JawOpen - a.JawOpen) * f, a.Silence + (b.Silence - a.Silence) * f)
    {
        Pp = a.Pp + (b.Pp - a.Pp) * f, Ff = a.Ff + (b.Ff - a.Ff) * f, Th = a.Th + (b.Th - a.Th) * f, Dd = a.Dd + (b.Dd - a.Dd) * f,
        Kk = a.Kk + (b.Kk - a.Kk) * f, Ch = a.Ch + (b.Ch - a.Ch) * f, Ss = a.Ss + (b.Ss - a.Ss) * f, Nn = a.Nn + (b.Nn - a.Nn) * f,
        Rr = a.Rr + (b.Rr - a.Rr) * f,
    };
}
