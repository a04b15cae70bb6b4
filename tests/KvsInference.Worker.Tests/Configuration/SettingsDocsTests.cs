using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using KvsInference.Pipeline;
using KvsInference.TestSupport;
using KvsInference.Worker.Configuration;

namespace KvsInference.Tests.Configuration;

/// <summary>
/// docs/operating.md's table of settings and its table of old keys are checked against the options classes and the
/// alias table, so that neither can drift: every bindable property has its row with its default, every row a property.
/// </summary>
public sealed partial class SettingsDocsTests
{
    private static readonly string Page = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "operating.md"));

    /// <summary>Defaults that are not one value: made per process.</summary>
    private static readonly HashSet<string> Generated = ["KVSI:Leases:WorkerId"];

    [Fact]
    public void SettingsTable_EveryBindablePropertyWithItsDefault()
    {
        var documented = Rows("settings").ToDictionary(r => r.First, r => r.Second, StringComparer.Ordinal);
        var expected = Bindable().ToList();

        var missing = expected.Where(e => !documented.ContainsKey(e.Key)).Select(e => $"| `{e.Key}` | {e.Default} | |").ToList();
        var unknown = documented.Keys.Except(expected.Select(e => e.Key), StringComparer.Ordinal).ToList();
        var wrong = expected.Where(e => documented.TryGetValue(e.Key, out var d) && !Generated.Contains(e.Key) && d != e.Default)
            .Select(e => $"{e.Key}: documented {documented[e.Key]}, the default is {e.Default}").ToList();

        Assert.True(missing.Count + unknown.Count + wrong.Count == 0,
            $"docs/operating.md's settings table is out of date.\nMissing rows:\n{string.Join("\n", missing)}\nRows of no setting: {string.Join(", ", unknown)}\nWrong defaults:\n{string.Join("\n", wrong)}");
    }

    [Fact]
    public void OldKeysTable_EveryAlias()
    {
        var documented = Rows("old-keys").ToHashSet();

        Assert.All(ConfigurationAliases.All, alias => Assert.Contains((alias.OldKey, $"`{alias.NewKey}`"), documented));
        Assert.Equal(ConfigurationAliases.All.Count, documented.Count);
    }

    /// <summary>The rows between <c>&lt;!-- name: ... --&gt;</c> and <c>&lt;!-- /name --&gt;</c>: the first cell's key and the second cell.</summary>
    private static IEnumerable<(string First, string Second)> Rows(string name)
    {
        int start = Page.IndexOf($"<!-- {name}:", StringComparison.Ordinal);
        int end = Page.IndexOf($"<!-- /{name} -->", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"docs/operating.md has no <!-- {name}: ... --> ... <!-- /{name} --> table.");
        foreach (Match m in Row().Matches(Page[start..end])) yield return (m.Groups[1].Value, m.Groups[2].Value.Trim());
    }

    [GeneratedRegex(@"^\| `([^`]+)` \| ([^|]*) \|", RegexOptions.Multiline)]
    private static partial Regex Row();

    private static IEnumerable<(string Key, string Default)> Bindable()
    {
        var worker = new WorkerOptions();
        foreach (var (name, options) in WorkerConfiguration.Parts(new KvsInferenceOptions(), worker))
        {
            foreach (var property in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                bool collection = property.PropertyType != typeof(string) && typeof(IEnumerable).IsAssignableFrom(property.PropertyType);
                if (property.SetMethod?.IsPublic != true && !collection) continue;
                yield return ($"{WorkerConfiguration.Section}:{name}:{property.Name}", Format(property.GetValue(options)));
            }
        }
        yield return ($"{WorkerConfiguration.Section}:{nameof(WorkerOptions.DurationSeconds)}", Format(worker.DurationSeconds));
    }

    /// <summary>How the table writes a default: in backticks as it would be configured; "-" for none.</summary>
    private static string Format(object? value) => value switch
    {
        null or "" => "-",
        TimeSpan t => $"`{TrimFraction(t.ToString("c", CultureInfo.InvariantCulture))}`",
        bool b => b ? "`true`" : "`false`",
        IEnumerable e and not string => e.Cast<object>().Any() ? throw new InvalidOperationException("a collection with a default") : "-",
        IFormattable f => $"`{f.ToString(null, CultureInfo.InvariantCulture)}`",
        _ => $"`{value}`",
    };

    private static string TrimFraction(string text) => text.Contains('.', StringComparison.Ordinal) && text.LastIndexOf('.') > text.LastIndexOf(':') ? text.TrimEnd('0').TrimEnd('.') : text;
}
