using KvsInference.Inference;
using KvsInference.Leases;
using KvsInference.Validation;

namespace KvsInference.Pipeline;

/// <summary>Everything that configures a KvsInference worker, validated together at start.</summary>
public sealed class KvsInferenceOptions
{
    /// <summary>Gets which streams to process: names, a prefix or tags, refreshed periodically.</summary>
    public StreamDiscoveryOptions Discovery { get; } = new();

    /// <summary>Gets the lease timing and this worker's id.</summary>
    public LeaseCoordinatorOptions Leases { get; } = new();

    /// <summary>Gets the per-stream processing options: windows, start position, backpressure, reconnects.</summary>
    public StreamProcessorOptions Processing { get; } = new();

    /// <summary>Gets the inference batching limits.</summary>
    public InferenceBatcherOptions Batching { get; } = new();

    /// <summary>Gets the shutdown settings.</summary>
    public KvsInferenceWorkerOptions Worker { get; } = new();

    /// <summary>Validates every part and reports all errors together, each named by its part and member (<c>Processing.ReconnectDelay: ...</c>).</summary>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">Some values are not valid; the message lists them all.</exception>
    public void Validate() => OptionsValidator.ThrowIfAny(nameof(KvsInferenceOptions),
    [
        .. OptionsValidator.FindErrors(Discovery, Discovery.Rules(), nameof(Discovery)),
        .. OptionsValidator.FindErrors(Leases, Leases.Rules(), nameof(Leases)),
        .. OptionsValidator.FindErrors(Processing, Processing.Rules(), nameof(Processing)),
        .. OptionsValidator.FindErrors(Batching, path: nameof(Batching)),
        .. OptionsValidator.FindErrors(Worker, path: nameof(Worker)),
    ]);
}
