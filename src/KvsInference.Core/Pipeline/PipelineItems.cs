using System.Buffers;
using KvsInference.Inference;

namespace KvsInference.Pipeline;

// What the reading stage of a StreamProcessor hands to its writing stage, in order, through the bounded channel.

/// <summary>A fragment as the pipeline tracks it: its number and timestamps, and where its audio begins.</summary>
internal sealed class FragmentInfo(string number, DateTimeOffset? producer, DateTimeOffset? server)
{
    /// <summary>The number before the first fragment's tags arrive (media without KVS tags, e.g. a file).</summary>
    public const string Unnumbered = "0";

    public string Number { get; } = number;
    public DateTimeOffset? ProducerTimestamp { get; } = producer;
    public DateTimeOffset? ServerTimestamp { get; } = server;

    /// <summary>The timestamp of the fragment's first decoded sample; windows' offsets are measured from it.</summary>
    public long? FirstPcmNs { get; set; }
}

/// <summary>One entry of the channel between the two stages.</summary>
internal abstract class PipelineItem;

/// <summary>A fragment is complete: it may be checkpointed once every sample up to <see cref="CumulativeSamples"/> is acknowledged.</summary>
internal sealed class FragmentEndItem(FragmentInfo fragment, long cumulativeSamples) : PipelineItem
{
    public FragmentInfo Fragment { get; } = fragment;
    public long CumulativeSamples { get; } = cumulativeSamples;
}

/// <summary>A window submitted for inference, with the pooled samples it holds until the model is done with them.</summary>
internal sealed class WindowItem : PipelineItem
{
    private short[]? _pcm;

    public WindowItem(FragmentInfo fragment, long timestampNs, long cumulativeSamples, int sampleCount, int sampleRate, long arrival, int frames, short[] pcm, Task<InferencePrediction> prediction)
    {
        SampleCount = sampleCount;
        SampleRate = sampleRate;
        Fragment = fragment;
        TimestampNs = timestampNs;
        CumulativeSamples = cumulativeSamples;
        ArrivalTimestamp = arrival;
        Frames = frames;
        _pcm = pcm;
        Prediction = prediction;
    }

    public FragmentInfo Fragment { get; }
    public long TimestampNs { get; }
    public long CumulativeSamples { get; }
    public int SampleCount { get; }
    public int SampleRate { get; }
    public long ArrivalTimestamp { get; }
    public int Frames { get; }
    public Task<InferencePrediction> Prediction { get; }

    public void ReturnPcm()
    {
        var pcm = Interlocked.Exchange(ref _pcm, null);
        if (pcm is not null) ArrayPool<short>.Shared.Return(pcm);
    }
}
