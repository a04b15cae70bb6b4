using System.ComponentModel.DataAnnotations;
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
    /// <exception cref="ValidationException">Some values are not valid; the message lists them all.</exception>
    public void Validate() => OptionsValidator.ThrowIfAny(nameof(KvsInferenceOptions), FindErrors());

    /// <summary>
    /// Lists the errors of every part. With <paramref name="configurationSection"/> (the options bound from configuration,
    /// one sub-section per part) each error is named by its full configuration key (<c>KVSI:Processing:WindowDuration: ...</c>);
    /// without, by part and member (<c>Processing.WindowDuration: ...</c>).
    /// </summary>
    /// <param name="configurationSection">The section the parts were bound from (<c>KVSI</c> binds <c>KVSI:Discovery</c>, <c>KVSI:Leases</c>, ...), or null.</param>
    /// <returns>The errors; empty when every part is valid.</returns>
    public IReadOnlyList<string> FindErrors(string? configurationSection = null)
    {
        IReadOnlyList<string> Find(object part, IEnumerable<ValidationResult>? rules, string name) =>
            configurationSection is null ? OptionsValidator.FindErrors(part, rules, name) : OptionsValidator.FindConfigurationErrors(part, $"{configurationSection}:{name}", rules);
        return
        [
            .. Find(Discovery, Discovery.Rules(), nameof(Discovery)),
            .. Find(Leases, Leases.Rules(), nameof(Leases)),
            .. Find(Processing, Processing.Rules(), nameof(Processing)),
            .. Find(Batching, null, nameof(Batching)),
            .. Find(Worker, null, nameof(Worker)),
        ];
    }
}
