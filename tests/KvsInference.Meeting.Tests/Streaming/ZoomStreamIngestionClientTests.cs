using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KvsInference.Meeting.Streaming;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KvsInference.Tests.Streaming;

/// <summary>
/// Zoom's cloud cannot be reached from here: the calls go to a loopback stand-in of the Video SDK API that checks
/// the paths, bodies and the HS256 JWT in the Authorization header, and answers in Zoom's documented shapes.
/// </summary>
public sealed class ZoomStreamIngestionClientTests
{
    private const string Key = "zoom-sdk-key";
    private const string Secret = "zoom-sdk-secret-0123456789";

    private sealed record Seen(string Method, string RawTarget, string Body, JsonElement? Claims);

    private sealed class ZoomStandIn : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private ZoomStandIn(WebApplication app, Uri baseUrl)
        {
            _app = app;
            BaseUrl = baseUrl;
        }

        public Uri BaseUrl { get; }

        public List<Seen> Requests { get; } = [];

        public static async Task<ZoomStandIn> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            ZoomStandIn? self = null;
            app.Run(async context =>
            {
                var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
                var claims = VerifyJwt(context.Request.Headers.Authorization.ToString());
                var target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
                lock (self!.Requests) self.Requests.Add(new Seen(context.Request.Method, target, body, claims));
                if (claims is null)
                {
                    context.Response.StatusCode = 401;
                    await context.Response.WriteAsJsonAsync(new { code = 124, message = "Invalid access token." });
                    return;
                }
                if (context.Request.Method == "POST" && target == "/v2/videosdk/stream_ingestions")
                {
                    using var doc = JsonDocument.Parse(body);
                    var name = doc.RootElement.GetProperty("stream_name").GetString();
                    if (name == "too-many")
                    {
                        context.Response.StatusCode = 400;
                        await context.Response.WriteAsJsonAsync(new { code = 34016, message = "You can only create up to 20 stream ingestions." });
                        return;
                    }
                    context.Response.StatusCode = 201;
                    await context.Response.WriteAsJsonAsync(new Dictionary<string, string>
                    {
                        ["stream_id"] = "sfk/aOFJSJSYhGwk1hnxgw==",
                        ["stream_name"] = name!,
                        ["stream_description"] = "d",
                        ["stream_key"] = "ABCDEFG12345HIJ6789",
                        ["stream_url"] = "rtmp://127.0.0.1:1935/live1",
                        ["backup_stream_url"] = "rtmp://127.0.0.1:1936/live1",
                    });
                    return;
                }
                if (context.Request.Method == "PATCH" && target.StartsWith("/v2/videosdk/sessions/", StringComparison.Ordinal) && target.EndsWith("/events", StringComparison.Ordinal))
                {
                    context.Response.StatusCode = 202;
                    return;
                }
                if (context.Request.Method == "DELETE" && target.StartsWith("/v2/videosdk/stream_ingestions/", StringComparison.Ordinal))
                {
                    context.Response.StatusCode = 204;
                    return;
                }
                context.Response.StatusCode = 404;
                await context.Response.WriteAsJsonAsync(new { code = 404, message = "no such endpoint " + target });
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            self = new ZoomStandIn(app, new Uri(address + "/v2/"));
            return self;
        }

        // Zoom's check, done independently of the client: HS256 over header.claims with the secret, iss = key, not expired.
        private static JsonElement? VerifyJwt(string authorization)
        {
            if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal)) return null;
            var parts = authorization["Bearer ".Length..].Split('.');
            if (parts.Length != 3) return null;
            static byte[] Decode(string s) => Convert.FromBase64String(s.Replace('-', '+').Replace('_', '/').PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
            var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
            if (!CryptographicOperations.FixedTimeEquals(expected, Decode(parts[2]))) return null;
            using var header = JsonDocument.Parse(Decode(parts[0]));
            if (header.RootElement.GetProperty("alg").GetString() != "HS256" || header.RootElement.GetProperty("typ").GetString() != "JWT") return null;
            using var claims = JsonDocument.Parse(Decode(parts[1]));
            var c = claims.RootElement;
            if (c.GetProperty("iss").GetString() != Key) return null;
            if (c.GetProperty("exp").GetInt64() <= DateTimeOffset.UtcNow.ToUnixTimeSeconds()) return null;
            return c.Clone();
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task StartForSessionAsync_ValidCredentials_CreatesBindsAndStartsWithJwt()
    {
        await using var zoom = await ZoomStandIn.StartAsync();
        using var http = new HttpClient();
        var client = new ZoomStreamIngestionClient(http, new ZoomOptions { ApiBaseUrl = zoom.BaseUrl, ApiKey = Key, ApiSecret = Secret });

        var ingestion = await client.StartForSessionAsync("/abc//session==", "avatar");

        Assert.Equal(new Uri("rtmp://127.0.0.1:1935/live1/ABCDEFG12345HIJ6789"), ingestion.PublishUrl);
        Assert.Equal("sfk/aOFJSJSYhGwk1hnxgw==", ingestion.StreamId);
        Assert.Equal(3, zoom.Requests.Count);
        Assert.All(zoom.Requests, r => Assert.NotNull(r.Claims));
        var claims = zoom.Requests[0].Claims!.Value;
        Assert.Equal(1800, claims.GetProperty("exp").GetInt64() - claims.GetProperty("iat").GetInt64());

        Assert.Equal(("POST", "/v2/videosdk/stream_ingestions"), (zoom.Requests[0].Method, zoom.Requests[0].RawTarget));
        Assert.Equal("{\"stream_name\":\"avatar\",\"stream_description\":\"KvsInference avatar\"}", zoom.Requests[0].Body);
        // A session id starting with '/' or containing '//' is encoded twice in the path (Zoom's rule).
        var doubleEncoded = "/v2/videosdk/sessions/%252Fabc%252F%252Fsession%253D%253D/events";
        Assert.Equal(("PATCH", doubleEncoded), (zoom.Requests[1].Method, zoom.Requests[1].RawTarget));
        Assert.Equal("{\"method\":\"stream_ingestion.bind\",\"params\":{\"stream_ingestion_stream_id\":\"sfk/aOFJSJSYhGwk1hnxgw==\"}}", zoom.Requests[1].Body);
        Assert.Equal("{\"method\":\"stream_ingestion.send\",\"params\":{\"stream_ingestion_stream_id\":\"sfk/aOFJSJSYhGwk1hnxgw==\"}}", zoom.Requests[2].Body);

        await client.StopAsync("plain-session", ingestion.StreamId);
        await client.DeleteAsync(ingestion.StreamId);
        Assert.Equal("/v2/videosdk/sessions/plain-session/events", zoom.Requests[3].RawTarget);
        Assert.Equal(("DELETE", "/v2/videosdk/stream_ingestions/sfk%2FaOFJSJSYhGwk1hnxgw%3D%3D"), (zoom.Requests[4].Method, zoom.Requests[4].RawTarget));
    }

    [Fact]
    public async Task CreateAsync_WrongSecret_ZoomApiExceptionWithCode()
    {
        await using var zoom = await ZoomStandIn.StartAsync();
        using var http = new HttpClient();
        var client = new ZoomStreamIngestionClient(http, new ZoomOptions { ApiBaseUrl = zoom.BaseUrl, ApiKey = Key, ApiSecret = "wrong" });
        var e = await Assert.ThrowsAsync<ZoomApiException>(() => client.CreateAsync("avatar"));
        Assert.Equal((HttpStatusCode.Unauthorized, 124), (e.Status, e.Code));
        Assert.Contains("Invalid access token", e.Message);
    }

    [Fact]
    public async Task CreateAsync_LimitReached_ZoomErrorCodeSurfaced()
    {
        await using var zoom = await ZoomStandIn.StartAsync();
        using var http = new HttpClient();
        var client = new ZoomStreamIngestionClient(http, new ZoomOptions { ApiBaseUrl = zoom.BaseUrl, ApiKey = Key, ApiSecret = Secret });
        var e = await Assert.ThrowsAsync<ZoomApiException>(() => client.CreateAsync("too-many"));
        Assert.Equal((HttpStatusCode.BadRequest, 34016), (e.Status, e.Code));
    }

    [Fact]
    public async Task ResolveAsync_WithoutCredentials_UsesConfiguredRtmpUrlOrExplains()
    {
        using var http = new HttpClient();
        var (url, ingestion) = await AvatarStreamTarget.ResolveAsync(new ZoomOptions(), "session", new Uri("rtmp://127.0.0.1/live/key"), http);
        Assert.Equal(new Uri("rtmp://127.0.0.1/live/key"), url);
        Assert.Null(ingestion);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => AvatarStreamTarget.ResolveAsync(new ZoomOptions(), null, null, http));
        Assert.Contains("rtmp://", e.Message);
        Assert.Throws<ArgumentException>(() => new ZoomStreamIngestionClient(http, new ZoomOptions { ApiKey = Key }));
    }

    [Fact]
    public async Task ResolveAsync_WithCredentials_PushesToTheIngestion()
    {
        await using var zoom = await ZoomStandIn.StartAsync();
        using var http = new HttpClient();
        var (url, ingestion) = await AvatarStreamTarget.ResolveAsync(
            new ZoomOptions { ApiBaseUrl = zoom.BaseUrl, ApiKey = Key, ApiSecret = Secret }, "s1", new Uri("rtmp://unused/live/x"), http);
        Assert.Equal(new Uri("rtmp://127.0.0.1:1935/live1/ABCDEFG12345HIJ6789"), url);
        Assert.NotNull(ingestion);
    }
}
