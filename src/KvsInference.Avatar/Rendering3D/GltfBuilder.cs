using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using System.Text.Json.Nodes;

namespace KvsInference.Avatar.Rendering3D;

/// <summary>One triangle list of a mesh: positions, optional normals, 16-bit indices, a material, and per morph target
/// the position deltas (one per vertex, in the order of the mesh's target names).</summary>
public sealed record GltfPrimitive(Vector3[] Positions, Vector3[]? Normals, ushort[] Indices, int Material, IReadOnlyList<Vector3[]> Targets);

/// <summary>
/// Writes glTF 2.0 binary files (GLB) of static meshes with morph targets: just what the generated avatars need
/// (no textures, skins or animations). Target names go to <c>mesh.extras.targetNames</c>, the convention three.js's
/// GLTFLoader, Blender and the VRM tools read. <see cref="Root"/> takes extensions (e.g. <c>VRMC_vrm</c>) before
/// <see cref="ToGlb"/>.
/// </summary>
public sealed class GltfBuilder
{
    private readonly MemoryStream _bin = new();
    private readonly JsonArray _accessors = [], _views = [], _meshes = [], _materials = [], _nodes = [];

    /// <summary>Gets the root JSON object; add <c>extensions</c>/<c>extensionsUsed</c> entries here.</summary>
    public JsonObject Root { get; } = new() { ["asset"] = new JsonObject { ["version"] = "2.0", ["generator"] = "KvsInference" } };

    /// <summary>Gets the number of nodes added so far (the index the next node gets).</summary>
    public int NodeCount => _nodes.Count;

    /// <summary>Adds a material; <paramref name="linearColor"/> is linear RGB (glTF's baseColorFactor), unlit materials
    /// use KHR_materials_unlit (drawn in their colour whatever the light).</summary>
    public int AddMaterial(string name, Vector3 linearColor, bool unlit = false, float roughness = 0.7f)
    {
        var material = new JsonObject
        {
            ["name"] = name,
            ["pbrMetallicRoughness"] = new JsonObject
            {
                ["baseColorFactor"] = new JsonArray(linearColor.X, linearColor.Y, linearColor.Z, 1.0f),
                ["metallicFactor"] = 0.0f,
                ["roughnessFactor"] = roughness,
            },
        };
        if (unlit)
        {
            material["extensions"] = new JsonObject { ["KHR_materials_unlit"] = new JsonObject() };
            AddExtensionUsed("KHR_materials_unlit");
        }
        _materials.Add(material);
        return _materials.Count - 1;
    }

    /// <summary>Adds a mesh; every primitive must carry one delta array per name in <paramref name="targetNames"/>.</summary>
    public int AddMesh(string name, IReadOnlyList<GltfPrimitive> primitives, IReadOnlyList<string> targetNames)
    {
        var prims = new JsonArray();
        foreach (var p in primitives)
        {
            if (p.Targets.Count != targetNames.Count) throw new ArgumentException($"mesh {name}: a primitive has {p.Targets.Count} targets for {targetNames.Count} names");
            if (p.Normals is { } n && n.Length != p.Positions.Length) throw new ArgumentException($"mesh {name}: {n.Length} normals for {p.Positions.Length} positions");
            if (p.Indices.Any(i => i >= p.Positions.Length)) throw new ArgumentException($"mesh {name}: an index is past the {p.Positions.Length} vertices");
            var attributes = new JsonObject { ["POSITION"] = AddVec3(p.Positions, withBounds: true) };
            if (p.Normals is not null) attributes["NORMAL"] = AddVec3(p.Normals, withBounds: false);
            var targets = new JsonArray();
            foreach (var deltas in p.Targets)
            {
                if (deltas.Length != p.Positions.Length) throw new ArgumentException($"mesh {name}: a target has {deltas.Length} deltas for {p.Positions.Length} vertices");
                targets.Add(new JsonObject { ["POSITION"] = AddVec3(deltas, withBounds: true) });
            }
            var prim = new JsonObject { ["attributes"] = attributes, ["indices"] = AddIndices(p.Indices), ["material"] = p.Material, ["mode"] = 4 };
            if (targetNames.Count > 0) prim["targets"] = targets;
            prims.Add(prim);
        }
        var mesh = new JsonObject { ["name"] = name, ["primitives"] = prims };
        if (targetNames.Count > 0)
        {
            mesh["weights"] = new JsonArray(targetNames.Select(_ => (JsonNode)0.0f).ToArray());
            mesh["extras"] = new JsonObject { ["targetNames"] = new JsonArray(targetNames.Select(t => (JsonNode)t).ToArray()) };
        }
        _meshes.Add(mesh);
        return _meshes.Count - 1;
    }

    /// <summary>Adds a node (a mesh instance or a plain transform) and returns its index.</summary>
    public int AddNode(string name, int? mesh = null, Vector3? translation = null, IEnumerable<int>? children = null)
    {
        var node = new JsonObject { ["name"] = name };
        if (mesh is { } m) node["mesh"] = m;
        if (translation is { } t) node["translation"] = new JsonArray(t.X, t.Y, t.Z);
        if (children is not null && children.Any()) node["children"] = new JsonArray(children.Select(c => (JsonNode)c).ToArray());
        _nodes.Add(node);
        return _nodes.Count - 1;
    }

    /// <summary>Names an extension in <c>extensionsUsed</c> (once).</summary>
    public void AddExtensionUsed(string extension)
    {
        var used = Root["extensionsUsed"] as JsonArray ?? (JsonArray)(Root["extensionsUsed"] = new JsonArray());
        if (!used.Any(u => u?.GetValue<string>() == extension)) used.Add(extension);
    }

    /// <summary>Writes the GLB: JSON chunk then binary chunk, both 4-byte aligned, with one scene of <paramref name="sceneNodes"/>.</summary>
    public byte[] ToGlb(IEnumerable<int> sceneNodes)
    {
        var root = (JsonObject)Root.DeepClone();
        root["scene"] = 0;
        root["scenes"] = new JsonArray(new JsonObject { ["nodes"] = new JsonArray(sceneNodes.Select(n => (JsonNode)n).ToArray()) });
        root["nodes"] = _nodes.DeepClone();
        root["meshes"] = _meshes.DeepClone();
        root["materials"] = _materials.DeepClone();
        root["accessors"] = _accessors.DeepClone();
        root["bufferViews"] = _views.DeepClone();
        root["buffers"] = new JsonArray(new JsonObject { ["byteLength"] = _bin.Length });
        var json = Encoding.UTF8.GetBytes(root.ToJsonString());
        int jsonPadded = Align4(json.Length), binPadded = Align4((int)_bin.Length);
        var glb = new byte[12 + 8 + jsonPadded + 8 + binPadded];
        var span = glb.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, 0x46546C67); // "glTF"
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], 2);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], (uint)glb.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], (uint)jsonPadded);
        BinaryPrimitives.WriteUInt32LittleEndian(span[16..], 0x4E4F534A); // "JSON"
        json.CopyTo(span[20..]);
        span.Slice(20 + json.Length, jsonPadded - json.Length).Fill((byte)' '); // the spec pads JSON with spaces
        int bin = 20 + jsonPadded;
        BinaryPrimitives.WriteUInt32LittleEndian(span[bin..], (uint)binPadded);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(bin + 4)..], 0x004E4942); // "BIN\0"
        _bin.GetBuffer().AsSpan(0, (int)_bin.Length).CopyTo(span[(bin + 8)..]);
        return glb;
    }

    private static int Align4(int n) => (n + 3) & ~3;

    private int AddView(ReadOnlySpan<byte> bytes, int? target)
    {
        while (_bin.Length % 4 != 0) _bin.WriteByte(0);
        var view = new JsonObject { ["buffer"] = 0, ["byteOffset"] = _bin.Length, ["byteLength"] = bytes.Length };
        if (target is { } t) view["target"] = t;
        _bin.Write(bytes);
        _views.Add(view);
        return _views.Count - 1;
    }

    private int AddVec3(Vector3[] values, bool withBounds)
    {
        var bytes = new byte[values.Length * 12];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 12), values[i].X);
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 12 + 4), values[i].Y);
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 12 + 8), values[i].Z);
        }
        var accessor = new JsonObject { ["bufferView"] = AddView(bytes, 34962), ["componentType"] = 5126, ["count"] = values.Length, ["type"] = "VEC3" };
        if (withBounds)
        {
            // POSITION accessors (also of morph targets) must carry their bounds.
            var min = values.Aggregate(new Vector3(float.MaxValue), Vector3.Min);
            var max = values.Aggregate(new Vector3(float.MinValue), Vector3.Max);
            accessor["min"] = new JsonArray(min.X, min.Y, min.Z);
            accessor["max"] = new JsonArray(max.X, max.Y, max.Z);
        }
        _accessors.Add(accessor);
        return _accessors.Count - 1;
    }

    private int AddIndices(ushort[] indices)
    {
        var bytes = new byte[indices.Length * 2];
        for (int i = 0; i < indices.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), indices[i]);
        _accessors.Add(new JsonObject { ["bufferView"] = AddView(bytes, 34963), ["componentType"] = 5123, ["count"] = indices.Length, ["type"] = "SCALAR" });
        return _accessors.Count - 1;
    }
}
