using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using System.Text.Json;
using KvsInference.Avatar.Rendering3D;

namespace KvsInference.Tests.Rendering3D;

public sealed class AvatarHeadTests
{
    // The GLB's JSON and binary chunks, checked against the container rules of glTF 2.0.
    private static (JsonElement Json, byte[] Bin) ReadGlb(byte[] glb)
    {
        Assert.Equal(0x46546C67u, BinaryPrimitives.ReadUInt32LittleEndian(glb));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(glb.AsSpan(4)));
        Assert.Equal((uint)glb.Length, BinaryPrimitives.ReadUInt32LittleEndian(glb.AsSpan(8)));
        int jsonLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(glb.AsSpan(12));
        Assert.Equal(0x4E4F534Au, BinaryPrimitives.ReadUInt32LittleEndian(glb.AsSpan(16)));
        Assert.Equal(0, jsonLength % 4);
        var json = JsonDocument.Parse(Encoding.UTF8.GetString(glb, 20, jsonLength)).RootElement;
        int bin = 20 + jsonLength;
        int binLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(glb.AsSpan(bin));
        Assert.Equal(0x004E4942u, BinaryPrimitives.ReadUInt32LittleEndian(glb.AsSpan(bin + 4)));
        Assert.Equal(glb.Length, bin + 8 + binLength);
        return (json, glb.AsSpan(bin + 8, binLength).ToArray());
    }

    private static Vector3[] ReadVec3(JsonElement json, byte[] bin, int accessor)
    {
        var a = json.GetProperty("accessors")[accessor];
        var view = json.GetProperty("bufferViews")[a.GetProperty("bufferView").GetInt32()];
        int offset = view.GetProperty("byteOffset").GetInt32(), count = a.GetProperty("count").GetInt32();
        Assert.Equal("VEC3", a.GetProperty("type").GetString());
        Assert.True(offset + count * 12 <= bin.Length);
        return Enumerable.Range(0, count).Select(i => new Vector3(
            BinaryPrimitives.ReadSingleLittleEndian(bin.AsSpan(offset + i * 12)),
            BinaryPrimitives.ReadSingleLittleEndian(bin.AsSpan(offset + i * 12 + 4)),
            BinaryPrimitives.ReadSingleLittleEndian(bin.AsSpan(offset + i * 12 + 8)))).ToArray();
    }

    private static JsonElement Mesh(JsonElement json, string name) =>
        json.GetProperty("meshes").EnumerateArray().Single(m => m.GetProperty("name").GetString() == name);

    [Fact]
    public void DefaultGlb_Always_IsValidGlbWithEveryVisemeAndBlinkTarget()
    {
        var (json, bin) = ReadGlb(AvatarHead.DefaultGlb());
        Assert.Equal("2.0", json.GetProperty("asset").GetProperty("version").GetString());
        var names = Mesh(json, "mouth").GetProperty("extras").GetProperty("targetNames").EnumerateArray().Select(n => n.GetString()).ToArray();
        foreach (var expected in new[] { "viseme_sil", "viseme_PP", "viseme_FF", "viseme_TH", "viseme_DD", "viseme_kk", "viseme_CH", "viseme_SS", "viseme_nn", "viseme_RR", "viseme_aa", "viseme_E", "viseme_I", "viseme_O", "viseme_U", "eyeBlinkLeft", "eyeBlinkRight" })
        {
            Assert.Contains(expected, names);
        }
        // Every accessor lies inside the buffer, every index inside its primitive's vertices, every POSITION has bounds.
        foreach (var mesh in json.GetProperty("meshes").EnumerateArray())
        {
            foreach (var p in mesh.GetProperty("primitives").EnumerateArray())
            {
                int position = p.GetProperty("attributes").GetProperty("POSITION").GetInt32();
                int vertices = json.GetProperty("accessors")[position].GetProperty("count").GetInt32();
                Assert.True(json.GetProperty("accessors")[position].TryGetProperty("min", out _));
                var ia = json.GetProperty("accessors")[p.GetProperty("indices").GetInt32()];
                var iv = json.GetProperty("bufferViews")[ia.GetProperty("bufferView").GetInt32()];
                int offset = iv.GetProperty("byteOffset").GetInt32();
                for (int i = 0; i < ia.GetProperty("count").GetInt32(); i++)
                {
                    Assert.InRange(BinaryPrimitives.ReadUInt16LittleEndian(bin.AsSpan(offset + 2 * i)), 0, vertices - 1);
                }
                if (p.TryGetProperty("targets", out var targets))
                {
                    foreach (var t in targets.EnumerateArray()) Assert.Equal(vertices, ReadVec3(json, bin, t.GetProperty("POSITION").GetInt32()).Length);
                }
            }
        }
    }

    [Theory]
    [InlineData("viseme_aa", 0.025f)]
    [InlineData("viseme_O", 0.02f)]
    [InlineData("viseme_PP", 0f)]
    public void MouthTarget_Viseme_OpensTheMouthByItsShape(string target, float minOpeningMetres)
    {
        var (json, bin) = ReadGlb(AvatarHead.DefaultGlb());
        var mouth = Mesh(json, "mouth");
        int index = mouth.GetProperty("extras").GetProperty("targetNames").EnumerateArray().Select(n => n.GetString()).ToList().IndexOf(target);
        var interior = mouth.GetProperty("primitives")[0];
        var basis = ReadVec3(json, bin, interior.GetProperty("attributes").GetProperty("POSITION").GetInt32());
        var delta = ReadVec3(json, bin, interior.GetProperty("targets")[index].GetProperty("POSITION").GetInt32());
        var shaped = basis.Zip(delta, (b, d) => b + d).ToArray();
        float Opening(Vector3[] v) => v.Max(p => p.Y) - v.Min(p => p.Y);
        Assert.True(Opening(basis) < 0.001f, $"the rest mouth is open {Opening(basis)} m");
        if (minOpeningMetres == 0) Assert.True(Opening(shaped) < 0.001f, $"{target} opens the mouth {Opening(shaped)} m");
        else Assert.True(Opening(shaped) > minOpeningMetres, $"{target} opens the mouth only {Opening(shaped)} m");
    }

    [Fact]
    public void BlinkTarget_EyeBlinkLeft_MovesOnlyTheLeftLid()
    {
        var (json, bin) = ReadGlb(AvatarHead.DefaultGlb());
        var lids = Mesh(json, "eyelids");
        int index = lids.GetProperty("extras").GetProperty("targetNames").EnumerateArray().Select(n => n.GetString()).ToList().IndexOf("eyeBlinkLeft");
        float Moved(int primitive) => ReadVec3(json, bin, lids.GetProperty("primitives")[primitive].GetProperty("targets")[index].GetProperty("POSITION").GetInt32()).Max(d => d.Length());
        Assert.True(Moved(0) > 0.01f, "the left lid does not close");
        Assert.Equal(0f, Moved(1));
        // And the mouth does not move when the eyes blink.
        var mouth = Mesh(json, "mouth").GetProperty("primitives")[0];
        Assert.Equal(0f, ReadVec3(json, bin, mouth.GetProperty("targets")[index].GetProperty("POSITION").GetInt32()).Max(d => d.Length()));
    }

    [Fact]
    public void AddMesh_TargetCountMismatch_ThrowsNamingTheMesh()
    {
        var b = new GltfBuilder();
        var m = b.AddMaterial("m", Vector3.One);
        var e = Assert.Throws<ArgumentException>(() => b.AddMesh("lips", [new GltfPrimitive([Vector3.Zero, Vector3.UnitX, Vector3.UnitY], null, [0, 1, 2], m, [])], ["viseme_aa"]));
        Assert.Contains("lips", e.Message);
    }
}
