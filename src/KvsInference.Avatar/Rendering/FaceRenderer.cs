using KvsInference.Inference;
using SkiaSharp;

namespace KvsInference.Avatar.Rendering;

/// <summary>
/// Draws a 2D talking face with SkiaSharp: head, eyes that blink on a deterministic schedule, brows, and
/// a mouth whose width and opening blend the shapes of the five visemes and rest, opened by <c>jawOpen</c>.
/// Renders into one reusable bitmap and copies RGBA (8 bits per channel, opaque) into the caller's buffer:
/// no allocation per frame. Not thread-safe: one renderer per thread.
/// </summary>
public sealed class FaceRenderer : IDisposable
{
    // Mouth shape targets (width, height) relative to the base mouth, per class in VisemeClass order: aa, ih, ou, ee, oh,
    // rest, then the consonants PP (closed), FF, TH, DD, kk, CH (protruded), SS (teeth together), nn, RR (rounded).
    private static readonly (float W, float H)[] Shapes =
    [
        (1.0f, 1.0f), (0.9f, 0.45f), (0.5f, 0.6f), (1.15f, 0.35f), (0.68f, 0.85f), (0.85f, 0f),
        (0.85f, 0f), (1.0f, 0.2f), (0.95f, 0.3f), (0.95f, 0.35f), (0.95f, 0.4f), (0.6f, 0.35f), (1.05f, 0.15f), (0.9f, 0.3f), (0.6f, 0.45f),
    ];

    private readonly SKBitmap _bitmap;
    private readonly SKCanvas _canvas;
    private readonly SKPaint _fill = new() { IsAntialias = true, Style = SKPaintStyle.Fill };
    private readonly SKPaint _stroke = new() { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeCap = SKStrokeCap.Round };
    private readonly SKPath _path = new();
    private readonly double _frameRate;
    private readonly int _blinkSeed;
    private readonly float _scale;
    private readonly float _cx;
    private readonly float _cy;

    /// <summary>Creates a renderer.</summary>
    /// <param name="options">Settings; null for 640x480 at 60 fps.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public FaceRenderer(FaceRendererOptions? options = null)
    {
        options ??= new FaceRendererOptions();
        options.Validate();
        Width = options.Width;
        Height = options.Height;
        _frameRate = options.FrameRate;
        _blinkSeed = options.BlinkSeed;
        _bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        _canvas = new SKCanvas(_bitmap);
        _scale = Math.Min(Width / 640f, Height / 480f);
        _cx = Width / 2f;
        _cy = Height / 2f;
        float mouthY = _cy + 105 * _scale;
        MouthRegion = new SKRectI((int)(_cx - 80 * _scale), (int)(mouthY - 50 * _scale), (int)(_cx + 80 * _scale), (int)(mouthY + 60 * _scale));
    }

    /// <summary>Gets the frame width in pixels.</summary>
    public int Width { get; }

    /// <summary>Gets the frame height in pixels.</summary>
    public int Height { get; }

    /// <summary>Gets the bytes of one RGBA frame (width x height x 4).</summary>
    public int FrameBytes => Width * Height * 4;

    /// <summary>Gets the colour of the open mouth's interior (what <see cref="LipSyncMeter"/> counts as opening).</summary>
    public static SKColor MouthInteriorColor { get; } = new(0x4A, 0x12, 0x1A);

    /// <summary>Gets the pixel rectangle the mouth is drawn in (whatever its shape).</summary>
    public SKRectI MouthRegion { get; }

    /// <summary>Draws one frame.</summary>
    /// <param name="frame">The viseme weights and jaw opening.</param>
    /// <param name="frameIndex">The frame's index (time = index / frame rate), which drives blinking.</param>
    /// <param name="rgba">Receives <see cref="FrameBytes"/> bytes, rows top to bottom, R G B A per pixel.</param>
    /// <exception cref="ArgumentException"><paramref name="rgba"/> is shorter than <see cref="FrameBytes"/>.</exception>
    public void Render(in VisemeFrame frame, long frameIndex, Span<byte> rgba)
    {
        if (rgba.Length < FrameBytes) throw new ArgumentException($"the buffer holds {rgba.Length} bytes; a frame needs {FrameBytes}", nameof(rgba));
        var c = _canvas;
        float s = _scale;
        c.Clear(new SKColor(0x2B, 0x3A, 0x55));

        // Neck, head, ears.
        _fill.Color = new SKColor(0xE8, 0xB8, 0x96);
        c.DrawRect(_cx - 55 * s, _cy + 150 * s, 110 * s, 120 * s, _fill);
        c.DrawOval(_cx - 165 * s, _cy, 25 * s, 40 * s, _fill);
        c.DrawOval(_cx + 165 * s, _cy, 25 * s, 40 * s, _fill);
        _fill.Color = new SKColor(0xF5, 0xC9, 0xA6);
        c.DrawOval(_cx, _cy, 165 * s, 205 * s, _fill);
        // Hair.
        _fill.Color = new SKColor(0x4A, 0x2F, 0x1E);
        _path.Reset();
        _path.MoveTo(_cx - 168 * s, _cy - 20 * s);
        _path.CubicTo(_cx - 170 * s, _cy - 260 * s, _cx + 170 * s, _cy - 260 * s, _cx + 168 * s, _cy - 20 * s);
        _path.CubicTo(_cx + 120 * s, _cy - 130 * s, _cx - 60 * s, _cy - 150 * s, _cx - 168 * s, _cy - 20 * s);
        c.DrawPath(_path, _fill);

        DrawEyes(c, s, BlinkOpenness(frameIndex / _frameRate));
        DrawMouth(c, s, frame);

        _bitmap.GetPixelSpan().CopyTo(rgba);
    }

    /// <summary>Gets how open the eyes are (1 open, 0 shut) at <paramref name="seconds"/>: a 150 ms blink every 2.5..5.5 s.</summary>
    internal double BlinkOpenness(double seconds)
    {
        // Blink n starts at a time drawn deterministically from (seed, n): no state, any frame order.
        const double blinkSeconds = 0.15;
        long n = (long)Math.Floor(seconds / 4.0);
        for (long k = Math.Max(0, n - 1); k <= n + 1; k++)
        {
            double start = k * 4.0 + 1.5 * Hash01(_blinkSeed, k) - 0.75 + 2.0;
            double t = seconds - start;
            if (t >= 0 && t < blinkSeconds) return 0.5 + 0.5 * Math.Cos(2 * Math.PI * t / blinkSeconds);
        }
        return 1;
    }

    private static double Hash01(int seed, long k)
    {
        ulong x = (ulong)k * 0x9E3779B97F4A7C15UL ^ (ulong)seed * 0xC2B2AE3D27D4EB4FUL;
        x ^= x >> 31;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 29;
        return (x >> 11) * (1.0 / (1UL << 53));
    }

    private void DrawEyes(SKCanvas c, float s, double openness)
    {
        float eyeY = _cy - 40 * s;
        foreach (float dx in (ReadOnlySpan<float>)[-62f, 62f])
        {
            float ex = _cx + dx * s;
            float ry = (float)(22 * s * Math.Max(0.06, openness));
            _fill.Color = SKColors.White;
            c.DrawOval(ex, eyeY, 30 * s, ry, _fill);
            if (openness > 0.25)
            {
                _fill.Color = new SKColor(0x3B, 0x6E, 0x8F);
                c.DrawOval(ex, eyeY, 12 * s, Math.Min(12 * s, ry), _fill);
                _fill.Color = SKColors.Black;
                c.DrawOval(ex, eyeY, 5 * s, Math.Min(5 * s, ry), _fill);
            }
            _stroke.Color = new SKColor(0x5A, 0x3A, 0x28);
            _stroke.StrokeWidth = 3 * s;
            c.DrawOval(ex, eyeY, 30 * s, ry, _stroke);
            // Brow.
            _stroke.StrokeWidth = 7 * s;
            _stroke.Color = new SKColor(0x4A, 0x2F, 0x1E);
            c.DrawLine(ex - 30 * s, eyeY - 40 * s, ex + 30 * s, eyeY - 44 * s, _stroke);
        }
        // Nose.
        _stroke.StrokeWidth = 4 * s;
        _stroke.Color = new SKColor(0xD0, 0x98, 0x78);
        c.DrawLine(_cx, _cy - 10 * s, _cx - 12 * s, _cy + 45 * s, _stroke);
        c.DrawLine(_cx - 12 * s, _cy + 45 * s, _cx + 8 * s, _cy + 48 * s, _stroke);
    }

    private void DrawMouth(SKCanvas c, float s, in VisemeFrame f)
    {
        ReadOnlySpan<float> weights = [f.Aa, f.Ih, f.Ou, f.Ee, f.Oh, f.Silence, f.Pp, f.Ff, f.Th, f.Dd, f.Kk, f.Ch, f.Ss, f.Nn, f.Rr];
        float sum = 0, w = 0, h = 0, largest = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            float wi = Math.Clamp(weights[i], 0, 1);
            sum += wi;
            w += wi * Shapes[i].W;
            h += wi * Shapes[i].H;
            if (i != 7) largest = Math.Max(largest, wi);
        }
        if (sum > 1e-6f)
        {
            w /= sum;
            h /= sum;
        }
        else
        {
            (w, h) = Shapes[5];
        }
        float jaw = Math.Clamp(f.JawOpen, 0, 1);
        float halfWidth = 55 * s * w;
        // The viseme decides the shape, the jaw how far it opens; PP presses the lips together (closed from 2/3 on).
        float opening = 50 * s * h * (0.3f + 0.7f * jaw) * Math.Clamp(1 - 1.5f * f.Pp, 0, 1);
        // FF: the lower lip tucked under the upper teeth.
        bool bite = f.Ff > largest;
        float mouthY = _cy + 105 * s;
        var lip = new SKColor(0xB5, 0x4A, 0x4F);
        if (bite)
        {
            DrawBite(c, s, halfWidth, mouthY, lip);
            return;
        }
        if (opening < 2 * s)
        {
            // Rest: closed lips, a gentle curve.
            _stroke.Color = lip;
            _stroke.StrokeWidth = 6 * s;
            _path.Reset();
            _path.MoveTo(_cx - halfWidth, mouthY);
            _path.QuadTo(_cx, mouthY + 6 * s, _cx + halfWidth, mouthY);
            c.DrawPath(_path, _stroke);
            return;
        }
        var rect = new SKRect(_cx - halfWidth, mouthY - opening * 0.45f, _cx + halfWidth, mouthY + opening * 0.55f);
        _fill.Color = MouthInteriorColor;
        c.DrawOval(rect, _fill);
        // Upper teeth show when the mouth is wide (ee, ih, aa), tongue at the bottom when it is open.
        c.Save();
        _path.Reset();
        _path.AddOval(rect);
        c.ClipPath(_path, SKClipOperation.Intersect, true);
        _fill.Color = new SKColor(0xF4, 0xF1, 0xEA);
        c.DrawRect(rect.Left, rect.Top, rect.Width, Math.Min(10 * s, rect.Height * 0.3f), _fill);
        _fill.Color = new SKColor(0xC8, 0x5A, 0x64);
        c.DrawOval(_cx, rect.Bottom, halfWidth * 0.6f, rect.Height * 0.3f, _fill);
        c.Restore();
        _stroke.Color = lip;
        _stroke.StrokeWidth = 7 * s;
        c.DrawOval(rect, _stroke);
    }

    /// <summary>The FF mouth: upper teeth resting on the lower lip, under a raised upper lip.</summary>
    private void DrawBite(SKCanvas c, float s, float halfWidth, float mouthY, SKColor lip)
    {
        _fill.Color = BiteTeethColor;
        c.DrawRect(_cx - halfWidth * 0.7f, mouthY - 7 * s, halfWidth * 1.4f, 9 * s, _fill);
        _stroke.Color = lip;
        _stroke.StrokeWidth = 7 * s;
        _path.Reset();
        _path.MoveTo(_cx - halfWidth, mouthY - 4 * s);
        _path.QuadTo(_cx, mouthY - 14 * s, _cx + halfWidth, mouthY - 4 * s);
        c.DrawPath(_path, _stroke);
        _path.Reset();
        _path.MoveTo(_cx - halfWidth * 0.9f, mouthY + 6 * s);
        _path.QuadTo(_cx, mouthY + 12 * s, _cx + halfWidth * 0.9f, mouthY + 6 * s);
        c.DrawPath(_path, _stroke);
    }

    /// <summary>Gets the colour of the upper teeth drawn on the lower lip for FF.</summary>
    public static SKColor BiteTeethColor { get; } = new(0xF4, 0xF1, 0xEA);

    /// <summary>Releases the native SkiaSharp objects.</summary>
    public void Dispose()
    {
        _path.Dispose();
        _fill.Dispose();
        _stroke.Dispose();
        _canvas.Dispose();
        _bitmap.Dispose();
    }
}
