using System.Text.Json;
using Amazon.CDK;
using Amazon.CDK.Assertions;
using KvsInference.Cdk.Configuration;
using KvsInference.Cdk.Fleet;
using KvsInference.TestSupport;

namespace KvsInference.Cdk.Tests.Fleet;

/// <summary>One configuration synthesized once: the CDK assertion template plus the raw JSON to walk.</summary>
public sealed class SynthesizedStack
{
    private SynthesizedStack(Template template, JsonElement json, KvsInferenceStack stack)
    {
        Template = template;
        Json = json;
        Stack = stack;
    }

    /// <summary>The template for Amazon.CDK.Assertions matchers.</summary>
    public Template Template { get; }

    /// <summary>The same template as JSON.</summary>
    public JsonElement Json { get; }

    /// <summary>The stack (for its settings).</summary>
    public KvsInferenceStack Stack { get; }

    /// <summary>Builds the stack with cdk.json's context (feature flags as the CLI sees them) and synthesizes it.</summary>
    public static SynthesizedStack Synthesize(FleetSettings settings, Amazon.CDK.Environment? env = null)
    {
        var app = new App(new AppProps
        {
            Context = CdkJsonContext(),
            Outdir = Directory.CreateTempSubdirectory("kvsi-cdk-").FullName,
        });
        var stack = new KvsInferenceStack(app, settings.ServiceName, new KvsInferenceStackProps
        {
            Settings = settings,
            Env = env,
            DockerContextDirectory = TestPaths.RepoRoot,
        });
        var assembly = app.Synth();
        var text = File.ReadAllText(Path.Combine(assembly.Directory, stack.TemplateFile));
        using var doc = JsonDocument.Parse(text);
        return new SynthesizedStack(Template.FromString(text), doc.RootElement.Clone(), stack);
    }

    /// <summary>The context block of the repository's cdk.json, as CDK would hand it to the app.</summary>
    public static Dictionary<string, object> CdkJsonContext()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "cdk.json")));
        return doc.RootElement.GetProperty("context").EnumerateObject().ToDictionary(p => p.Name, p => ToObject(p.Value));
    }

    /// <summary>Resources of a CloudFormation type: logical id -> resource element.</summary>
    public IReadOnlyDictionary<string, JsonElement> Resources(string type) =>
        Json.GetProperty("Resources").EnumerateObject()
            .Where(r => r.Value.GetProperty("Type").GetString() == type)
            .ToDictionary(r => r.Name, r => r.Value);

    /// <summary>The single resource of a type (fails if there is not exactly one).</summary>
    public JsonElement Single(string type) => Assert.Single(Resources(type)).Value;

    /// <summary>Every IAM statement of every policy in the template, with the policy's logical id.</summary>
    public IEnumerable<(string Policy, JsonElement Statement)> PolicyStatements() =>
        Resources("AWS::IAM::Policy").SelectMany(p =>
            p.Value.GetProperty("Properties").GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray()
                .Select(s => (p.Key, s)));

    /// <summary>A statement's actions or resources as a list (CloudFormation allows a single value or an array).</summary>
    public static IReadOnlyList<JsonElement> Many(JsonElement statement, string property) =>
        statement.GetProperty(property) is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray().ToList() : [statement.GetProperty(property)];

    /// <summary>The environment variables of the worker container.</summary>
    public IReadOnlyDictionary<string, string> WorkerEnvironment()
    {
        var container = Single("AWS::ECS::TaskDefinition").GetProperty("Properties").GetProperty("ContainerDefinitions")[0];
        return container.GetProperty("Environment").EnumerateArray()
            .ToDictionary(e => e.GetProperty("Name").GetString()!, e => e.GetProperty("Value").ValueKind == JsonValueKind.String ? e.GetProperty("Value").GetString()! : e.GetProperty("Value").GetRawText());
    }

    private static object ToObject(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.Array => value.EnumerateArray().Select(ToObject).ToArray(),
        _ => value.ToString(),
    };
}

/// <summary>
/// The three configurations the tests check, each synthesized once per test run (synthesis costs seconds):
/// the defaults, everything created (public subnets, endpoint, meeting, alarm e-mail, destroy), and everything existing
/// (VPC by id, endpoint by name, streams by tag).
/// </summary>
public sealed class FleetStacks
{
    private readonly Lazy<SynthesizedStack> _defaults = new(() => SynthesizedStack.Synthesize(DefaultSettings));
    private readonly Lazy<SynthesizedStack> _created = new(() => SynthesizedStack.Synthesize(CreatedSettings));
    private readonly Lazy<SynthesizedStack> _existing = new(() => SynthesizedStack.Synthesize(ExistingSettings,
        new Amazon.CDK.Environment { Account = "123456789012", Region = "eu-west-1" }));

    /// <summary>Defaults, selecting streams by the prefix cdk.json ships.</summary>
    public static FleetSettings DefaultSettings { get; } = new() { StreamPrefix = "meeting-" };

    /// <summary>Everything the stack can create.</summary>
    public static FleetSettings CreatedSettings { get; } = new()
    {
        ServiceName = "kvsi-full",
        SubnetMode = SubnetMode.Public,
        Cpu = 2048,
        MemoryMiB = 4096,
        DesiredCount = 3,
        MinTasks = 2,
        MaxTasks = 20,
        StreamNames = ["lobby"],
        MeetingName = "standup",
        MeetingRetentionHours = 48,
        CreateSageMakerEndpoint = true,
        EndpointInstanceType = "ml.c5.xlarge",
        EndpointMinInstances = 1,
        EndpointMaxInstances = 4,
        AlarmEmail = "oncall@example.com",
        RemovalPolicy = DataRemoval.Destroy,
        LogRetentionDays = 7,
        OutputRetentionHours = 48,
    };

    /// <summary>Existing VPC, endpoint and streams selected by tags.</summary>
    public static FleetSettings ExistingSettings { get; } = new()
    {
        ServiceName = "kvsi-existing",
        VpcId = "vpc-0123456789abcdef0",
        SageMakerEndpointName = "Visemes-Prod",
        StreamTagFilters = new Dictionary<string, string> { ["team"] = "avatar", ["env"] = "prod" },
    };

    /// <summary>The defaults, synthesized.</summary>
    public SynthesizedStack Defaults => _defaults.Value;

    /// <summary>Everything created, synthesized.</summary>
    public SynthesizedStack Created => _created.Value;

    /// <summary>Everything existing, synthesized.</summary>
    public SynthesizedStack Existing => _existing.Value;

    /// <summary>All three.</summary>
    public IEnumerable<SynthesizedStack> All => [Defaults, Created, Existing];
}

/// <summary>Shares <see cref="FleetStacks"/> across the test classes.</summary>
[CollectionDefinition(Name)]
public sealed class FleetStacksCollection : ICollectionFixture<FleetStacks>
{
    /// <summary>The collection name.</summary>
    public const string Name = "Synthesized fleet stacks";
}
