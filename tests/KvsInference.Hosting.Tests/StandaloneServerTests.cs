using System.Net;
using KvsInference.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace KvsInference.Tests;

public class StandaloneServerTests
{
    [Fact]
    public void CreateBuilder_NoEndpoints_ThrowsNamingThem()
    {
        var e = Assert.Throws<ArgumentException>(() => StandaloneServer.CreateBuilder(new StandaloneServerOptions()));
        Assert.Contains("Urls or Listen", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateBuilder_BothUrlsAndListen_Throws()
    {
        Assert.Throws<ArgumentException>(() => StandaloneServer.CreateBuilder(new StandaloneServerOptions { Urls = "http://127.0.0.1:0", Listen = _ => { } }));
    }

    [Fact]
    public async Task BoundAddresses_ListenOnLoopbackPortZero_ReportsTheBoundPortAndServes()
    {
        var app = StandaloneServer.CreateBuilder(new StandaloneServerOptions { Listen = k => StandaloneServer.ListenOn(k, "127.0.0.1", 0) }).Build();
        app.MapGet("/", () => "ok");
        await app.StartAsync();
        try
        {
            var address = new Uri(Assert.Single(app.BoundAddresses()));
            Assert.Equal("127.0.0.1", address.Host);
            Assert.NotEqual(0, address.Port);
            using var http = new HttpClient();
            using var response = await http.GetAsync(address);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(response.Headers.Contains("Server"));
        }
        finally
        {
            await app.StopAndDisposeAsync(TimeSpan.FromSeconds(5));
        }
    }

    [Fact]
    public async Task CreateBuilder_LongLivedStreams_LiftsBodyCapAndDataRates()
    {
        var app = StandaloneServer.CreateBuilder(new StandaloneServerOptions { Urls = "http://127.0.0.1:0", LongLivedStreams = true }).Build();
        var kestrel = app.Services.GetService(typeof(Microsoft.Extensions.Options.IOptions<KestrelServerOptions>)) as Microsoft.Extensions.Options.IOptions<KestrelServerOptions>;
        Assert.NotNull(kestrel);
        Assert.Null(kestrel.Value.Limits.MaxRequestBodySize);
        Assert.Null(kestrel.Value.Limits.MinRequestBodyDataRate);
        Assert.Null(kestrel.Value.Limits.MinResponseDataRate);
        await app.DisposeAsync();
    }
}
