using System.Globalization;
using System.Text.Json;
using KvsInference.Aws;
using KvsInference.Aws.Generated;

namespace KvsInference.TestSupport;

/// <summary>
/// Checks HTTP requests and responses against the official AWS service models (<see cref="AwsServiceModels"/>, generated
/// from botocore's service-2.json): method, path, query, headers, JSON members with their types and required members, and
/// that an error carries a code the operation models. Each check returns the violations, empty when the message conforms.
/// </summary>
public static class AwsModelConformance
{
    /// <summary>
    /// The errors every AWS JSON API may answer without modelling them (AWS "Common Errors": malformed body, signature,
    /// credentials, throttling and internal failures).
    /// </summary>
    public static readonly IReadOnlySet<string> CommonErrors = new HashSet<string>(StringComparer.Ordinal)
    {
        "SerializationException", "IncompleteSignatureException", "InvalidSignatureException", "MissingAuthenticationTokenException",
        "UnrecognizedClientException", "RequestExpired", "ThrottlingException", "InternalFailure", "ServiceUnavailable",
    };

    /// <summary>Finds the operation a request calls: by X-Amz-Target for JSON 1.1, else by method and path among the rest-json models.</summary>
    /// <returns>The model and operation, or null when no used operation matches.</returns>
    public static (AwsServiceModel Service, AwsOperationModel Operation)? Identify(string method, Uri uri, Func<string, string?> header)
    {
        if (header("X-Amz-Target") is { } target)
        {
            foreach (var s in AwsServiceModels.All.Where(s => s.Protocol == "json"))
                if (target.StartsWith(s.TargetPrefix + ".", StringComparison.Ordinal) && s.Operations.TryGetValue(target[(s.TargetPrefix!.Length + 1)..], out var op))
                    return (s, op);
            return null;
        }
        foreach (var s in AwsServiceModels.All.Where(s => s.Protocol == "rest-json"))
            foreach (var op in s.Operations.Values)
                if (op.Method == method && MatchPath(op.RequestUri, uri.AbsolutePath) is not null) return (s, op);
        return null;
    }

    /// <summary>Checks a request against its operation's input shape.</summary>
    public static List<string> CheckRequest(AwsServiceModel service, AwsOperationModel op, string method, Uri uri, Func<string, string?> header, string body)
    {
        var v = new List<string>();
        var where = $"{service.ModelName}:{op.Name} request";
        if (method != op.Method) v.Add($"{where}: method {method}, model says {op.Method}");
        var input = op.Input is null ? null : service.Shapes[op.Input];
        if (service.Protocol == "json")
        {
            if (uri.AbsolutePath != "/") v.Add($"{where}: path {uri.AbsolutePath}, JSON 1.1 posts to /");
            if (header("X-Amz-Target") != service.TargetPrefix + "." + op.Name) v.Add($"{where}: X-Amz-Target {header("X-Amz-Target")}, expected {service.TargetPrefix}.{op.Name}");
            var contentType = header("Content-Type") ?? "";
            if (!contentType.StartsWith("application/x-amz-json-" + service.JsonVersion, StringComparison.Ordinal))
                v.Add($"{where}: Content-Type '{contentType}', expected application/x-amz-json-{service.JsonVersion}");
            CheckJsonBody(service, input, body, where, v);
            return v;
        }
        var labels = MatchPath(op.RequestUri, uri.AbsolutePath);
        if (labels is null) { v.Add($"{where}: path {uri.AbsolutePath} does not match {op.RequestUri}"); return v; }
        var query = ParseQuery(uri.Query);
        if (input is null) return v;
        foreach (var m in input.Members.Values)
        {
            string? value = m.Location switch
            {
                "uri" => labels.GetValueOrDefault(m.LocationName),
                "querystring" => query.Remove(m.LocationName, out var q) ? q : null,
                "header" => header(m.LocationName),
                _ => null,
            };
            if (m.Location is "uri" or "querystring" or "header")
            {
                if (value is null && input.Required.Contains(m.Name)) v.Add($"{where}: required {m.Location} member {m.Name} ({m.LocationName}) missing");
                if (value is not null) CheckScalarText(service, m.Shape, value, $"{where} {m.Location} {m.LocationName}", v);
            }
        }
        foreach (var extra in query.Keys) v.Add($"{where}: query parameter {extra} is not in the model");
        if (input.Payload is { } payload)
        {
            var shape = service.Shapes[input.Members[payload].Shape];
            if (shape.Type == "structure") CheckJsonBody(service, shape, body, where, v);
            else if (body.Length == 0 && input.Required.Contains(payload)) v.Add($"{where}: required payload {payload} is empty");
        }
        else CheckJsonBody(service, input, body, where, v);
        return v;
    }

    /// <summary>Checks a response: success status and output shape, or a modelled error code.</summary>
    /// <param name="body">The body, or null when it is a stream the caller did not read (streaming payloads).</param>
    public static List<string> CheckResponse(AwsServiceModel service, AwsOperationModel op, int status, Func<string, string?> header, string? body)
    {
        var v = new List<string>();
        var where = $"{service.ModelName}:{op.Name} response";
        if (status >= 300)
        {
            var code = ErrorCode(header, body);
            if (code is null) v.Add($"{where}: status {status} without x-amzn-ErrorType or __type");
            else if (!op.Errors.Contains(code) && !CommonErrors.Contains(code)) v.Add($"{where}: error code {code} is not one of the modelled errors ({string.Join(", ", op.Errors)})");
            else if (body is { Length: > 0 })
            {
                try { using var doc = JsonDocument.Parse(body); if (doc.RootElement.ValueKind != JsonValueKind.Object) v.Add($"{where}: error body is not a JSON object"); }
                catch (JsonException) { v.Add($"{where}: error body is not JSON: {Truncate(body)}"); }
            }
            return v;
        }
        if (status != op.ResponseCode) v.Add($"{where}: status {status}, model says {op.ResponseCode}");
        var output = op.Output is null ? null : service.Shapes[op.Output];
        if (output is null) return v;
        foreach (var m in output.Members.Values.Where(m => m.Location == "header"))
            if (header(m.LocationName) is { } value) CheckScalarText(service, m.Shape, value, $"{where} header {m.LocationName}", v);
        if (output.Payload is { } payload)
        {
            var shape = service.Shapes[output.Members[payload].Shape];
            if (shape.Type == "structure" && body is not null) CheckJsonBody(service, shape, body, where, v);
        }
        else if (body is not null) CheckJsonBody(service, output, body, where, v);
        return v;
    }

    /// <summary>The error code of a response: x-amzn-ErrorType up to ':', else the body's __type after '#'.</summary>
    public static string? ErrorCode(Func<string, string?> header, string? body)
    {
        if (header("x-amzn-ErrorType") is { Length: > 0 } h) return h.Split(':')[0];
        if (string.IsNullOrEmpty(body)) return null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("__type", out var t) && t.GetString() is { } type)
                return type[(type.LastIndexOf('#') + 1)..];
        }
        catch (JsonException) { }
        return null;
    }

    /// <summary>Checks a JSON value against a shape, adding each violation (with its JSON path) to <paramref name="v"/>.</summary>
    public static void CheckValue(AwsServiceModel service, string shapeName, JsonElement value, string path, List<string> v)
    {
        var shape = service.Shapes[shapeName];
        switch (shape.Type)
        {
            case "structure":
                if (value.ValueKind != JsonValueKind.Object) { v.Add($"{path}: {Kind(value)}, model says structure {shapeName}"); return; }
                var bodyMembers = shape.Members.Values.Where(m => m.Location == "body").ToDictionary(m => m.LocationName, StringComparer.Ordinal);
                foreach (var p in value.EnumerateObject())
                {
                    if (!bodyMembers.TryGetValue(p.Name, out var m)) { v.Add($"{path}.{p.Name}: not a member of {shapeName} (members: {string.Join(", ", bodyMembers.Keys)})"); continue; }
                    if (p.Value.ValueKind == JsonValueKind.Null) { v.Add($"{path}.{p.Name}: null (omit the member instead)"); continue; }
                    CheckValue(service, m.Shape, p.Value, $"{path}.{p.Name}", v);
                }
                foreach (var r in shape.Required)
                    if (shape.Members[r].Location == "body" && (!value.TryGetProperty(shape.Members[r].LocationName, out var rv) || rv.ValueKind == JsonValueKind.Null))
                        v.Add($"{path}.{r}: required by {shapeName} but missing");
                break;
            case "list":
                if (value.ValueKind != JsonValueKind.Array) { v.Add($"{path}: {Kind(value)}, model says list {shapeName}"); return; }
                CheckRange(shape, value.GetArrayLength(), path, "length", v);
                var i = 0;
                foreach (var e in value.EnumerateArray()) CheckValue(service, shape.Member!, e, $"{path}[{i++}]", v);
                break;
            case "map":
                if (value.ValueKind != JsonValueKind.Object) { v.Add($"{path}: {Kind(value)}, model says map {shapeName}"); return; }
                var n = 0;
                foreach (var p in value.EnumerateObject())
                {
                    n++;
                    CheckScalarText(service, shape.Key!, p.Name, $"{path} key '{p.Name}'", v);
                    CheckValue(service, shape.Value!, p.Value, $"{path}.{p.Name}", v);
                }
                CheckRange(shape, n, path, "entries", v);
                break;
            case "string":
                if (value.ValueKind != JsonValueKind.String) { v.Add($"{path}: {Kind(value)}, model says string"); return; }
                CheckScalarText(service, shapeName, value.GetString()!, path, v);
                break;
            case "integer" or "long":
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var l)) { v.Add($"{path}: {Kind(value)} {value}, model says {shape.Type}"); return; }
                if (shape.Type == "integer" && (l < int.MinValue || l > int.MaxValue)) v.Add($"{path}: {l} does not fit an integer");
                CheckRange(shape, l, path, "value", v);
                break;
            case "float" or "double":
                if (value.ValueKind != JsonValueKind.Number) v.Add($"{path}: {Kind(value)}, model says {shape.Type}");
                break;
            case "boolean":
                if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) v.Add($"{path}: {Kind(value)}, model says boolean");
                break;
            case "timestamp":
                // JSON protocols send timestamps as epoch seconds (a number, fractions allowed) unless the model says otherwise.
                if (value.ValueKind != JsonValueKind.Number) v.Add($"{path}: {Kind(value)} {value}, model says timestamp (epoch seconds)");
                break;
            case "blob":
                if (value.ValueKind != JsonValueKind.String) { v.Add($"{path}: {Kind(value)}, model says blob (base64 string)"); return; }
                var bytes = new byte[value.GetString()!.Length];
                if (!Convert.TryFromBase64String(value.GetString()!, bytes, out var written)) v.Add($"{path}: not base64");
                else CheckRange(shape, written, path, "length", v);
                break;
            default:
                v.Add($"{path}: shape {shapeName} of type {shape.Type} is not checked");
                break;
        }
    }

    private static void CheckJsonBody(AwsServiceModel service, AwsShapeModel? shape, string body, string where, List<string> v)
    {
        if (shape is null) return;
        // An empty body stands for {} (botocore and the SDKs accept both for a structure without required members).
        var text = body.Length == 0 ? "{}" : body;
        try
        {
            using var doc = JsonDocument.Parse(text);
            CheckValue(service, shape.Name, doc.RootElement, where + " $", v);
        }
        catch (JsonException e) { v.Add($"{where}: body is not JSON ({e.Message}): {Truncate(body)}"); }
    }

    private static void CheckScalarText(AwsServiceModel service, string shapeName, string text, string path, List<string> v)
    {
        var shape = service.Shapes[shapeName];
        switch (shape.Type)
        {
            case "string":
                if (shape.Enum.Count > 0 && !shape.Enum.Contains(text)) v.Add($"{path}: '{text}' is not one of {string.Join(", ", shape.Enum)}");
                CheckRange(shape, text.Length, path, "length", v);
                break;
            case "integer" or "long":
                if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) v.Add($"{path}: '{text}' is not an integer");
                else CheckRange(shape, l, path, "value", v);
                break;
            case "boolean":
                if (text is not ("true" or "false")) v.Add($"{path}: '{text}' is not a boolean");
                break;
        }
    }

    private static void CheckRange(AwsShapeModel shape, long n, string path, string what, List<string> v)
    {
        if (shape.Min is { } min && n < min) v.Add($"{path}: {what} {n} below the minimum {min} of {shape.Name}");
        if (shape.Max is { } max && n > max) v.Add($"{path}: {what} {n} above the maximum {max} of {shape.Name}");
    }

    /// <summary>Matches a path against a request URI template; returns the URI labels, or null when it does not match.</summary>
    private static Dictionary<string, string>? MatchPath(string template, string path)
    {
        var t = template.Split('?')[0].Trim('/').Split('/');
        var p = path.Trim('/').Split('/');
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < t.Length; i++)
        {
            if (t[i].StartsWith('{') && t[i].EndsWith("+}", StringComparison.Ordinal))
            {
                if (i >= p.Length) return null;
                labels[t[i][1..^2]] = Uri.UnescapeDataString(string.Join('/', p[i..]));
                return labels;
            }
            if (i >= p.Length) return null;
            if (t[i].StartsWith('{')) { if (p[i].Length == 0) return null; labels[t[i][1..^1]] = Uri.UnescapeDataString(p[i]); }
            else if (!string.Equals(t[i], p[i], StringComparison.Ordinal)) return null;
        }
        return t.Length == p.Length ? labels : null;
    }

    private static Dictionary<string, string> ParseQuery(string query)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            result[Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq])] = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
        }
        return result;
    }

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();

    private static string Truncate(string s) => s.Length <= 200 ? s : s[..200] + "...";
}
