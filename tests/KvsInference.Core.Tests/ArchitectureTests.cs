using System.Text.RegularExpressions;
using KvsInference.TestSupport;

namespace KvsInference.Tests;

/// <summary>
/// The rules of what may use what, read from the one list in docs/architecture.md and checked against every source
/// file under src/: a `using KvsInference.X` or a qualified `KvsInference.X.Y` name is a use of part X.
/// </summary>
public sealed partial class ArchitectureTests
{
    private static readonly string[] Projects = ["Core", "Avatar", "LocalKvs", "Meeting", "Worker", "Cdk"];

    [Fact]
    public void Sources_EveryReferenceBetweenParts_IsAllowedByTheArchitecturePage()
    {
        var rules = ReadRules(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "architecture.md")));
        var violations = FindViolations(rules, SourceFiles()).ToList();
        Assert.True(violations.Count == 0, "forbidden dependencies (docs/architecture.md, \"What may use what\"):\n" + string.Join("\n", violations));
    }

    [Fact]
    public void ReadRules_ArchitecturePage_NamesEveryProjectAndCoreFolder()
    {
        var rules = ReadRules(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "architecture.md")));
        var coreFolders = Directory.GetDirectories(Path.Combine(TestPaths.RepoRoot, "src", "KvsInference.Core"))
            .Select(Path.GetFileName).Where(n => n is not ("bin" or "obj")).Select(n => "Core/" + n);
        var parts = Projects.Where(p => p != "Core").Concat(coreFolders).ToList();
        foreach (var part in parts)
        {
            Assert.True(rules.ContainsKey(part!), $"docs/architecture.md has no rule for {part}");
        }
        // Every allowed entry names a part: a typo or a note such as "(debt)" would silently forbid instead of allow.
        foreach (var (part, allowed) in rules)
        {
            foreach (var target in allowed)
            {
                Assert.True(target == "Core" || parts.Contains(target), $"docs/architecture.md: the rule of {part} names '{target}', which is not a part");
            }
        }
    }

    [Fact]
    public void FindViolations_ForbiddenUsing_IsReportedWithFileAndLine()
    {
        var rules = ReadRules(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "architecture.md")));
        var file = ("src/KvsInference.Core/Matroska/Example.cs", "using KvsInference.Audio;\nnamespace KvsInference.Matroska;\n");
        var violation = Assert.Single(FindViolations(rules, [file]));
        Assert.Equal("src/KvsInference.Core/Matroska/Example.cs:1: Core/Matroska uses Core/Audio", violation);
    }

    /// <summary>Reads the rows "| part | may use |" of the table that follows the rules marker.</summary>
    internal static Dictionary<string, HashSet<string>> ReadRules(string page)
    {
        int marker = page.IndexOf("<!-- rules:", StringComparison.Ordinal);
        Assert.True(marker >= 0, "docs/architecture.md has no rules table");
        var rules = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var line in page[marker..].Split('\n').Skip(1))
        {
            if (!line.StartsWith('|'))
            {
                if (rules.Count > 0) break;
                continue;
            }
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length < 3 || cells[1] is "part" || cells[1].StartsWith("---", StringComparison.Ordinal)) continue;
            var allowed = cells[2] == "-" ? [] : cells[2].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            rules[cells[1]] = [.. allowed];
        }
        return rules;
    }

    internal static IEnumerable<string> FindViolations(Dictionary<string, HashSet<string>> rules, IEnumerable<(string Path, string Text)> files)
    {
        foreach (var (path, text) in files)
        {
            var from = PartOf(path);
            if (from is null) continue;
            var lines = text.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                // A comment names a part without depending on it.
                var code = lines[i].TrimStart();
                if (code.StartsWith("namespace ", StringComparison.Ordinal) || code.StartsWith("//", StringComparison.Ordinal)) continue;
                foreach (Match m in Reference().Matches(code))
                {
                    var to = TargetOf(m.Groups[1].Value);
                    if (to is null || to == from || Allowed(rules, from, to)) continue;
                    yield return $"{path}:{i + 1}: {from} uses {to}";
                }
            }
        }
    }

    private static bool Allowed(Dictionary<string, HashSet<string>> rules, string from, string to)
    {
        if (!rules.TryGetValue(from, out var allowed))
        {
            // A Core folder without a row of its own may use nothing; a project without a row is reported by the test above.
            return false;
        }
        if (allowed.Contains(to)) return true;
        // "Core" in a project's row allows every Core folder.
        return to.StartsWith("Core/", StringComparison.Ordinal) && allowed.Contains("Core");
    }

    /// <summary>The part a source file belongs to: "Core/Folder" in Core, the project name elsewhere.</summary>
    private static string? PartOf(string relativePath)
    {
        var segments = relativePath.Replace('\\', '/').Split('/');
        if (segments.Length < 3 || segments[0] != "src" || !segments[1].StartsWith("KvsInference.", StringComparison.Ordinal)) return null;
        var project = segments[1]["KvsInference.".Length..];
        if (project != "Core") return project;
        return segments.Length > 3 ? "Core/" + segments[2] : "Core";
    }

    /// <summary>The part a namespace names: KvsInference.Avatar... is the Avatar project, KvsInference.Audio... Core/Audio.</summary>
    private static string? TargetOf(string firstName) =>
        Projects.Contains(firstName) ? (firstName == "Core" ? null : firstName) : "Core/" + firstName;

    private static IEnumerable<(string Path, string Text)> SourceFiles()
    {
        var src = Path.Combine(TestPaths.RepoRoot, "src");
        foreach (var file in Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(TestPaths.RepoRoot, file).Replace('\\', '/');
            if (relative.Contains("/bin/", StringComparison.Ordinal) || relative.Contains("/obj/", StringComparison.Ordinal)) continue;
            yield return (relative, File.ReadAllText(file));
        }
    }

    // KvsInference.X in a using directive or a qualified name (not inside a longer identifier).
    [GeneratedRegex(@"(?<![\w.])KvsInference\.([A-Z]\w*)")]
    private static partial Regex Reference();
}
