using KvsInference.Avatar.Model;
using KvsInference.Avatar.Rendering;
using KvsInference.Avatar.Training;
using KvsInference.Inference;

namespace KvsInference.Tests.Rendering;

public class FaceRendererTests
{
    private static readonly VisemeFrame Rest = new(0, 0, 0, 0, 0, 0, 1);

    private static int MouthDifference(FaceRenderer renderer, byte[] a, byte[] b)
    {
        var r = renderer.MouthRegion;
        int changed = 0;
        for (int y = r.Top; y < r.Bottom; y++)
        {
            for (int x = r.Left; x < r.Right; x++)
            {
                int i = (y * renderer.Width + x) * 4;
                if (Math.Abs(a[i] - b[i]) + Math.Abs(a[i + 1] - b[i + 1]) + Math.Abs(a[i + 2] - b[i + 2]) > 30) changed++;
            }
        }
        return changed;
    }

    [Fact]
    public void Render_ModelFramesOfSpeechAndSilence_MouthMovesWithSpeechAndRestsInSilence()
    {
        var pcm = new short[16000].Concat(LabelledSpeech.Synthesize("Hello, how are you doing today?", new SpeechVoice("en-us", 175, 50)).Pcm).Concat(new short[16000]).ToArray();
        var frames = VisemeModel.LoadDefault(modelDirectory: "/nonexistent").ProcessClip(pcm);
        using var renderer = new FaceRenderer();
        var rest = new byte[renderer.FrameBytes];
        var image = new byte[renderer.FrameBytes];
        renderer.Render(Rest, 0, rest);

        // The first 0.8 s and the last 0.7 s are silence: the mouth is exactly at rest.
        foreach (int k in new[] { 5, 20, 47, frames.Length - 40, frames.Length - 5 })
        {
            renderer.Render(frames[k], k, image);
            Assert.Equal(0, MouthDifference(renderer, rest, image));
        }
        // During speech most frames open the mouth visibly.
        int speechFrames = 0, moving = 0;
        for (int k = 70; k < frames.Length - 70; k += 3, speechFrames++)
        {
            renderer.Render(frames[k], k, image);
            if (MouthDifference(renderer, rest, image) > 200) moving++;
        }
        Assert.True(moving > speechFrames / 2, $"{moving} of {speechFrames} speech frames moved the mouth");
    }

    private static int CountColour(FaceRenderer renderer, byte[] image, SkiaSharp.SKColor colour)
    {
        var r = renderer.MouthRegion;
        int count = 0;
        for (int y = r.Top; y < r.Bottom; y++)
        {
            for (int x = r.Left; x < r.Right; x++)
            {
                int i = (y * renderer.Width + x) * 4;
                if (Math.Abs(image[i] - colour.Red) + Math.Abs(image[i + 1] - colour.Green) + Math.Abs(image[i + 2] - colour.Blue) < 12) count++;
            }
        }
        return count;
    }

    [Fact]
    public void Render_PpWithTheJawOpen_ClosesTheLips()
    {
        using var renderer = new FaceRenderer();
        var image = new byte[renderer.FrameBytes];
        renderer.Render(new VisemeFrame(0.1f, 0, 0, 0, 0, 0.8f, 0) { Pp = 0.9f }, 0, image);
        Assert.Equal(0, CountColour(renderer, image, FaceRenderer.MouthInteriorColor));
        renderer.Render(new VisemeFrame(0.9f, 0, 0, 0, 0, 0.8f, 0) { Pp = 0.1f }, 0, image);
        Assert.True(CountColour(renderer, image, FaceRenderer.MouthInteriorColor) > 500);
    }

    [Fact]
    public void Render_Ff_ShowsTheUpperTeethOnTheLowerLip()
    {
        using var renderer = new FaceRenderer();
        var image = new byte[renderer.FrameBytes];
        renderer.Render(new VisemeFrame(0, 0.2f, 0, 0, 0, 0.3f, 0) { Ff = 0.8f }, 0, image);
        Assert.Equal(0, CountColour(renderer, image, FaceRenderer.MouthInteriorColor));
        int teeth = CountColour(renderer, image, FaceRenderer.BiteTeethColor);
        renderer.Render(new VisemeFrame(0, 0, 0, 0, 0, 0, 1), 0, image);
        Assert.True(teeth > 300 && CountColour(renderer, image, FaceRenderer.BiteTeethColor) == 0, $"{teeth} teeth pixels");
    }

    [Fact]
    public void Render_DifferentVisemes_GiveDifferentMouths()
    {
        using var renderer = new FaceRenderer();
        var aa = new byte[renderer.FrameBytes];
        var ou = new byte[renderer.FrameBytes];
        renderer.Render(new VisemeFrame(1, 0, 0, 0, 0, 0.8f, 0), 0, aa);
        renderer.Render(new VisemeFrame(0, 0, 1, 0, 0, 0.8f, 0), 0, ou);
        Assert.True(MouthDifference(renderer, aa, ou) > 500);
    }

    [Fact]
    public void Render_BlinkSchedule_ClosesTheEyesBrieflyAndDeterministically()
    {
        using var renderer = new FaceRenderer();
        var openness = Enumerable.Range(0, 60 * 20).Select(k => renderer.BlinkOpenness(k / 60.0)).ToArray();
        int closedFrames = openness.Count(o => o < 0.3);
        Assert.InRange(closedFrames, 3, 60);          // some blinks, each short
        Assert.True(openness.Count(o => o == 1) > openness.Length * 0.9);
        using var again = new FaceRenderer();
        Assert.Equal(openness, Enumerable.Range(0, 60 * 20).Select(k => again.BlinkOpenness(k / 60.0)));
        int blink = Array.FindIndex(openness, o => o < 0.1);
        var open = new byte[renderer.FrameBytes];
        var shut = new byte[renderer.FrameBytes];
        renderer.Render(Rest, 0, open);
        renderer.Render(Rest, blink, shut);
        Assert.NotEqual(open, shut);
    }

    [Fact]
    public void Render_BufferTooSmall_Throws()
    {
        using var renderer = new FaceRenderer(new FaceRendererOptions { Width = 320, Height = 240 });
        Assert.Throws<ArgumentException>(() => renderer.Render(Rest, 0, new byte[100]));
    }
}
