using System.Security;
using System.Text.Json;

namespace KvsInference.Tools.AwsModelGen;

/// <summary>Writes the request, response and structure classes of one API, shaped like aws-sdk-net's model classes.</summary>
internal static class TypeWriter
{
    public static string Write(ServiceModel model)
    {
        var w = new CodeWriter();
        w.Header($"the AWS service model {model.Api.ModelName} {model.Api.ApiVersion} (botocore data of Debian's awscli)");
        w.Line("using System.Text.Json.Serialization;").Line();
        w.Line($"namespace KvsInference.Aws.Generated.{model.Api.Namespace};");
        foreach (var (name, shape) in model.TypeShapes)
        {
            if (ServiceModel.Str(shape, "type") != "structure") continue;
            var className = model.ClassName(name);
            var role = model.InputOf.TryGetValue(name, out var i) ? $"The input of {i}"
                : model.OutputOf.TryGetValue(name, out var o) ? $"The output of {o}" : "The structure";
            w.Line();
            w.Line($"/// <summary>{role} (shape <c>{name}</c> of {model.Api.ModelName} {model.Api.ApiVersion}).</summary>");
            // A streamed body (GetMedia's MKV) holds an HTTP connection open: the response owns it, as in aws-sdk-net.
            var streamedPayload = StreamedPayload(model, shape);
            w.Line($"public sealed partial class {className}{(streamedPayload is null ? "" : " : System.IDisposable")}").Open();
            var required = shape.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(e => e.GetString()!).ToHashSet(StringComparer.Ordinal) : [];
            var payload = ServiceModel.Str(shape, "payload");
            var first = true;
            foreach (var member in shape.GetProperty("members").EnumerateObject())
            {
                if (!first) w.Line();
                first = false;
                var memberShapeName = member.Value.GetProperty("shape").GetString()!;
                var memberShape = model.TypeShapes[memberShapeName];
                var location = ServiceModel.Str(member.Value, "location");
                var wireName = ServiceModel.Str(member.Value, "locationName") ?? member.Name;
                var where = member.Name == payload ? "; the whole HTTP body"
                    : location is null ? "" : $"; sent in {location} <c>{wireName}</c>";
                w.Line($"/// <summary>Gets or sets {member.Name}: {Describe(model, memberShapeName, memberShape)}{(required.Contains(member.Name) ? ", required" : "")}{where}.</summary>");
                if (location is not null || member.Name == payload) w.Line("[JsonIgnore]");
                else w.Line($"[JsonPropertyName({ModelGenerator.Literal(wireName)})]");
                if (ServiceModel.Str(memberShape, "type") == "timestamp") w.Line("[JsonConverter(typeof(KvsInference.Aws.AwsEpochSecondsConverter))]");
                // Properties are PascalCase as in aws-sdk-net (WebRTC storage's members are camelCase on the wire).
                var pascal = char.ToUpperInvariant(member.Name[0]) + member.Name[1..];
                var propertyName = pascal == className ? pascal + "Value" : pascal;
                w.Line($"public {CsType(model, memberShapeName, element: false)}? {propertyName} {{ get; set; }}");
            }
            if (streamedPayload is not null)
            {
                w.Line();
                w.Line($"/// <summary>Closes <see cref=\"{streamedPayload}\"/> and the connection it is read from.</summary>");
                w.Line($"public void Dispose() => {streamedPayload}?.Dispose();");
            }
            w.Close();
        }
        // aws-sdk-net has a request and a response type for every operation, also where the model defines no shape for them.
        foreach (var (name, op) in model.Operations)
        {
            foreach (var (role, suffix) in new[] { ("input", "Request"), ("output", "Response") })
            {
                if (ServiceModel.Ref(op, role) is not null) continue;
                w.Line();
                w.Line($"/// <summary>The {role} of {name} (the model of {model.Api.ModelName} {model.Api.ApiVersion} defines no {role} members).</summary>");
                w.Line($"public sealed partial class {name}{suffix}").Open().Close();
            }
        }
        WriteJsonContext(w, model);
        return w.ToString();
    }

    /// <summary>The source-generated System.Text.Json metadata of every request and response, so the clients need no reflection.</summary>
    private static void WriteJsonContext(CodeWriter w, ServiceModel model)
    {
        w.Line();
        w.Line($"/// <summary>System.Text.Json metadata of the {model.Api.ModelName} requests and responses; null members are left out, as the AWS SDKs send them.</summary>");
        w.Line("[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]");
        foreach (var (name, _) in model.Operations)
        {
            w.Line($"[JsonSerializable(typeof({name}Request))]");
            w.Line($"[JsonSerializable(typeof({name}Response))]");
        }
        w.Line($"public sealed partial class {model.Api.Namespace}ModelJsonContext : JsonSerializerContext;");
    }

    private static string? StreamedPayload(ServiceModel model, JsonElement shape)
    {
        var payload = ServiceModel.Str(shape, "payload");
        if (payload is null || !shape.GetProperty("members").TryGetProperty(payload, out var member)) return null;
        var target = model.TypeShapes[member.GetProperty("shape").GetString()!];
        return target.TryGetProperty("streaming", out var s) && s.GetBoolean() ? payload : null;
    }

    private static string CsType(ServiceModel model, string shapeName, bool element)
    {
        var shape = model.TypeShapes[shapeName];
        return ServiceModel.Str(shape, "type") switch
        {
            "structure" => model.ClassName(shapeName),
            "list" => $"List<{CsType(model, ServiceModel.Ref(shape, "member")!, element: true)}>",
            "map" => $"Dictionary<string, {CsType(model, ServiceModel.Ref(shape, "value")!, element: true)}>",
            "string" => "string",
            "integer" => "int",
            "long" => "long",
            "boolean" => "bool",
            "double" => "double",
            "float" => "float",
            "timestamp" when !element => "DateTimeOffset",
            "blob" => shape.TryGetProperty("streaming", out var s) && s.GetBoolean() ? "System.IO.Stream" : "byte[]",
            var t => throw new ModelException($"{model.Api.ModelName}: shape {shapeName} of type {t}{(element ? " inside a list or map" : "")} is not supported."),
        };
    }

    private static string Describe(ServiceModel model, string shapeName, JsonElement shape)
    {
        var type = ServiceModel.Str(shape, "type")!;
        var text = type is "structure" or "list" or "map" ? $"{type} <c>{shapeName}</c>" : type;
        if (shape.TryGetProperty("enum", out var values))
            text += ", one of " + string.Join(", ", values.EnumerateArray().Select(v => SecurityElement.Escape(v.GetString()!)));
        var min = ServiceModel.Long(shape, "min");
        var max = ServiceModel.Long(shape, "max");
        if (min is not null || max is not null)
            text += (type is "integer" or "long" or "double" or "float" ? ", value " : ", length ") + $"{(min?.ToString() ?? "")}..{(max?.ToString() ?? "")}";
        return text;
    }
}
