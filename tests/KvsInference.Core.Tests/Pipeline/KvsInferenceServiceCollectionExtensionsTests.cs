using KvsInference.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KvsInference.Tests.Pipeline;

public sealed class KvsInferenceServiceCollectionExtensionsTests
{
    [Fact]
    public void AddKvsInference_OptionsMadeBeforehand_ThatInstanceAndTheHostedService()
    {
        var options = new KvsInferenceOptions();
        var services = new ServiceCollection();

        services.AddKvsInference(options);

        Assert.Same(options, Assert.Single(services, d => d.ServiceType == typeof(KvsInferenceOptions)).ImplementationInstance);
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService));
    }

    [Fact]
    public void AddKvsInference_Configure_CalledOnTheRegisteredOptions()
    {
        var services = new ServiceCollection();

        services.AddKvsInference(o => o.Discovery.NamePrefix = "s-");

        var registered = (KvsInferenceOptions)Assert.Single(services, d => d.ServiceType == typeof(KvsInferenceOptions)).ImplementationInstance!;
        Assert.Equal("s-", registered.Discovery.NamePrefix);
    }
}
