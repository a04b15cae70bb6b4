using KvsInference.Worker.Configuration;
using Microsoft.Extensions.Configuration;

namespace KvsInference.Tests.Configuration;

/// <summary>Builds a worker configuration the way WorkerHost does: the given keys, then the alias source.</summary>
internal static class ConfigurationTestData
{
    public static readonly Dictionary<string, string?> NoAwsEnvironment = [];

    public static readonly Dictionary<string, string?> AwsEnvironment = new() { ["AWS_REGION"] = "us-east-1" };

    public static IConfigurationRoot Build(out KeyAliasSource aliases, params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).AddKeyAliases(out aliases).Build();

    public static WorkerConfiguration Bind(bool aws, params (string Key, string Value)[] values)
    {
        var configuration = Build(out var aliases, values);
        return WorkerConfiguration.Bind(configuration, aliases, aws ? AwsEnvironment : NoAwsEnvironment);
    }
}
