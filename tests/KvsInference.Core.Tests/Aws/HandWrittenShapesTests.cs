using System.Runtime.CompilerServices;
using KvsInference.Aws;
using KvsInference.Aws.Generated;

namespace KvsInference.Tests.Aws;

/// <summary>
/// Request/response types of operations the official models describe come only from tools/AwsModelGen: a hand-written
/// copy (the state before issue 18) fails here, so it cannot come back.
/// </summary>
public sealed class HandWrittenShapesTests
{
    private static readonly string[] Suffixes = ["Request", "Response", "Input", "Output"];

    // Prefixes the hand-written types carried (KvsCreateStreamRequest, KinesisPutRecordsRequest, SageMakerInvokeRequest).
    private static readonly string[] Prefixes = ["Kvs", "KinesisVideo", "Kinesis", "SageMakerRuntime", "SageMaker", ""];

    private static readonly HashSet<string> Modelled = AwsServiceModels.All
        .SelectMany(m => m.Operations.Keys.SelectMany(op => Suffixes.Select(s => op + s)).Concat(m.Shapes.Keys))
        .ToHashSet(StringComparer.Ordinal);

    private static bool NamesAModelledShape(string typeName) =>
        Suffixes.Any(s => typeName.EndsWith(s, StringComparison.Ordinal))
        && Prefixes.Any(p => typeName.StartsWith(p, StringComparison.Ordinal) && Modelled.Contains(typeName[p.Length..]));

    [Fact]
    public void CoreAwsTypes_NamedAfterAModelledOperationOrShape_AreAllGenerated()
    {
        var handWritten = typeof(AwsServiceModel).Assembly.GetTypes()
            .Where(t => t.Namespace is { } ns && ns.StartsWith("KvsInference.Aws", StringComparison.Ordinal) && !ns.StartsWith("KvsInference.Aws.Generated", StringComparison.Ordinal))
            .Where(t => !t.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false) && !t.Name.Contains('<', StringComparison.Ordinal))
            .Where(t => NamesAModelledShape(t.Name))
            .Select(t => t.FullName)
            .ToList();

        Assert.True(handWritten.Count == 0, "Hand-written shapes of modelled operations (use the generated types): " + string.Join(", ", handWritten));
    }

    [Fact]
    public void NamesAModelledShape_TheDeletedHandWrittenNames_AreCaughtAndPutMediaIsNot()
    {
        // The rule above would have caught the types issue 18 deleted; PutMedia has no official model, so its type passes.
        Assert.True(NamesAModelledShape("KvsCreateStreamRequest"));
        Assert.True(NamesAModelledShape("KinesisPutRecordsRequest"));
        Assert.True(NamesAModelledShape("KvsGetDataEndpointInput"));
        Assert.True(NamesAModelledShape("KinesisGetRecordsResponse"));
        Assert.False(NamesAModelledShape("KvsPutMediaRequest"));
    }
}
