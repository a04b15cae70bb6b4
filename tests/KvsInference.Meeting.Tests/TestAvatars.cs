using System.Text.Json.Nodes;
using KvsInference.Avatar.Rendering3D;

namespace KvsInference.Tests.Meeting;

/// <summary>
/// Avatars of each convention the meeting page maps, generated from the default head's geometry with the morph targets
/// renamed: a VRM 1.0 file (VRoid-style morph names bound to the VRM expression presets, a minimal humanoid), a GLB with
/// Oculus visemes (no node named Head), a GLB with ARKit mouth shapes only, and a GLB whose morphs follow no convention.
/// </summary>
internal static class TestAvatars
{
    private static readonly Dictionary<string, string> VroidNames = new()
    {
        ["viseme_aa"] = "Fcl_MTH_A", ["viseme_I"] = "Fcl_MTH_I", ["viseme_U"] = "Fcl_MTH_U", ["viseme_E"] = "Fcl_MTH_E",
        ["viseme_O"] = "Fcl_MTH_O", ["eyeBlinkLeft"] = "Fcl_EYE_Close_L", ["eyeBlinkRight"] = "Fcl_EYE_Close_R",
    };

    private static readonly Dictionary<string, string> ArkitNames = new()
    {
        ["viseme_aa"] = "jawOpen", ["viseme_O"] = "mouthFunnel", ["viseme_U"] = "mouthPucker", ["viseme_PP"] = "mouthClose",
        ["viseme_E"] = "mouthStretchLeft", ["viseme_I"] = "mouthStretchRight",
    };

    // VRM 1.0's preset expressions and the default head's targets that make them.
    private static readonly (string Preset, string[] Targets)[] Presets =
    [
        ("aa", ["Fcl_MTH_A"]), ("ih", ["Fcl_MTH_I"]), ("ou", ["Fcl_MTH_U"]), ("ee", ["Fcl_MTH_E"]), ("oh", ["Fcl_MTH_O"]),
        ("blink", ["Fcl_EYE_Close_L", "Fcl_EYE_Close_R"]),
    ];

    /// <summary>A VRM 1.0 avatar: morphs named as VRoid names them, driven only through the VRMC_vrm expressions.</summary>
    public static byte[] Vrm()
    {
        var parts = AvatarHead.Build(n => VroidNames.GetValueOrDefault(n, "Fcl_MTH_x_" + n));
        var b = parts.Builder;
        // The humanoid VRM requires: hips, spine, head, and both legs and arms down to feet and hands.
        var bones = new Dictionary<string, int>();
        int Bone(string name, float x, float y, params int[] children) => bones[name] = b.AddNode(name, translation: new(x, y, 0), children: children);
        int Limb(string side, float sx, bool arm)
        {
            string Upper(string s) => s + (arm ? "UpperArm" : "UpperLeg");
            int end = Bone(side + (arm ? "Hand" : "Foot"), arm ? sx * 0.25f : 0, arm ? 0 : -0.42f);
            int lower = Bone(side + (arm ? "LowerArm" : "LowerLeg"), arm ? sx * 0.25f : 0, arm ? 0 : -0.42f, end);
            return Bone(Upper(side), arm ? sx * 0.18f : sx * 0.1f, arm ? 0.38f : -0.05f, lower);
        }
        // As in real VRMs the head bone sits at the base of the head: the geometry hangs 10 cm above it.
        int geometry = b.AddNode("head-geometry", translation: new(0, 0.1f, 0), children: [parts.HeadNode, parts.BodyNode]);
        int head = Bone("head", 0, 0.45f, geometry);
        int spine = Bone("spine", 0, 0.1f, head, Limb("left", 1, true), Limb("right", -1, true));
        int hips = Bone("hips", 0, 0.95f, spine, Limb("left", 1, false), Limb("right", -1, false));
        var humanBones = new JsonObject();
        foreach (var (name, node) in bones) humanBones[name] = new JsonObject { ["node"] = node };
        var preset = new JsonObject();
        foreach (var (name, targets) in Presets)
        {
            var binds = new JsonArray();
            foreach (var target in targets)
            {
                int index = parts.TargetNames.ToList().IndexOf(target);
                int node = target.StartsWith("Fcl_EYE", StringComparison.Ordinal) ? parts.EyelidsNode : parts.MouthNode;
                binds.Add(new JsonObject { ["node"] = node, ["index"] = index, ["weight"] = 1.0 });
            }
            preset[name] = new JsonObject { ["morphTargetBinds"] = binds };
        }
        b.AddExtensionUsed("VRMC_vrm");
        b.Root["extensions"] = new JsonObject
        {
            ["VRMC_vrm"] = new JsonObject
            {
                ["specVersion"] = "1.0",
                // The licence URL is the one VRM 1.0 defines (three-vrm accepts only it by default).
                ["meta"] = new JsonObject
                {
                    ["name"] = "KvsInference test avatar", ["version"] = "1", ["authors"] = new JsonArray("KvsInference tests"),
                    ["licenseUrl"] = "https://vrm.dev/licenses/1.0/", ["avatarPermission"] = "everyone", ["commercialUsage"] = "corporation",
                },
                ["humanoid"] = new JsonObject { ["humanBones"] = humanBones },
                ["expressions"] = new JsonObject { ["preset"] = preset },
            },
        };
        return b.ToGlb([hips]);
    }

    /// <summary>A GLB with the Oculus viseme morphs and ARKit blinks, its head node not named Head.</summary>
    public static byte[] Oculus()
    {
        var parts = AvatarHead.Build(headName: "Wolf3D_Avatar");
        return parts.Builder.ToGlb([parts.HeadNode, parts.BodyNode]);
    }

    /// <summary>A GLB with ARKit mouth shapes (jawOpen, mouthFunnel, mouthPucker, mouthClose, mouthStretch*) and blinks.</summary>
    public static byte[] Arkit()
    {
        var parts = AvatarHead.Build(n => ArkitNames.GetValueOrDefault(n, n.StartsWith("viseme_", StringComparison.Ordinal) ? "extra_" + n[7..] : n));
        return parts.Builder.ToGlb([parts.HeadNode, parts.BodyNode]);
    }

    /// <summary>A GLB whose morphs follow none of the conventions (shape_0, shape_1 ...).</summary>
    public static byte[] NoConvention()
    {
        int i = 0;
        var parts = AvatarHead.Build(_ => "shape_" + i++);
        return parts.Builder.ToGlb([parts.HeadNode, parts.BodyNode]);
    }
}
