namespace KvsInference.Pipeline;

/// <summary>
/// The reading stage's per-fragment bookkeeping: which fragment the frames belong to, whether it is the checkpointed
/// fragment being skipped, how many samples were decoded up to its end, and that each fragment ends once.
/// </summary>
internal sealed class FragmentTracker(string? skipFragment)
{
    private bool _hasFrames;
    private bool _ended;   // its end was handed out (at its end-of-fragment tags); ended once only

    /// <summary>Gets the fragment the next frames belong to.</summary>
    public FragmentInfo Current { get; private set; } = new(FragmentInfo.Unnumbered, null, null);

    /// <summary>Gets whether the current fragment is the checkpointed one, already processed, whose frames are skipped.</summary>
    public bool Skipping { get; private set; }

    /// <summary>Gets the samples decoded so far on this connection.</summary>
    public long SamplesIn { get; private set; }

    /// <summary>Starts a new fragment (the previous one must have been ended).</summary>
    public void Begin(string number, DateTimeOffset? producerTimestamp, DateTimeOffset? serverTimestamp)
    {
        Current = new FragmentInfo(number, producerTimestamp, serverTimestamp);
        _ended = false;
        Skipping = number == skipFragment;
    }

    /// <summary>Counts a frame of the current fragment; false when the fragment is skipped.</summary>
    public bool OnFrame()
    {
        if (Skipping) return false;
        _hasFrames = true;
        // A frame after the end-of-fragment tags (not what KVS sends) reopens the fragment, so its samples are counted.
        _ended = false;
        return true;
    }

    /// <summary>Counts decoded samples of the current fragment.</summary>
    public void OnPcm(int samples, long timestampNs)
    {
        Current.FirstPcmNs ??= timestampNs;
        SamplesIn += samples;
    }

    /// <summary>Ends the current fragment: what the writer must checkpoint once its samples are acknowledged, or null
    /// when it already ended or there is nothing to checkpoint (no frames and no KVS fragment number).</summary>
    public FragmentEndItem? End()
    {
        if (_ended) return null;
        var end = _hasFrames || Current.Number != FragmentInfo.Unnumbered ? new FragmentEndItem(Current, SamplesIn) : null;
        _hasFrames = false;
        _ended = true;
        return end;
    }
}

/// <summary>
/// The writing stage's checkpoint bookkeeping: ended fragments wait until the sink acknowledged the window that holds
/// their last sample (counted in samples, so timestamp jumps cannot confuse it), then are checkpointed in order.
/// </summary>
internal sealed class PendingCheckpoints
{
    private readonly Queue<FragmentEndItem> _ended = new();
    private long _acknowledgedSamples;

    /// <summary>Adds an ended fragment.</summary>
    public void Add(FragmentEndItem fragment) => _ended.Enqueue(fragment);

    /// <summary>Records that every sample up to <paramref name="cumulativeSamples"/> is acknowledged by the sink.</summary>
    public void Acknowledge(long cumulativeSamples) => _acknowledgedSamples = cumulativeSamples;

    /// <summary>Gets the oldest fragment whose samples are all acknowledged, without removing it.</summary>
    public bool TryPeekDue(out FragmentInfo fragment)
    {
        if (_ended.TryPeek(out var end) && end.CumulativeSamples <= _acknowledgedSamples)
        {
            fragment = end.Fragment;
            return true;
        }
        fragment = null!;
        return false;
    }

    /// <summary>Removes the fragment <see cref="TryPeekDue"/> returned, once its checkpoint is stored.</summary>
    public void RemoveDue() => _ended.Dequeue();
}
