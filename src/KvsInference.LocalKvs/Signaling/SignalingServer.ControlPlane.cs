using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace KvsInference.LocalKvs.Signaling;

/// <summary>The KVS control-plane calls the SDKs and apps make, in the AWS REST-JSON shapes (POST, JSON in and out).</summary>
public sealed partial class SignalingServer
{
    private const int MaxRequestBytes = 64 * 1024;

    internal static readonly JsonSerializerOptions AwsJson = new()
    {
        PropertyNamingPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Handles one control-plane operation (createSignalingChannel, describeSignalingChannel, listSignalingChannels,
    /// deleteSignalingChannel, getSignalingChannelEndpoint, v1/get-ice-server-config).</summary>
    /// <param name="context">The POST request.</param>
    /// <param name="operation">Which operation the route named.</param>
    /// <param name="pathPrefix">The prefix the endpoints are mounted under (for the advertised endpoint URLs).</param>
    public async Task HandleApiAsync(HttpContext context, string operation, string pathPrefix)
    {
        ArgumentNullException.ThrowIfNull(context);
        byte[] body;
        using (var ms = new MemoryStream())
        {
            var chunk = new byte[8192];
            int n;
            while ((n = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                if (ms.Length + n > MaxRequestBytes)
                {
                    await WriteErrorAsync(context, 400, "InvalidArgumentException", $"The request body exceeds {MaxRequestBytes} bytes.");
                    return;
                }
                ms.Write(chunk, 0, n);
            }
            body = ms.ToArray();
        }
        JsonElement request;
        try
        {
            using var doc = JsonDocument.Parse(body.Length == 0 ? "{}"u8.ToArray() : body);
            request = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            await WriteErrorAsync(context, 400, "InvalidArgumentException", "The request body is not valid JSON: " + e.Message);
            return;
        }
        if (request.ValueKind != JsonValueKind.Object)
        {
            await WriteErrorAsync(context, 400, "InvalidArgumentException", "The request body must be a JSON object.");
            return;
        }

        var arn = Str(request, "ChannelARN");
        var authError = AuthenticateApi(context, body, operation, request);
        if (authError is not null)
        {
            _logger.LogWarning("signaling: refused {Operation}: {Reason}", operation, authError.Value.Reason);
            // The kinesis-video-signaling model (GetIceServerConfig) has NotAuthorizedException where the kinesisvideo
            // control plane has AccessDeniedException; SDKs only map the modelled code to their typed exception.
            var denied = operation == "get-ice-server-config" ? "NotAuthorizedException" : "AccessDeniedException";
            await WriteErrorAsync(context, authError.Value.Status, authError.Value.Reason == NoApiCredential ? "MissingAuthenticationTokenException" : denied,
                authError.Value.Reason);
            return;
        }

        switch (operation)
        {
            case "createSignalingChannel":
                await CreateAsync(context, request);
                return;
            case "listSignalingChannels":
                await ListAsync(context, request);
                return;
        }

        var channel = arn is not null ? FindChannel(arn) : Str(request, "ChannelName") is { } name ? FindChannelByName(name) : null;
        if (channel is null)
        {
            await WriteErrorAsync(context, 404, "ResourceNotFoundException",
                arn is null && Str(request, "ChannelName") is null ? "ChannelARN is required." : $"The signaling channel {arn ?? Str(request, "ChannelName")} does not exist.");
            return;
        }
        switch (operation)
        {
            case "describeSignalingChannel":
                await context.Response.WriteAsJsonAsync(new { ChannelInfo = Info(channel) }, AwsJson);
                return;
            case "deleteSignalingChannel":
                await DeleteChannelAsync(channel.Arn);
                await context.Response.WriteAsJsonAsync(new { }, AwsJson);
                return;
            case "getSignalingChannelEndpoint":
                await GetEndpointAsync(context, request, pathPrefix);
                return;
            case "get-ice-server-config":
                await context.Response.WriteAsJsonAsync(new
                {
                    IceServerList = Options.IceServers.Select(s => new
                    {
                        Uris = s.Uris,
                        Username = s.Username,
                        Password = s.Password,
                        Ttl = s.Username is null ? (int?)null : SignalingConstants.IceServerTtlSeconds,
                    }).ToList(),
                }, AwsJson);
                return;
            default:
                await WriteErrorAsync(context, 404, "UnknownOperationException", $"Unknown operation {operation}.");
                return;
        }
    }

    /// <summary>ListSignalingChannels: by name, at most MaxResults (1..10000) per page, optionally only names that begin
    /// with ChannelNameCondition's value, paged by NextToken as KVS pages.</summary>
    private async Task ListAsync(HttpContext context, JsonElement request)
    {
        var max = SignalingConstants.MaxListChannelsResults;
        if (request.TryGetProperty("MaxResults", out var m) && (m.ValueKind != JsonValueKind.Number || !m.TryGetInt32(out max)
            || max is < 1 or > SignalingConstants.MaxListChannelsResults))
        {
            await WriteErrorAsync(context, 400, "InvalidArgumentException", $"MaxResults must be an integer from 1 to {SignalingConstants.MaxListChannelsResults}.");
            return;
        }
        string? prefix = null;
        if (request.TryGetProperty("ChannelNameCondition", out var condition) && condition.ValueKind == JsonValueKind.Object)
        {
            if (Str(condition, "ComparisonOperator") is { } op && op != "BEGINS_WITH")
            {
                await WriteErrorAsync(context, 400, "InvalidArgumentException", $"ComparisonOperator must be BEGINS_WITH, not {op}.");
                return;
            }
            prefix = Str(condition, "ComparisonValue");
        }
        if (!KvsListPage.TryDecode(Str(request, "NextToken"), out var after))
        {
            await WriteErrorAsync(context, 400, "InvalidArgumentException", "NextToken is not a token this service returned.");
            return;
        }
        var channels = Channels
            .Where(c => (prefix is null || c.Name.StartsWith(prefix, StringComparison.Ordinal)) && (after is null || string.CompareOrdinal(c.Name, after) > 0))
            .OrderBy(c => c.Name, StringComparer.Ordinal).Take(max + 1).ToList();
        var page = channels.Take(max).ToList();
        await context.Response.WriteAsJsonAsync(new
        {
            ChannelInfoList = page.Select(Info).ToList(),
            NextToken = channels.Count > max ? KvsListPage.Encode(page[^1].Name) : null,
        }, AwsJson);
    }

    private async Task CreateAsync(HttpContext context, JsonElement request)
    {
        var name = Str(request, "ChannelName");
        var type = Str(request, "ChannelType") ?? "SINGLE_MASTER";
        if (type != "SINGLE_MASTER")
        {
            await WriteErrorAsync(context, 400, "InvalidArgumentException", $"ChannelType {type} is not supported; use SINGLE_MASTER.");
            return;
        }
        try
        {
            var channel = CreateChannel(name!);
            await context.Response.WriteAsJsonAsync(new { ChannelARN = channel.Arn }, AwsJson);
        }
        catch (ArgumentException e)
        {
            await WriteErrorAsync(context, 400, "InvalidArgumentException", e.Message);
        }
        catch (InvalidOperationException e)
        {
            await WriteErrorAsync(context, 400, "ResourceInUseException", e.Message);
        }
    }

    private async Task GetEndpointAsync(HttpContext context, JsonElement request, string pathPrefix)
    {
        var protocols = new List<string>();
        if (request.TryGetProperty("SingleMasterChannelEndpointConfiguration", out var config) && config.ValueKind == JsonValueKind.Object
            && config.TryGetProperty("Protocols", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var p in list.EnumerateArray())
            {
                if (p.GetString() is not ("WSS" or "HTTPS" or "WEBRTC") and var bad)
                {
                    await WriteErrorAsync(context, 400, "InvalidArgumentException", $"Protocol '{bad}' is not one of WSS, HTTPS, WEBRTC.");
                    return;
                }
                protocols.Add(p.GetString()!);
            }
        }
        if (protocols.Count == 0) protocols.AddRange(["WSS", "HTTPS"]);
        var secure = context.Request.IsHttps;
        var host = context.Request.Host.Value;
        var wss = Options.WssEndpoint?.ToString().TrimEnd('/') ?? $"{(secure ? "wss" : "ws")}://{host}{pathPrefix}";
        var https = Options.HttpsEndpoint?.ToString().TrimEnd('/') ?? $"{(secure ? "https" : "http")}://{host}{pathPrefix}";
        var endpoints = protocols.Where(p => p != "WEBRTC")
            .Select(p => new { Protocol = p, ResourceEndpoint = p == "WSS" ? wss : https }).ToList();
        await context.Response.WriteAsJsonAsync(new { ResourceEndpointList = endpoints }, AwsJson);
    }

    /// <summary>The operations a meeting token may call, and only about its own channel: what a KVS viewer or master
    /// needs to connect (DescribeSignalingChannel, GetSignalingChannelEndpoint, GetIceServerConfig). Creating, listing
    /// and deleting channels is the operator's, and needs SigV4.</summary>
    private static readonly HashSet<string> TokenOperations = new(StringComparer.Ordinal)
    {
        "describeSignalingChannel", "getSignalingChannelEndpoint", "get-ice-server-config",
    };

    // AWS answers a call without any credential 403 MissingAuthenticationTokenException (not 401), as it answers a refused one 403.
    private const string NoApiCredential = "The request carries neither a SigV4 Authorization header nor a Bearer meeting token.";

    private (int Status, string Reason)? AuthenticateApi(HttpContext context, byte[] body, string operation, JsonElement request)
    {
        var authorization = Header(context, "Authorization");
        if (authorization is not null && authorization.StartsWith("AWS4-HMAC-SHA256 ", StringComparison.Ordinal))
        {
            var why = _sigV4.VerifyHeader(context.Request.Method, context.Request.Path.Value ?? "/",
                context.Request.QueryString.Value ?? "", name => Header(context, name), body);
            return why is null ? null : (403, why);
        }
        if (authorization is not null && authorization.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            if (!TokenOperations.Contains(operation))
            {
                return (403, $"A meeting token does not authorize {operation}; it needs a SigV4 signature.");
            }
            // The channel must be named by ARN only: a ChannelName next to it could select another channel.
            var arn = Str(request, "ChannelARN");
            if (arn is null || request.TryGetProperty("ChannelName", out _))
            {
                return (403, "A meeting token only authorizes calls that name its channel by ChannelARN (and no ChannelName).");
            }
            var token = authorization["Bearer ".Length..].Trim();
            var why = Tokens.ValidateForChannel(token, arn);
            return why is null ? null : (403, why);
        }
        return Options.AllowAnonymous ? null : (403, NoApiCredential);
    }

    private object Info(SignalingChannel channel) => new
    {
        ChannelARN = channel.Arn,
        ChannelName = channel.Name,
        ChannelStatus = "ACTIVE",
        ChannelType = "SINGLE_MASTER",
        CreationTime = channel.CreatedAt.ToUnixTimeMilliseconds() / 1000.0,
        SingleMasterConfiguration = new { MessageTtlSeconds = SignalingConstants.DefaultMessageTtlSeconds },
        Version = channel.CreatedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
    };

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
}
