using KvsInference.Avatar.Rendering;
using KvsInference.Inference;

namespace KvsInference.Meeting.Streaming;

/// <summary>Draws the avatar video frames of the RTMP push: the 2D face (<see cref="FaceRenderer"/>) or the 3D avatar
/// (<see cref="BrowserAvatarRenderer"/>). One caller at a time.</summary>
public interface IAvatarFrameRenderer : IAsyncDisposable
{
    /// <summary>Draws the face of <paramref name="face"/> as frame <paramref name="frameIndex"/> (blinks and idle motion
    /// follow the index) into <paramref name="rgba"/>: Width*Height*4 bytes, row-major, opaque RGBA.</summary>
    ValueTask RenderAsync(VisemeFrame face, long frameIndex, Memory<byte> rgba, CancellationToken cancellationToken);
}

/// <summary>The 2D face as an <see cref="IAvatarFrameRenderer"/>.</summary>
internal sealed class FaceFrameRenderer(FaceRenderer renderer) : IAvatarFrameRenderer
{
    public ValueTask RenderAsync(VisemeFrame face, long frameIndex, Memory<byte> rgba, CancellationToken cancellationToken)
    {
        renderer.Render(face, frameIndex, rgba.Span);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        renderer.Dispose();
        return ValueTask.CompletedTask;
    }
}
