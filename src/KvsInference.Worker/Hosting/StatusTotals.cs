namespace KvsInference.Worker.Hosting;

/// <summary>
/// The status line's counts, taken per processor as deltas since the last line: a lease that moves away takes its
/// processor's cumulative counts with it and one that arrives brings them, so sums over the current processors would
/// dip and jump. A processor is counted from zero when first seen (it started since the last line).
/// </summary>
internal sealed class StatusTotals
{
    private Dictionary<object, (long Frames, long Records)> _seen = new(ReferenceEqualityComparer.Instance);

    /// <summary>Gets the records written by every processor seen so far.</summary>
    public long Records { get; private set; }

    /// <summary>Takes the processors' cumulative counts now and returns the frames processed since the last call.</summary>
    public long Advance(IEnumerable<(object Processor, long Frames, long Records)> processors)
    {
        long frames = 0;
        var current = new Dictionary<object, (long Frames, long Records)>(ReferenceEqualityComparer.Instance);
        foreach (var (processor, f, r) in processors)
        {
            var before = _seen.TryGetValue(processor, out var b) ? b : (0, 0);
            frames += f - before.Frames;
            Records += r - before.Records;
            current[processor] = (f, r);
        }
        _seen = current;
        return frames;
    }
}
