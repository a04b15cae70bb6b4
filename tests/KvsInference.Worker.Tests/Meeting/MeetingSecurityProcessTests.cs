using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using KvsInference.Tests.EndToEnd;

namespace KvsInference.Tests.Meeting;

/// <summary>
/// The default run (`dotnet run --project src/KvsInference.Worker`, meeting page on the ops port, signaling under /kvs)
/// as a hostile page or a viewer with a join link would use it: a real worker process, real sockets.
/// </summary>
public sealed partial class MeetingSecurityProcessTests
{
    [Fact]
    public async Task DefaultRun_ViewerTokenAndForeignPages_CannotUseTheControlPlaneOrCreateMeetings()
    {
        var dir = Directory.CreateTempSubdirectory("kvsi-meeting-sec-").FullName;
        using var harness = new FleetHarness();
        using var worker = harness.StartWorkerProcess("worker", [], FleetHarness.LocalWorkerSettings(dir, sampleStreams: 0));
        var page = new Uri((await worker.WaitForLineAsync(PageLine(), TimeSpan.FromSeconds(60))).Groups[1].Value);
        using var http = new HttpClient { BaseAddress = page, Timeout = TimeSpan.FromSeconds(30) };

        // A cross-site no-cors fetch can only send text/plain (or a form type).
        using (var plain = await http.PostAsync("meeting/api/meetings", new StringContent("{}", Encoding.UTF8, "text/plain")))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, plain.StatusCode);
        }
        // A DNS-rebinding page reaches the port under its own name.
        using (var rebound = new HttpRequestMessage(HttpMethod.Post, "meeting/api/meetings") { Content = JsonContent.Create(new { video = false }) })
        {
            rebound.Headers.Host = "rebind.attacker.example:" + page.Port;
            using var response = await http.SendAsync(rebound);
            Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);
            Assert.DoesNotContain("masterToken", await response.Content.ReadAsStringAsync());
        }

        using var created = await http.PostAsJsonAsync("meeting/api/meetings", new { video = false });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var meeting = await created.Content.ReadFromJsonAsync<JsonElement>();
        var arn = meeting.GetProperty("channelArn").GetString()!;

        async Task<HttpStatusCode> ControlPlane(string operation, object body, string token)
        {
            // The AWS REST-JSON shapes are PascalCase (JsonContent would camel-case them).
            using var request = new HttpRequestMessage(HttpMethod.Post, "kvs/" + operation)
            {
                Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }
        var viewer = meeting.GetProperty("viewerToken").GetString()!;
        Assert.Equal(HttpStatusCode.Forbidden, await ControlPlane("deleteSignalingChannel", new { ChannelARN = arn }, viewer));
        Assert.Equal(HttpStatusCode.Forbidden, await ControlPlane("listSignalingChannels", new { ChannelARN = arn }, viewer));
        Assert.Equal(HttpStatusCode.Forbidden, await ControlPlane("createSignalingChannel", new { ChannelARN = arn, ChannelName = "squat" }, viewer));
        Assert.Equal(HttpStatusCode.OK, await ControlPlane("describeSignalingChannel", new { ChannelARN = arn }, viewer));

        // The master ends its meeting: the channel is gone.
        using (var end = new HttpRequestMessage(HttpMethod.Delete, "meeting/api/meetings/" + meeting.GetProperty("id").GetString()))
        {
            end.Headers.Authorization = new AuthenticationHeaderValue("Bearer", meeting.GetProperty("masterToken").GetString());
            using var response = await http.SendAsync(end);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, await ControlPlane("describeSignalingChannel", new { ChannelARN = arn }, viewer));
    }

    [GeneratedRegex(@"Meeting page: (http://127\.0\.0\.1:\d+/)")]
    private static partial Regex PageLine();
}
