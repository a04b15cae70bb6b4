using System.Net;
using System.Text;
using System.Text.Json;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using KvsInference.LocalKvs.Signaling;

namespace KvsInference.Tests.Signaling;

/// <summary>The KVS control-plane shapes, called with requests signed by AWSSDK.Core's own SigV4 signer.</summary>
public sealed class SignalingControlPlaneTests
{
    private const string AccessKey = "AKIDCONTROLPLANE";
    private const string Secret = "control-plane-secret";

    private static async Task<SignalingHost> StartAsync()
    {
        var options = new SignalingOptions();
        options.Credentials[AccessKey] = Secret;
        options.IceServers.Add(new IceServer(["turn:turn.example.org:3478?transport=udp"], "user", "pass"));
        options.IceServers.Add(new IceServer(["stun:127.0.0.1:3478"]));
        return await SignalingHost.StartAsync(options, new SignalingHostOptions { TlsPort = null });
    }

    private static HttpClient Signed(SignalingHost host, string secret = Secret) =>
        new(new SigV4SigningHandler(new BasicAWSCredentials(AccessKey, secret), RegionEndpoint.USWest2, "kinesisvideo", new SocketsHttpHandler()))
        {
            BaseAddress = host.PlainEndpoint,
        };

    private static async Task<(HttpStatusCode Status, JsonElement Body, string? ErrorType)> PostAsync(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsync(path, new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        return (response.StatusCode, doc.RootElement.Clone(),
            response.Headers.TryGetValues("x-amzn-ErrorType", out var v) ? v.First() : null);
    }

    [Fact]
    public async Task HandleApi_SignedCalls_CreateDescribeEndpointIceConfig()
    {
        await using var host = await StartAsync();
        using var client = Signed(host);

        var created = await PostAsync(client, "createSignalingChannel", new { ChannelName = "room-7", ChannelType = "SINGLE_MASTER" });
        Assert.Equal(HttpStatusCode.OK, created.Status);
        var arn = created.Body.GetProperty("ChannelARN").GetString()!;
        Assert.Matches("^arn:aws:kinesisvideo:us-west-2:123456789012:channel/room-7/[0-9]+$", arn);

        var described = await PostAsync(client, "describeSignalingChannel", new { ChannelARN = arn });
        var info = described.Body.GetProperty("ChannelInfo");
        Assert.Equal("room-7", info.GetProperty("ChannelName").GetString());
        Assert.Equal("ACTIVE", info.GetProperty("ChannelStatus").GetString());
        Assert.Equal("SINGLE_MASTER", info.GetProperty("ChannelType").GetString());

        var endpoints = await PostAsync(client, "getSignalingChannelEndpoint", new
        {
            ChannelARN = arn,
            SingleMasterChannelEndpointConfiguration = new { Protocols = new[] { "WSS", "HTTPS" }, Role = "VIEWER" },
        });
        var list = endpoints.Body.GetProperty("ResourceEndpointList").EnumerateArray()
            .ToDictionary(e => e.GetProperty("Protocol").GetString()!, e => e.GetProperty("ResourceEndpoint").GetString()!);
        Assert.Equal($"ws://127.0.0.1:{host.PlainEndpoint!.Port}", list["WSS"]);
        Assert.Equal($"http://127.0.0.1:{host.PlainEndpoint!.Port}", list["HTTPS"]);

        var ice = await PostAsync(client, "v1/get-ice-server-config", new { ChannelARN = arn, ClientId = "viewer-1", Service = "TURN" });
        var servers = ice.Body.GetProperty("IceServerList").EnumerateArray().ToList();
        Assert.Equal(2, servers.Count);
        Assert.Equal("turn:turn.example.org:3478?transport=udp", servers[0].GetProperty("Uris")[0].GetString());
        Assert.Equal("user", servers[0].GetProperty("Username").GetString());
        Assert.Equal(300, servers[0].GetProperty("Ttl").GetInt32());

        var again = await PostAsync(client, "createSignalingChannel", new { ChannelName = "room-7" });
        Assert.Equal((HttpStatusCode.BadRequest, "ResourceInUseException"), (again.Status, again.ErrorType));
        var missing = await PostAsync(client, "describeSignalingChannel", new { ChannelARN = arn + "0" });
        Assert.Equal((HttpStatusCode.NotFound, "ResourceNotFoundException"), (missing.Status, missing.ErrorType));
        Assert.Contains("does not exist", missing.Body.GetProperty("Message").GetString());
    }

    [Fact]
    public async Task HandleApi_WrongSecretOrUnsigned_Refused()
    {
        await using var host = await StartAsync();
        using var wrong = Signed(host, "another-secret");
        var refused = await PostAsync(wrong, "createSignalingChannel", new { ChannelName = "x" });
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDeniedException"), (refused.Status, refused.ErrorType));
        Assert.Contains("signature does not match", refused.Body.GetProperty("Message").GetString());

        using var plain = new HttpClient { BaseAddress = host.PlainEndpoint };
        var anonymous = await PostAsync(plain, "createSignalingChannel", new { ChannelName = "x" });
        Assert.Equal((HttpStatusCode.Forbidden, "MissingAuthenticationTokenException"), (anonymous.Status, anonymous.ErrorType));
        Assert.Empty(host.Server.Channels);
    }

    [Fact]
    public async Task HandleApi_MeetingToken_OnlyForItsOwnChannel()
    {
        await using var host = await StartAsync();
        var mine = host.Server.CreateChannel("mine");
        var other = host.Server.CreateChannel("other");
        using var client = new HttpClient { BaseAddress = host.PlainEndpoint };
        client.DefaultRequestHeaders.Authorization = new("Bearer", host.Server.Tokens.Issue(mine.Arn, SignalingRole.Viewer, "v", TimeSpan.FromMinutes(1)));

        Assert.Equal(HttpStatusCode.OK, (await PostAsync(client, "getSignalingChannelEndpoint", new { ChannelARN = mine.Arn })).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(client, "getSignalingChannelEndpoint", new { ChannelARN = other.Arn })).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(client, "createSignalingChannel", new { ChannelName = "new" })).Status);
    }

    [Fact]
    public async Task HandleApi_ListSignalingChannelsPaged_EveryChannelOfThePrefixOnceInNameOrder()
    {
        await using var host = await StartAsync();
        foreach (var name in new[] { "room-c", "other", "room-a", "room-b" }) host.Server.CreateChannel(name);
        using var signed = Signed(host);

        var names = new List<string>();
        string? next = null;
        var pages = 0;
        do
        {
            var page = await PostAsync(signed, "listSignalingChannels", new
            {
                MaxResults = 2, NextToken = next, ChannelNameCondition = new { ComparisonOperator = "BEGINS_WITH", ComparisonValue = "room-" },
            });
            Assert.Equal(HttpStatusCode.OK, page.Status);
            names.AddRange(page.Body.GetProperty("ChannelInfoList").EnumerateArray().Select(c => c.GetProperty("ChannelName").GetString()!));
            next = page.Body.TryGetProperty("NextToken", out var token) ? token.GetString() : null;
            pages++;
        }
        while (next is not null && pages < 10);
        var badToken = await PostAsync(signed, "listSignalingChannels", new { NextToken = "!not-ours!" });
        var badMax = await PostAsync(signed, "listSignalingChannels", new { MaxResults = 0 });

        Assert.Equal(["room-a", "room-b", "room-c"], names);
        Assert.Equal(2, pages);
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgumentException"), (badToken.Status, badToken.ErrorType));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgumentException"), (badMax.Status, badMax.ErrorType));
    }

    [Theory]
    [InlineData(SignalingRole.Viewer)]
    [InlineData(SignalingRole.Master)]
    public async Task HandleApi_MeetingTokenNamingItsChannel_CannotDeleteCreateOrList(SignalingRole role)
    {
        await using var host = await StartAsync();
        var mine = host.Server.CreateChannel("meeting-a");
        host.Server.CreateChannel("meeting-b");
        using var client = new HttpClient { BaseAddress = host.PlainEndpoint };
        client.DefaultRequestHeaders.Authorization = new("Bearer", host.Server.Tokens.Issue(mine.Arn, role, null, TimeSpan.FromMinutes(1)));

        var deleted = await PostAsync(client, "deleteSignalingChannel", new { ChannelARN = mine.Arn });
        var created = await PostAsync(client, "createSignalingChannel", new { ChannelARN = mine.Arn, ChannelName = "squatter" });
        var listed = await PostAsync(client, "listSignalingChannels", new { ChannelARN = mine.Arn });
        var byName = await PostAsync(client, "describeSignalingChannel", new { ChannelARN = mine.Arn, ChannelName = "meeting-b" });

        Assert.All(new[] { deleted, created, listed, byName }, r => Assert.Equal((HttpStatusCode.Forbidden, "AccessDeniedException"), (r.Status, r.ErrorType)));
        Assert.Contains("SigV4", deleted.Body.GetProperty("Message").GetString());
        Assert.False(listed.Body.TryGetProperty("ChannelInfoList", out _));
        Assert.Equal(["meeting-a", "meeting-b"], host.Server.Channels.Select(c => c.Name).Order(StringComparer.Ordinal));
        // What a client of the meeting needs still works.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(client, "describeSignalingChannel", new { ChannelARN = mine.Arn })).Status);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(client, "v1/get-ice-server-config", new { ChannelARN = mine.Arn })).Status);

        using var signed = Signed(host);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(signed, "deleteSignalingChannel", new { ChannelARN = mine.Arn })).Status);
        Assert.Null(host.Server.FindChannel(mine.Arn));
    }

    [Fact]
    public async Task HandleApi_MalformedBody_InvalidArgument()
    {
        await using var host = await StartAsync();
        using var client = Signed(host);
        using var response = await client.PostAsync("createSignalingChannel", new StringContent("{not json", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not valid JSON", await response.Content.ReadAsStringAsync());
        var badName = await PostAsync(client, "createSignalingChannel", new { ChannelName = "has spaces" });
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgumentException"), (badName.Status, badName.ErrorType));
    }
}
