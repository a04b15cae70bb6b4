using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using KvsInference.Validation;

namespace KvsInference.Meeting;

/// <summary>
/// What the 3D avatar needs over HTTP, for the meeting page and for the server-side renderer alike:
/// <c>/meeting/avatar3d/config</c> (where the avatar is, whether the libraries are here), <c>/meeting/avatar/default.glb</c>
/// (the generated head), <c>/meeting/avatar/configured.vrm|.glb</c> (a configured file) and <c>/meeting/vendor/...</c>
/// (the library files found in the library folder at start: only those, no path from a request reaches the disk).
/// </summary>
internal static class AvatarAssets
{
    /// <summary>The default library folder: meeting-vendor next to the application (the build copies it there).</summary>
    public static string DefaultLibraryDirectory => Path.Combine(AppContext.BaseDirectory, "meeting-vendor");

    /// <summary>The avatar's URL as a page loads it: the configured file's route, the configured URL, or the default head's.</summary>
    public static string UrlOf(string? avatar) => string.IsNullOrWhiteSpace(avatar) ? "/meeting/avatar/default.glb"
        : IsUrl(avatar) ? avatar : "/meeting/avatar/configured" + Path.GetExtension(avatar).ToLowerInvariant();

    private static bool IsUrl(string avatar) =>
        Uri.TryCreate(avatar, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    /// <summary>Checks an avatar setting: empty, an http(s) URL, or an existing .vrm/.glb file.</summary>
    /// <param name="avatar">The setting's value.</param>
    /// <returns>Null when it is one of these, else the error for <see cref="KvsInference.Validation.OptionsValidator"/> on <paramref name="member"/>.</returns>
    public static ValidationResult? Check(string? avatar, string member)
    {
        if (string.IsNullOrWhiteSpace(avatar) || IsUrl(avatar)) return null;
        var extension = Path.GetExtension(avatar).ToLowerInvariant();
        if (extension is not (".vrm" or ".glb"))
        {
            return OptionsValidator.Error(member, $"'{avatar}' is neither an http(s) URL nor a .vrm or .glb file (a .gltf with separate buffers cannot be served as one file; convert it to .glb).");
        }
        return File.Exists(avatar) ? null : OptionsValidator.Error(member, $"the file '{Path.GetFullPath(avatar)}' does not exist.");
    }

    /// <summary>Maps the routes (see the class) on <paramref name="app"/>.</summary>
    public static void Map(IEndpointRouteBuilder app, string? avatar, string libraryDirectory)
    {
        var vendor = Path.GetFullPath(libraryDirectory);
        var files = Directory.Exists(vendor)
            ? Directory.EnumerateFiles(vendor, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(vendor, f).Replace('\\', '/')).ToArray()
            : [];
        foreach (var relative in files)
        {
            var full = Path.Combine(vendor, relative);
            var type = relative.EndsWith(".js", StringComparison.Ordinal) ? "text/javascript; charset=utf-8" : "text/plain; charset=utf-8";
            app.MapGet("/meeting/vendor/" + relative, () => Results.File(full, type));
        }
        string[] needed = ["three/build/three.module.js", "@pixiv/three-vrm/lib/three-vrm.module.min.js", "three/examples/jsm/loaders/GLTFLoader.js"];
        var missing = needed.Where(n => !files.Contains(n)).ToArray();
        var url = UrlOf(avatar);
        var config = JsonSerializer.SerializeToUtf8Bytes(new
        {
            avatar = url,
            libraries = missing.Length == 0,
            librariesMissing = missing.Length == 0 ? null
                : $"the 3D libraries are not installed ({string.Join(", ", missing)} missing in {vendor}; scripts/setup installs them with npm ci in src/KvsInference.Meeting/vendor, then build again)",
        }, MeetingEndpointExtensions.Json);
        app.MapGet("/meeting/avatar3d/config", () => Results.Bytes(config, "application/json"));
        var head = new Lazy<byte[]>(Avatar.Rendering3D.AvatarHead.DefaultGlb);
        app.MapGet("/meeting/avatar/default.glb", () => Results.Bytes(head.Value, "model/gltf-binary"));
        if (!string.IsNullOrWhiteSpace(avatar) && !IsUrl(avatar))
        {
            var path = Path.GetFullPath(avatar);
            app.MapGet(url, () => Results.File(path, "model/gltf-binary"));
        }
    }
}
