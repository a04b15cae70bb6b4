using KvsInference.Meeting;
using KvsInference.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace KvsInference.Tests.Meeting;

/// <summary>
/// The meeting page as a person uses it, in Debian's headless Chromium (tools/node-tests/meeting-page-e2e.js) against
/// the meeting app in this process (local mode: signaling, media store, meeting API; no worker, so no records): every
/// control (start, copy link, mute, microphone choice, level meter, viewer count, sound, leave, end, diagnostics,
/// keyboard order) and every error path (microphone denied, 11th viewer, meeting ended, connection lost through a
/// proxy the script cuts and restores). Screenshots of both pages at desktop and phone width go to
/// <c>artifacts/screenshots/</c> under the repository root.
/// </summary>
public sealed class MeetingPageBrowserTests(ITestOutputHelper output)
{
    [Fact]
    public async Task MeetingPage_EveryControlAndErrorPath_WorksInHeadlessChromium()
    {
        BrowserScript.RequireTools();
        var wav = BrowserScript.SpeechWav("Hello everyone. Welcome to the meeting. Can you all hear me well?", "pad", "0", "1.5");
        // As the local worker: Chromium's audio+video offers exceed KVS's 10 KB payload limit once base64'd.
        await using var host = await LocalMeetingHost.StartAsync("kvsi-meeting-page-", o => o.StreamPrefix = "meeting-",
            signaling: o => o.MaxMessagePayloadChars = 64 * 1024);

        var screenshots = BrowserScript.Screenshots;
        var run = await BrowserScript.RunAsync("meeting-page-e2e.js", [host.Url, wav, screenshots], TimeSpan.FromSeconds(240));
        output.WriteLine(run.Output);
        output.WriteLine("screenshots: " + screenshots);
        Assert.True(run.Passed, run.Output);
        // The meeting the script ended is gone from the server too, and its link says so.
        Assert.Equal(0, host.App.Services.GetRequiredService<LocalMeetingService>().Count);
        foreach (var name in new[] { "meeting-master.png", "meeting-viewer.png", "meeting-master-phone.png", "meeting-viewer-phone.png" })
        {
            Assert.True(File.Exists(Path.Combine(screenshots, name)), name);
        }
    }
}
