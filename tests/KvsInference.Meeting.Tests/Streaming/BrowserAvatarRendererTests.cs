using System.ComponentModel.DataAnnotations;
using KvsInference.Avatar.Rendering;
using KvsInference.Avatar.Rendering3D;
using KvsInference.Inference;
using KvsInference.Meeting.Streaming;
using KvsInference.TestSupport;
using KvsInference.Tests.Meeting;

namespace KvsInference.Tests.Streaming;

/// <summary>The 3D avatar rendered server-side by headless Chromium (software WebGL), as the RTMP push draws it.</summary>
public sealed class BrowserAvatarRendererTests
{
    // Pixels of the mouth interior's colour in the head's mouth region, as LipSyncMeter counts them in the RTMP output.
    private static int MouthPixels(byte[] rgba, int width, int height)
    {
        var c = FaceRenderer.MouthInteriorColor;
        var region = AvatarHead.MouthRegion(width, height);
        int n = 0;
        for (int y = region.Top; y < region.Bottom; y++)
        {
            for (int x = region.Left; x < region.Right; x++)
            {
                int i = (y * width + x) * 4;
                if (Math.Abs(rgba[i] - c.Red) <= 40 && Math.Abs(rgba[i + 1] - c.Green) <= 40 && Math.Abs(rgba[i + 2] - c.Blue) <= 40) n++;
            }
        }
        return n;
    }

    private static void SavePng(byte[] rgba, int width, int height, string name)
    {
        using var bitmap = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(width, height, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Opaque));
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 90);
        File.WriteAllBytes(BrowserScript.ScreenshotPath(name), data.ToArray());
    }

    [Fact]
    public async Task RenderAsync_DefaultHead_MouthOpensWithAaAndRestsClosed()
    {
        BrowserScript.RequireAvatarLibraries();
        await using var renderer = await BrowserAvatarRenderer.StartAsync(320, 240, 25, new BrowserAvatarRendererOptions());
        Assert.Contains("default.glb", renderer.Description);
        var rgba = new byte[320 * 240 * 4];
        await renderer.RenderAsync(new VisemeFrame(0, 0, 0, 0, 0, 0, 1), 0, rgba, CancellationToken.None);
        int closed = MouthPixels(rgba, 320, 240);
        Assert.True(rgba.Where((_, i) => i % 4 == 3).All(a => a == 255), "the frame is not opaque");
        await renderer.RenderAsync(new VisemeFrame(1, 0, 0, 0, 0, 1, 0), 1, rgba, CancellationToken.None);
        int open = MouthPixels(rgba, 320, 240);
        SavePng(rgba, 320, 240, "avatar3d-rtmp-frame.png"); // what the RTMP push sends, for CI's artifacts
        await renderer.RenderAsync(new VisemeFrame(0.5f, 0, 0, 0, 0, 0.5f, 0.5f), 2, rgba, CancellationToken.None);
        int half = MouthPixels(rgba, 320, 240);
        Assert.True(closed < 20, $"{closed} mouth pixels with the mouth at rest");
        Assert.True(open > 150, $"only {open} mouth pixels with aa = 1");
        Assert.True(half > closed && half < open, $"half open: {half} mouth pixels, closed {closed}, open {open}");
    }

    // The frame asked for is the frame drawn: no frame of delay or lead between the request and the pixels (the RTMP
    // push pairs each frame's pixels with its audio, so any offset here would be an offset in the lip sync).
    [Fact]
    public async Task RenderAsync_AlternatingOpenAndClosed_EachFrameShowsItsOwnMouth()
    {
        BrowserScript.RequireAvatarLibraries();
        await using var renderer = await BrowserAvatarRenderer.StartAsync(320, 240, 25, new BrowserAvatarRendererOptions());
        var rgba = new byte[320 * 240 * 4];
        var pattern = new[] { false, false, true, false, true, true, false, true, false, false, true, true, true, false };
        var seen = new List<int>();
        for (int i = 0; i < pattern.Length; i++)
        {
            var face = pattern[i] ? new VisemeFrame(1, 0, 0, 0, 0, 1, 0) : new VisemeFrame(0, 0, 0, 0, 0, 0, 1);
            await renderer.RenderAsync(face, i, rgba, CancellationToken.None);
            seen.Add(MouthPixels(rgba, 320, 240));
        }
        for (int i = 0; i < pattern.Length; i++)
        {
            Assert.True(pattern[i] ? seen[i] > 150 : seen[i] < 20, $"frame {i} ({(pattern[i] ? "open" : "closed")}) has {seen[i]} mouth pixels: {string.Join(",", seen)}");
        }
    }

    [Fact]
    public async Task StartAsync_AvatarWithoutMouthShapes_ThrowsSayingWhy()
    {
        BrowserScript.RequireAvatarLibraries();
        var path = Path.Combine(Directory.CreateTempSubdirectory("kvsi-avatar-").FullName, "plain.glb");
        await File.WriteAllBytesAsync(path, TestAvatars.NoConvention());
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            BrowserAvatarRenderer.StartAsync(320, 240, 25, new BrowserAvatarRendererOptions { Avatar = path }));
        Assert.Contains("has no VRM mouth expressions", e.Message);
    }

    [Fact]
    public void Validate_MissingAvatarFileAndChromium_ListsBoth()
    {
        var e = Assert.Throws<ValidationException>(() =>
            new BrowserAvatarRendererOptions { Avatar = "/nonexistent/me.vrm", Chromium = "/nonexistent/chromium" }.Validate());
        Assert.Contains("me.vrm", e.Message);
        Assert.Contains("/nonexistent/chromium", e.Message);
    }
}
