using System.Globalization;
using System.Text;
using System.Text.Json;

namespace KvsInference.Tools.AwsModelGen;

/// <summary>A model file is missing or describes something the generator does not handle.</summary>
public sealed class ModelException(string message) : Exception(message);

/// <summary>One API to generate: the botocore model folder, its version, the C# namespace and the operations the project uses.</summary>
public sealed record ApiSelection(string ModelName, string ApiVersion, string Namespace, IReadOnlyList<string> Operations);

/// <summary>
/// Reads the official AWS service models (botocore <c>service-2.json</c>, as shipped by Debian's awscli package,
/// Apache-2.0) and writes, per API, the request/response types of the operations the project uses
/// (<c>&lt;Namespace&gt;.g.cs</c>, named like aws-sdk-net: <c>XRequest</c>/<c>XResponse</c>) and one table of every
/// operation and the shapes it reaches (<c>AwsServiceModels.g.cs</c>) that the conformance tests check against.
/// </summary>
public static class ModelGenerator
{
    /// <summary>Where Debian's awscli package keeps the botocore models.</summary>
    public const string DefaultDataDirectory = "/usr/lib/python3/dist-packages/awscli/botocore/data";

    /// <summary>Every operation the clients call or the stand-ins (media store, signaling) serve.</summary>
    public static readonly IReadOnlyList<ApiSelection> Apis =
    [
        new("kinesisvideo", "2017-09-30", "KinesisVideo",
        [
            "CreateStream", "DescribeStream", "ListStreams", "DeleteStream", "TagStream", "UntagStream", "ListTagsForStream",
            "UpdateDataRetention", "GetDataEndpoint", "CreateSignalingChannel", "ListSignalingChannels", "DescribeSignalingChannel",
            "DeleteSignalingChannel", "GetSignalingChannelEndpoint", "UpdateMediaStorageConfiguration", "DescribeMediaStorageConfiguration",
        ]),
        new("kinesis-video-media", "2017-09-30", "KinesisVideoMedia", ["GetMedia"]),
        new("kinesis-video-archived-media", "2017-09-30", "KinesisVideoArchivedMedia", ["ListFragments", "GetMediaForFragmentList"]),
        new("kinesis-video-signaling", "2019-12-04", "KinesisVideoSignalingChannels", ["GetIceServerConfig"]),
        new("kinesis-video-webrtc-storage", "2018-05-10", "KinesisVideoWebRTCStorage", ["JoinStorageSession"]),
        new("sagemaker-runtime", "2017-05-13", "SageMakerRuntime", ["InvokeEndpoint"]),
        new("kinesis", "2013-12-02", "Kinesis", ["CreateStream", "DescribeStreamSummary", "ListShards", "GetShardIterator", "GetRecords", "PutRecords"]),
    ];

    /// <summary>Generates every file from the models under <paramref name="dataDirectory"/>.</summary>
    /// <param name="dataDirectory">The botocore data folder (holding <c>&lt;model&gt;/&lt;version&gt;/service-2.json</c>).</param>
    /// <returns>The file contents by file name, in ordinal order.</returns>
    /// <exception cref="ModelException">A model is missing or malformed.</exception>
    public static SortedDictionary<string, string> Generate(string dataDirectory)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var table = new CodeWriter();
        table.Header("the official service models listed below");
        table.Line("namespace KvsInference.Aws.Generated;").Line();
        table.Line("/// <summary>The official service models of the APIs the project uses: the operations it calls or serves and every shape they reach.</summary>");
        table.Line("public static class AwsServiceModels").Open();
        foreach (var api in Apis)
        {
            var path = Path.Combine(dataDirectory, api.ModelName, api.ApiVersion, "service-2.json");
            if (!File.Exists(path)) throw new ModelException($"{path} not found: install the Debian package awscli (scripts/setup) or pass the botocore data folder.");
            JsonDocument doc;
            try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
            catch (JsonException e) { throw new ModelException($"{path} is not JSON: {e.Message}"); }
            using (doc)
            {
                var model = new ServiceModel(api, doc.RootElement);
                files[api.Namespace + ".g.cs"] = TypeWriter.Write(model);
                TableWriter.Append(table, model);
            }
        }
        table.Line("/// <summary>Gets every model above.</summary>");
        table.Line("public static IReadOnlyList<AwsServiceModel> All { get; } = [" + string.Join(", ", Apis.Select(a => a.Namespace)) + "];");
        table.Close();
        files["AwsServiceModels.g.cs"] = table.ToString();
        return files;
    }

    internal static string Literal(string? s) => s is null ? "null" : JsonSerializer.Serialize(s);

    internal static string Number(long? n) => n is null ? "null" : n.Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One parsed model restricted to the selected operations.</summary>
internal sealed class ServiceModel
{
    public ServiceModel(ApiSelection api, JsonElement root)
    {
        Api = api;
        Metadata = root.GetProperty("metadata");
        var operations = root.GetProperty("operations");
        var shapes = root.GetProperty("shapes");
        foreach (var name in api.Operations)
        {
            if (!operations.TryGetProperty(name, out var op)) throw new ModelException($"{api.ModelName} {api.ApiVersion} has no operation {name}.");
            Operations.Add((name, op));
            if (Ref(op, "input") is { } input) InputOf[input] = name;
            if (Ref(op, "output") is { } output) OutputOf[output] = name;
        }
        // Every shape reachable from the operations (errors included, for their body members), and the subset the C#
        // types need (inputs and outputs only).
        foreach (var (_, op) in Operations)
        {
            Reach(shapes, Ref(op, "input"), TypeShapes);
            Reach(shapes, Ref(op, "output"), TypeShapes);
            Reach(shapes, Ref(op, "input"), AllShapes);
            Reach(shapes, Ref(op, "output"), AllShapes);
            if (op.TryGetProperty("errors", out var errors))
                foreach (var e in errors.EnumerateArray()) Reach(shapes, e.GetProperty("shape").GetString(), AllShapes);
        }
    }

    public ApiSelection Api { get; }
    public JsonElement Metadata { get; }
    public List<(string Name, JsonElement Op)> Operations { get; } = [];
    public Dictionary<string, string> InputOf { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> OutputOf { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, JsonElement> AllShapes { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, JsonElement> TypeShapes { get; } = new(StringComparer.Ordinal);

    public string Meta(string name) => Metadata.TryGetProperty(name, out var v) ? v.GetString() ?? "" : "";

    public string? OptionalMeta(string name) => Metadata.TryGetProperty(name, out var v) ? v.GetString() : null;

    public static string? Ref(JsonElement e, string name) => e.TryGetProperty(name, out var r) ? r.GetProperty("shape").GetString() : null;

    public static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetString() : null;

    public static long? Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.TryGetDouble(out var d) && d == Math.Floor(d) ? (long)d : null;

    /// <summary>The C# class of a structure shape: XRequest/XResponse for an operation's input/output, else the shape name.</summary>
    public string ClassName(string shape) =>
        InputOf.TryGetValue(shape, out var i) ? i + "Request" : OutputOf.TryGetValue(shape, out var o) ? o + "Response" : shape;

    private void Reach(JsonElement shapes, string? name, SortedDictionary<string, JsonElement> into)
    {
        if (name is null || into.ContainsKey(name)) return;
        if (!shapes.TryGetProperty(name, out var shape)) throw new ModelException($"{Api.ModelName}: shape {name} is referenced but not defined.");
        into[name] = shape;
        if (shape.TryGetProperty("members", out var members))
            foreach (var m in members.EnumerateObject()) Reach(shapes, m.Value.GetProperty("shape").GetString(), into);
        foreach (var child in new[] { "member", "key", "value" }) Reach(shapes, Ref(shape, child), into);
    }
}

/// <summary>A tiny indenting writer with "\n" line ends, so the output is the same on every platform.</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public CodeWriter Line(string text = "")
    {
        if (text.Length > 0) _text.Append(' ', _indent * 4).Append(text);
        _text.Append('\n');
        return this;
    }

    public CodeWriter Open() { Line("{"); _indent++; return this; }

    public CodeWriter Close(string suffix = "") { _indent--; return Line("}" + suffix); }

    public void Header(string source)
    {
        Line("// <auto-generated/>");
        Line("// Generated by tools/AwsModelGen from " + source + ". Do not edit: change the generator and run");
        Line("// `dotnet run --project tools/AwsModelGen` (GeneratedModelsTests fails while the files differ).");
        Line("#nullable enable");
        Line();
    }

    public override string ToString() => _text.ToString();
}
