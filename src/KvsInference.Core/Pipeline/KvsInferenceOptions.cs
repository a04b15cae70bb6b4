using KvsInference.Inference;
using KvsInference.Leases;

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

    /// <summary>Validates every part and reports all errors together.</summary>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">Some values are not valid; the message lists them all.</exception>
    public void Validate()
    {
        var errors = new List<string>();
        void Check(Action validate)
        {
            try { validate(); }
            catch (System.ComponentModel.DataAnnotations.ValidationException e) { errors.Add(e.Message); }
        }
        Check(Discovery.Validate);
        Check(Leases.Validate);
        Check(Processing.Validate);
        Check(() =>
        {
            var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
            if (!System.ComponentModel.DataAnnotations.Validator.TryValidateObject(Batching, new(Batching), results, true))
            {
                throw new System.ComponentModel.DataAnnotations.ValidationException("Invalid InferenceBatcherOptions: " + string.Join(" ", results.Select(r => r.ErrorMessage)));
            }
        });
        if (Discovery.StreamNames.Count == 0 && Discovery.NamePrefix is null && Discovery.TagFilters.Count == 0)
        {
            errors.Add("No streams selected: set stream names, a name prefix or tag filters.");
        }
        if (errors.Count > 0) throw new System.ComponentModel.DataAnnotations.ValidationException(string.Join(Environment.NewLine, errors));
    }
}
