using System.Text.Json;

namespace KvsInference.Tools.AwsModelGen;

/// <summary>Writes one API's <c>AwsServiceModel</c> instance: metadata, the selected operations and every shape they reach.</summary>
internal static class TableWriter
{
    private const string Ordinal = "(StringComparer.Ordinal)";

    public static void Append(CodeWriter w, ServiceModel model)
    {
        var signingName = model.OptionalMeta("signingName") ?? model.Meta("endpointPrefix");
        w.Line($"/// <summary>Gets {model.Api.ModelName} {model.Api.ApiVersion} ({System.Security.SecurityElement.Escape(model.Meta("serviceFullName"))}).</summary>");
        w.Line($"public static AwsServiceModel {model.Api.Namespace} {{ get; }} = new(");
        w.Line($"    {L(model.Api.ModelName)}, {L(model.Api.ApiVersion)}, {L(model.Meta("protocol"))}, {L(signingName)}, {L(model.OptionalMeta("targetPrefix"))}, {L(model.OptionalMeta("jsonVersion"))},");
        w.Line($"    new Dictionary<string, AwsOperationModel>{Ordinal}");
        w.Line("    {");
        foreach (var (name, op) in model.Operations)
        {
            var http = op.GetProperty("http");
            var code = http.TryGetProperty("responseCode", out var c) ? c.GetInt32() : 200;
            var errors = op.TryGetProperty("errors", out var e) ? e.EnumerateArray().Select(x => L(x.GetProperty("shape").GetString())) : [];
            w.Line($"        [{L(name)}] = new({L(name)}, {L(ServiceModel.Str(http, "method"))}, {L(ServiceModel.Str(http, "requestUri"))}, {code}, " +
                $"{L(ServiceModel.Ref(op, "input"))}, {L(ServiceModel.Ref(op, "output"))}, [{string.Join(", ", errors)}]),");
        }
        w.Line("    },");
        w.Line($"    new Dictionary<string, AwsShapeModel>{Ordinal}");
        w.Line("    {");
        foreach (var (name, shape) in model.AllShapes) w.Line($"        [{L(name)}] = {Shape(name, shape)},");
        w.Line("    });");
        w.Line();
    }

    private static string Shape(string name, JsonElement shape)
    {
        var payload = ServiceModel.Str(shape, "payload");
        var members = new List<string>();
        if (shape.TryGetProperty("members", out var ms))
        {
            foreach (var m in ms.EnumerateObject())
            {
                var location = m.Name == payload ? "payload" : ServiceModel.Str(m.Value, "location") ?? "body";
                var locationName = ServiceModel.Str(m.Value, "locationName") ?? m.Name;
                members.Add($"[{L(m.Name)}] = new({L(m.Name)}, {L(m.Value.GetProperty("shape").GetString())}, {L(location)}, {L(locationName)})");
            }
        }
        var required = shape.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(x => L(x.GetString())) : [];
        var enums = shape.TryGetProperty("enum", out var en) ? en.EnumerateArray().Select(x => L(x.GetString())) : [];
        var streaming = shape.TryGetProperty("streaming", out var s) && s.GetBoolean();
        var exception = shape.TryGetProperty("exception", out var x) && x.GetBoolean();
        var memberTable = members.Count == 0 ? $"new Dictionary<string, AwsMemberModel>{Ordinal}"
            : $"new Dictionary<string, AwsMemberModel>{Ordinal} {{ {string.Join(", ", members)} }}";
        return $"new({L(name)}, {L(ServiceModel.Str(shape, "type"))}, {memberTable}, [{string.Join(", ", required)}], " +
            $"{L(ServiceModel.Ref(shape, "member"))}, {L(ServiceModel.Ref(shape, "key"))}, {L(ServiceModel.Ref(shape, "value"))}, [{string.Join(", ", enums)}], " +
            $"{ModelGenerator.Number(ServiceModel.Long(shape, "min"))}, {ModelGenerator.Number(ServiceModel.Long(shape, "max"))}, {L(payload)}, " +
            $"{(streaming ? "true" : "false")}, {(exception ? "true" : "false")})";
    }

    private static string L(string? s) => ModelGenerator.Literal(s);
}
