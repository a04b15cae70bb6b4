using KvsInference.Kvs;
using KvsInference.Pipeline;

namespace KvsInference.Tests.Pipeline;

public sealed class KvsInferenceOptionsTests
{
    [Fact]
    public void FindErrors_ConfigurationSection_EachErrorNamedByItsKey()
    {
        var options = new KvsInferenceOptions();
        options.Processing.InitialPosition = KvsStartSelectorType.ServerTimestamp;
        options.Batching.MaxConcurrentBatches = 0;
        options.Leases.EpsilonTime = TimeSpan.FromSeconds(5);

        var errors = options.FindErrors("KVSI");

        Assert.Contains(errors, e => e.StartsWith("KVSI:Discovery:StreamNames: Select streams", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("KVSI:Processing:InitialTimestamp: ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("KVSI:Batching:MaxConcurrentBatches: ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("KVSI:Leases:EpsilonTime: ", StringComparison.Ordinal));
        Assert.Equal(4, errors.Count);
    }

    [Fact]
    public void FindErrors_NoSection_PartAndMember()
    {
        var options = new KvsInferenceOptions();
        options.Discovery.NamePrefix = "s-";
        options.Worker.ShutdownTimeout = TimeSpan.FromSeconds(1);
        options.Processing.WindowDuration = TimeSpan.FromMilliseconds(1);

        Assert.StartsWith("Processing.WindowDuration: The field WindowDuration must be between ", Assert.Single(options.FindErrors()), StringComparison.Ordinal);
    }
}
