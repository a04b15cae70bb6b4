using System.Numerics;

namespace KvsInference.Avatar.Rendering3D;

/// <summary>
/// The project's own 3D head, generated in code: a head with ears, nose, eyes, brows, hair, neck and shoulders, and a
/// mouth and eyelids with one morph target per viseme the meeting page renders. Target names follow the Oculus/Ready
/// Player Me convention (<c>viseme_sil</c>, <c>viseme_PP</c> ... <c>viseme_U</c>) and ARKit's blinks
/// (<c>eyeBlinkLeft</c>, <c>eyeBlinkRight</c>), so the page drives it like any avatar of that convention. The mouth
/// shapes are the 2D face's (FaceRenderer): every vowel target is the mouth at full opening for that vowel, so weights
/// that sum to one blend the shapes. The mouth interior is unlit dark red, which the viewer's lip-sync measurement
/// counts. Units are metres; the head is about 21 cm tall, its centre at the origin, facing +Z.
/// </summary>
public static class AvatarHead
{
    /// <summary>The mouth and blink target names of the default head, in the order of its meshes' targets.</summary>
    public static IReadOnlyList<string> TargetNames { get; } =
    [
        "viseme_sil", "viseme_PP", "viseme_FF", "viseme_TH", "viseme_DD", "viseme_kk", "viseme_CH", "viseme_SS",
        "viseme_nn", "viseme_RR", "viseme_aa", "viseme_E", "viseme_I", "viseme_O", "viseme_U", "eyeBlinkLeft", "eyeBlinkRight",
    ];

    // Mouth (width, opening) per target relative to the full mouth, as FaceRenderer's shapes for the vowels (aa 1/1, ih
    // .9/.45, ou .5/.6, ee 1.15/.35, oh .68/.85, rest .85/0); consonants between closed (PP) and a small opening.
    private static readonly Dictionary<string, (float W, float H)> MouthShapes = new()
    {
        ["viseme_sil"] = (0.85f, 0f), ["viseme_PP"] = (0.8f, 0f), ["viseme_FF"] = (0.9f, 0.12f), ["viseme_TH"] = (0.85f, 0.2f),
        ["viseme_DD"] = (0.9f, 0.3f), ["viseme_kk"] = (0.9f, 0.35f), ["viseme_CH"] = (0.65f, 0.4f), ["viseme_SS"] = (1.0f, 0.15f),
        ["viseme_nn"] = (0.85f, 0.22f), ["viseme_RR"] = (0.6f, 0.35f), ["viseme_aa"] = (1.0f, 1.0f), ["viseme_E"] = (1.15f, 0.35f),
        ["viseme_I"] = (0.9f, 0.45f), ["viseme_O"] = (0.68f, 0.85f), ["viseme_U"] = (0.5f, 0.6f),
    };

    private const float Scale = 0.105f; // the head is built in units of its half height, then scaled to metres
    private static readonly Vector3 HeadRadii = new(0.8f, 1.0f, 0.85f);
    private const float MouthY = -0.45f, MouthHalfWidth = 0.27f, MouthOpening = 0.3f, LipThickness = 0.055f;
    private const int MouthSegments = 32, SphereRings = 20, SphereSegments = 32;
    private const float EyeX = 0.3f, EyeY = 0.12f, EyeRadius = 0.13f;

    /// <summary>
    /// Builds the head into a new <see cref="GltfBuilder"/> and returns it with its node indices;
    /// <paramref name="rename"/> maps a target name to the name written (e.g. to make test avatars of other conventions
    /// from the same geometry), null keeps the names; <paramref name="headName"/> names the head node.
    /// </summary>
    public static AvatarHeadParts Build(Func<string, string>? rename = null, string headName = "Head")
    {
        var b = new GltfBuilder();
        var skin = b.AddMaterial("skin", Linear(0xF5, 0xC9, 0xA6), roughness: 0.8f);
        var hair = b.AddMaterial("hair", Linear(0x4A, 0x2F, 0x1E), roughness: 0.9f);
        var shirt = b.AddMaterial("shirt", Linear(0x3B, 0x5B, 0x8F), roughness: 0.9f);
        var white = b.AddMaterial("eye-white", Linear(0xFA, 0xFA, 0xF5), roughness: 0.4f);
        var iris = b.AddMaterial("iris", Linear(0x3B, 0x6E, 0x8F), unlit: true);
        var pupil = b.AddMaterial("pupil", Linear(0x10, 0x10, 0x14), unlit: true);
        var brow = b.AddMaterial("brow", Linear(0x4A, 0x2F, 0x1E), unlit: true);
        var lip = b.AddMaterial("lip", Linear(0xB5, 0x4A, 0x4F), roughness: 0.6f);
        // Dark red, unlit: the viewer's measurement counts pixels darker than 200 (r+g+b) with red 15 above green.
        var mouth = b.AddMaterial("mouth-interior", Linear(0x4A, 0x12, 0x1A), unlit: true);
        var names = TargetNames.Select(n => rename?.Invoke(n) ?? n).ToArray();

        var staticParts = new List<GltfPrimitive>
        {
            Ellipsoid(Vector3.Zero, HeadRadii, skin),
            Ellipsoid(new(-0.8f, 0, -0.05f), new(0.12f, 0.2f, 0.1f), skin),
            Ellipsoid(new(0.8f, 0, -0.05f), new(0.12f, 0.2f, 0.1f), skin),
            Ellipsoid(new(0, -0.12f, 0.8f), new(0.1f, 0.17f, 0.13f), skin),
            // Hair: a cap over the top and back of the head.
            Ellipsoid(new(0, 0.04f, -0.02f), new(0.85f, 1.04f, 0.9f), hair, p => p.Y > 0.6f - 0.3f * MathF.Abs(p.X) || (p.Z < -0.1f && p.Y > -0.55f)),
            Ellipsoid(new(-EyeX, EyeY, Surface(-EyeX, EyeY) - 0.08f), new(EyeRadius), white),
            Ellipsoid(new(EyeX, EyeY, Surface(EyeX, EyeY) - 0.08f), new(EyeRadius), white),
            Disc(new(-EyeX, EyeY, Surface(-EyeX, EyeY) - 0.08f + EyeRadius + 0.004f), 0.065f, iris),
            Disc(new(EyeX, EyeY, Surface(EyeX, EyeY) - 0.08f + EyeRadius + 0.004f), 0.065f, iris),
            Disc(new(-EyeX, EyeY, Surface(-EyeX, EyeY) - 0.08f + EyeRadius + 0.008f), 0.03f, pupil),
            Disc(new(EyeX, EyeY, Surface(EyeX, EyeY) - 0.08f + EyeRadius + 0.008f), 0.03f, pupil),
            Brow(-EyeX, brow), Brow(EyeX, brow),
        };
        int face = b.AddMesh("face", staticParts.Select(p => p with { Positions = Scaled(p.Positions) }).ToArray(), []);
        int body = b.AddMesh("body",
        [
            Scaled(Cylinder(new(0, -0.6f, -0.1f), 0.33f, -1.75f, skin)),
            Scaled(Ellipsoid(new(0, -2.05f, -0.15f), new(1.45f, 0.55f, 0.65f), shirt)),
        ], []);

        // The mouth (interior and lips) and both eyelids carry every target; each part moves only for its own.
        var mouthMesh = b.AddMesh("mouth", [Scaled(MouthInterior(names.Length, mouth)), Scaled(Lips(names.Length, lip))], names);
        var lids = b.AddMesh("eyelids", [Scaled(Eyelid(-EyeX, "eyeBlinkLeft", skin)), Scaled(Eyelid(EyeX, "eyeBlinkRight", skin))], names);
        int faceNode = b.AddNode("face", face), mouthNode = b.AddNode("mouth", mouthMesh), lidsNode = b.AddNode("eyelids", lids);
        int head = b.AddNode(headName, children: [faceNode, mouthNode, lidsNode]);
        int bodyNode = b.AddNode("Body", body);
        return new AvatarHeadParts(b, head, bodyNode, mouthNode, lidsNode, names);
    }

    /// <summary>
    /// The pixel rectangle the default head's mouth stays in (open, closed, with the idle motion) when the meeting page's
    /// avatar3d.js frames it (the head fills 90 % of the height, centred): for measuring the mouth in rendered video
    /// (<see cref="Rendering.LipSyncMeterOptions.MouthRegion"/>). Only skin, lips and the mouth are inside it.
    /// </summary>
    public static SkiaSharp.SKRectI MouthRegion(int width, int height) =>
        new((int)(width * 0.5 - height * 0.17), (int)(height * 0.6), (int)(width * 0.5 + height * 0.17), (int)(height * 0.84));

    /// <summary>The default head as a GLB: the head and its body nodes in one scene.</summary>
    public static byte[] DefaultGlb()
    {
        var parts = Build();
        return parts.Builder.ToGlb([parts.HeadNode, parts.BodyNode]);
    }

    // ---------------------------------------------------------------- geometry (head units, scaled at the end)

    private static GltfPrimitive Scaled(GltfPrimitive p) => p with
    {
        Positions = Scaled(p.Positions),
        Targets = p.Targets.Select(Scaled).ToArray(),
    };

    private static Vector3[] Scaled(Vector3[] v) => v.Select(p => p * Scale).ToArray();

    private static Vector3 Linear(byte r, byte g, byte b) => new(ToLinear(r), ToLinear(g), ToLinear(b));

    private static float ToLinear(byte c)
    {
        float s = c / 255f;
        return s <= 0.04045f ? s / 12.92f : MathF.Pow((s + 0.055f) / 1.055f, 2.4f);
    }

    // The front of the head's ellipsoid at (x, y): where the face's features sit.
    private static float Surface(float x, float y)
    {
        float q = 1 - (x * x) / (HeadRadii.X * HeadRadii.X) - (y * y) / (HeadRadii.Y * HeadRadii.Y);
        return HeadRadii.Z * MathF.Sqrt(MathF.Max(q, 0));
    }

    private static GltfPrimitive Ellipsoid(Vector3 c, Vector3 r, int material, Func<Vector3, bool>? keep = null)
    {
        var pos = new List<Vector3>();
        var nrm = new List<Vector3>();
        for (int i = 0; i <= SphereRings; i++)
        {
            float phi = MathF.PI * i / SphereRings; // 0 at the top
            for (int j = 0; j <= SphereSegments; j++)
            {
                float theta = 2 * MathF.PI * j / SphereSegments;
                var unit = new Vector3(MathF.Sin(phi) * MathF.Sin(theta), MathF.Cos(phi), MathF.Sin(phi) * MathF.Cos(theta));
                pos.Add(c + unit * r);
                nrm.Add(Vector3.Normalize(unit / r));
            }
        }
        var idx = new List<ushort>();
        int row = SphereSegments + 1;
        for (int i = 0; i < SphereRings; i++)
        {
            for (int j = 0; j < SphereSegments; j++)
            {
                int a = i * row + j, bb = a + row;
                if (keep is not null && !(keep(pos[a] - c) && keep(pos[bb + 1] - c))) continue;
                idx.AddRange([(ushort)a, (ushort)bb, (ushort)(a + 1), (ushort)(a + 1), (ushort)bb, (ushort)(bb + 1)]);
            }
        }
        return new GltfPrimitive(pos.ToArray(), nrm.ToArray(), idx.ToArray(), material, []);
    }

    private static GltfPrimitive Cylinder(Vector3 top, float radius, float bottomY, int material)
    {
        var pos = new List<Vector3>();
        var nrm = new List<Vector3>();
        for (int j = 0; j <= SphereSegments; j++)
        {
            float theta = 2 * MathF.PI * j / SphereSegments;
            var n = new Vector3(MathF.Sin(theta), 0, MathF.Cos(theta));
            pos.Add(top + n * radius);
            pos.Add(new Vector3(top.X, bottomY, top.Z) + n * radius);
            nrm.Add(n);
            nrm.Add(n);
        }
        var idx = new List<ushort>();
        for (int j = 0; j < SphereSegments; j++)
        {
            int a = 2 * j;
            idx.AddRange([(ushort)a, (ushort)(a + 1), (ushort)(a + 2), (ushort)(a + 2), (ushort)(a + 1), (ushort)(a + 3)]);
        }
        return new GltfPrimitive(pos.ToArray(), nrm.ToArray(), idx.ToArray(), material, []);
    }

    // A flat disc facing +Z.
    private static GltfPrimitive Disc(Vector3 c, float r, int material)
    {
        var pos = new List<Vector3> { c };
        for (int j = 0; j < MouthSegments; j++)
        {
            float t = 2 * MathF.PI * j / MouthSegments;
            pos.Add(c + new Vector3(r * MathF.Cos(t), r * MathF.Sin(t), 0));
        }
        return new GltfPrimitive(pos.ToArray(), Enumerable.Repeat(Vector3.UnitZ, pos.Count).ToArray(), Fan(MouthSegments), material, []);
    }

    private static ushort[] Fan(int segments)
    {
        var idx = new List<ushort>();
        for (int j = 0; j < segments; j++) idx.AddRange([(ushort)0, (ushort)(1 + j), (ushort)(1 + (j + 1) % segments)]);
        return idx.ToArray();
    }

    // A brow: a strip of quads along the forehead, every vertex on the surface (one wide quad would sink into it).
    private static GltfPrimitive Brow(float x, int material)
    {
        const int segments = 8;
        float y = EyeY + 0.3f, tilt = x < 0 ? 0.04f : -0.04f; // outer ends a little lower
        var pos = new List<Vector3>();
        for (int i = 0; i <= segments; i++)
        {
            float px = x - 0.16f + 0.32f * i / segments, py = y + tilt * ((float)i / segments - 0.5f);
            foreach (float dy in new[] { -0.035f, 0.035f }) pos.Add(new Vector3(px, py + dy, Surface(px, py + dy) + 0.02f));
        }
        var idx = new List<ushort>();
        for (int i = 0; i < segments; i++)
        {
            int a = 2 * i;
            idx.AddRange([(ushort)a, (ushort)(a + 2), (ushort)(a + 1), (ushort)(a + 1), (ushort)(a + 2), (ushort)(a + 3)]);
        }
        return new GltfPrimitive(pos.ToArray(), Enumerable.Repeat(Vector3.UnitZ, pos.Count).ToArray(), idx.ToArray(), material, []);
    }

    // The mouth's inner edge for a shape: an ellipse whose top is 45 % and bottom 55 % of the opening from MouthY (as
    // the 2D face draws it), on the face's surface.
    private static Vector3 MouthEdge(float w, float h, int j, float grow, float zOffset)
    {
        float t = 2 * MathF.PI * j / MouthSegments;
        float halfW = MouthHalfWidth * w + grow, halfH = MouthOpening * h / 2 + grow * 0.8f;
        float cy = MouthY - 0.05f * MouthOpening * h;
        float x = halfW * MathF.Cos(t), y = cy + halfH * MathF.Sin(t);
        return new Vector3(x, y, Surface(x, y) + zOffset);
    }

    private static Vector3 MouthCentre(float w, float h, float zOffset)
    {
        float y = MouthY - 0.05f * MouthOpening * h;
        return new Vector3(0, y, Surface(0, y) + zOffset);
    }

    private static (float W, float H) BaseShape => MouthShapes["viseme_sil"];

    private static GltfPrimitive MouthInterior(int targetCount, int material)
    {
        const float z = 0.03f; // in front of the face's curve between the fan's vertices
        Vector3[] Shape(float w, float h) => [MouthCentre(w, h, z), .. Enumerable.Range(0, MouthSegments).Select(j => MouthEdge(w, h, j, 0, z))];
        var basis = Shape(BaseShape.W, BaseShape.H);
        return new GltfPrimitive(basis, Enumerable.Repeat(Vector3.UnitZ, basis.Length).ToArray(), Fan(MouthSegments), material,
            MouthTargets(targetCount, (w, h) => Delta(Shape(w, h), basis), basis.Length));
    }

    private static GltfPrimitive Lips(int targetCount, int material)
    {
        const float z = 0.045f;
        // Two rings: the inner edge and the outer edge a lip's thickness out, joined by quads.
        Vector3[] Shape(float w, float h) =>
            [.. Enumerable.Range(0, MouthSegments).SelectMany(j => new[] { MouthEdge(w, h, j, 0, z), MouthEdge(w, h, j, LipThickness, z) })];
        var basis = Shape(BaseShape.W, BaseShape.H);
        var idx = new List<ushort>();
        for (int j = 0; j < MouthSegments; j++)
        {
            int a = 2 * j, n = 2 * ((j + 1) % MouthSegments);
            idx.AddRange([(ushort)a, (ushort)(a + 1), (ushort)n, (ushort)n, (ushort)(a + 1), (ushort)(n + 1)]);
        }
        return new GltfPrimitive(basis, Enumerable.Repeat(Vector3.UnitZ, basis.Length).ToArray(), idx.ToArray(), material,
            MouthTargets(targetCount, (w, h) => Delta(Shape(w, h), basis), basis.Length));
    }

    // One delta array per target in TargetNames order: mouth shapes for the visemes, zero for the blinks.
    private static Vector3[][] MouthTargets(int count, Func<float, float, Vector3[]> delta, int vertices) =>
        TargetNames.Take(count).Select(n => MouthShapes.TryGetValue(n, out var s) ? delta(s.W, s.H) : new Vector3[vertices]).ToArray();

    private static Vector3[] Delta(Vector3[] shape, Vector3[] basis) => shape.Zip(basis, (s, b) => s - b).ToArray();

    // An eyelid: rows of skin over the eye's front, all folded up at the eye's top when open; its blink target lowers
    // row k to its place on the closed lid, so the lid slides down over the eye.
    private static GltfPrimitive Eyelid(float x, string blinkTarget, int material)
    {
        const int rows = 8, cols = 16;
        float cz = Surface(x, EyeY) - 0.08f, r = EyeRadius + 0.012f, top = EyeY + r;
        Vector3 Closed(int row, int col)
        {
            float y = top - 2 * r * row / rows;
            float half = MathF.Sqrt(MathF.Max(r * r - (y - EyeY) * (y - EyeY), 0)) + 0.01f;
            float px = x - half + 2 * half * col / cols;
            float dz = MathF.Sqrt(MathF.Max(r * r - (px - x) * (px - x) - (y - EyeY) * (y - EyeY), 0));
            return new Vector3(px, y, cz + dz + 0.004f);
        }
        var closed = new List<Vector3>();
        for (int i = 0; i <= rows; i++) for (int j = 0; j <= cols; j++) closed.Add(Closed(i, j));
        var open = closed.Select((_, k) => closed[k % (cols + 1)]).ToArray();
        var idx = new List<ushort>();
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                int a = i * (cols + 1) + j, bb = a + cols + 1;
                idx.AddRange([(ushort)a, (ushort)bb, (ushort)(a + 1), (ushort)(a + 1), (ushort)bb, (ushort)(bb + 1)]);
            }
        }
        var blink = Delta(closed.ToArray(), open);
        var targets = TargetNames.Select(n => n == blinkTarget ? blink : new Vector3[open.Length]).ToArray();
        return new GltfPrimitive(open, Enumerable.Repeat(Vector3.UnitZ, open.Length).ToArray(), idx.ToArray(), material, targets);
    }
}

/// <summary>The head in its builder: the head node (parent of face, mouth and eyelids), the body node (neck and
/// shoulders), the mouth and eyelid nodes (whose meshes carry every target) and the target names as written.</summary>
public sealed record AvatarHeadParts(GltfBuilder Builder, int HeadNode, int BodyNode, int MouthNode, int EyelidsNode, IReadOnlyList<string> TargetNames);
