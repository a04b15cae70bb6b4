using Amazon.CDK;
using KvsInference.Cdk.Configuration;
using KvsInference.Cdk.Fleet;

namespace KvsInference.Cdk;

/// <summary>Builds the app's one stack from parameters; shared by Program and the tests.</summary>
public static class FleetApp
{
    /// <summary>Reads the parameters and adds the stack (named after <see cref="FleetSettings.ServiceName"/>) to the app.</summary>
    /// <param name="app">The CDK app.</param>
    /// <param name="context">Context lookup (the app's node context).</param>
    /// <param name="environment">Environment lookup; CDK_DEFAULT_ACCOUNT/REGION make the stack environment-specific.</param>
    /// <returns>The stack.</returns>
    /// <exception cref="FleetSettingsException">A parameter is invalid.</exception>
    public static KvsInferenceStack AddStack(App app, Func<string, object?> context, Func<string, string?> environment)
    {
        var settings = FleetSettingsReader.Read(context, environment);
        var account = environment("CDK_DEFAULT_ACCOUNT");
        var region = environment("CDK_DEFAULT_REGION");
        return new KvsInferenceStack(app, settings.ServiceName, new KvsInferenceStackProps
        {
            Settings = settings,
            // Without both, the stack is environment-agnostic: it deploys to the CLI's account and region.
            Env = string.IsNullOrEmpty(account) || string.IsNullOrEmpty(region) ? null : new Amazon.CDK.Environment { Account = account, Region = region },
            DockerContextDirectory = FindRepositoryRoot(),
            Description = "KvsInference: KVS audio -> viseme inference -> Kinesis (workers on ECS Fargate)",
        });
    }

    /// <summary>The folder holding cdk.json and the Dockerfile: the current folder (where the CDK CLI runs) or one above it.</summary>
    /// <returns>The repository root.</returns>
    /// <exception cref="InvalidOperationException">No such folder above the current folder or the app's own folder.</exception>
    public static string FindRepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "cdk.json")) && File.Exists(Path.Combine(dir.FullName, "Dockerfile")))
                {
                    return dir.FullName;
                }
            }
        }
        throw new InvalidOperationException($"No folder with cdk.json and Dockerfile above '{Directory.GetCurrentDirectory()}' or '{AppContext.BaseDirectory}'.");
    }
}
