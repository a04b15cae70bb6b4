using Microsoft.Extensions.Configuration;

namespace KvsInference.Worker.Configuration;

/// <summary>
/// A configuration source, added after every other, that gives each old key of <see cref="ConfigurationAliases"/> its
/// new key: where the source that decides a key (the last one that sets the old or the new key) sets the old key, its
/// value (converted) appears under the new key. A new key set by that source or a later one wins over the old key.
/// </summary>
internal sealed class KeyAliasSource : IConfigurationSource
{
    private readonly IReadOnlyList<KeyAlias> _aliases;
    private readonly List<string> _warnings = [];
    private readonly List<string> _errors = [];

    public KeyAliasSource(IReadOnlyList<KeyAlias>? aliases = null) => _aliases = aliases ?? ConfigurationAliases.All;

    /// <summary>One deprecation warning per old key in use, naming the new key.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>Old values that could not be converted, each named by its key.</summary>
    public IReadOnlyList<string> Errors => _errors;

    public IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        // The sources before this one, read again on their own: this provider must not see its own keys.
        var below = builder.Sources.TakeWhile(s => !ReferenceEquals(s, this)).ToList();
        return new Provider(this, below);
    }

    private sealed class Provider(KeyAliasSource owner, IReadOnlyList<IConfigurationSource> below) : ConfigurationProvider
    {
        public override void Load()
        {
            owner._warnings.Clear();
            owner._errors.Clear();
            var builder = new ConfigurationBuilder();
            foreach (var source in below) builder.Add(source);
            var providers = builder.Build().Providers.Reverse().ToList();
            try
            {
                var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
                foreach (var alias in owner._aliases)
                {
                    var decider = providers.FirstOrDefault(p => Has(p, alias.OldKey) || Has(p, alias.NewKey));
                    if (decider is null) continue;
                    if (Has(decider, alias.NewKey) || Has(data, alias.NewKey))
                    {
                        if (providers.Any(p => Has(p, alias.OldKey))) owner._warnings.Add($"{alias.OldKey} is deprecated and ignored: {alias.NewKey} is set.");
                        continue;
                    }
                    owner._warnings.Add($"{alias.OldKey} is deprecated: use {alias.NewKey}.");
                    Copy(decider, alias, data);
                }
                Data = data;
            }
            finally
            {
                // Only the copies made here; a chained configuration belongs to whoever added it.
                foreach (var provider in providers.Where(p => p is not ChainedConfigurationProvider)) (provider as IDisposable)?.Dispose();
            }
        }

        private void Copy(IConfigurationProvider from, KeyAlias alias, Dictionary<string, string?> data)
        {
            if (from.TryGet(alias.OldKey, out var value) && value is not null)
            {
                try
                {
                    var converted = alias.Convert is null ? value : alias.Convert(value);
                    if (converted is not null) data[alias.NewKey] = converted;
                }
                catch (FormatException e)
                {
                    owner._errors.Add($"{alias.OldKey}: {e.Message}");
                }
            }
            // Children (KVSI:Streams:Names:0, :1, ...) keep their path below the new key; only plain renames have them.
            foreach (var (suffix, child) in Children(from, alias.OldKey))
            {
                if (alias.Convert is null) data[alias.NewKey + suffix] = child;
                else owner._errors.Add($"{alias.OldKey}{suffix}: {alias.OldKey} takes one value, not a section.");
            }
        }

        private static bool Has(IConfigurationProvider provider, string key) =>
            provider.TryGet(key, out _) || provider.GetChildKeys([], key).Any();

        private static bool Has(Dictionary<string, string?> data, string key) =>
            data.Keys.Any(k => k.Equals(key, StringComparison.OrdinalIgnoreCase) || k.StartsWith(key + ":", StringComparison.OrdinalIgnoreCase));

        private static IEnumerable<(string Suffix, string? Value)> Children(IConfigurationProvider provider, string key)
        {
            foreach (var child in provider.GetChildKeys([], key).Distinct(StringComparer.OrdinalIgnoreCase))
            {
                var path = key + ":" + child;
                if (provider.TryGet(path, out var value)) yield return (":" + child, value);
                foreach (var (suffix, deeper) in Children(provider, path)) yield return (":" + child + suffix, deeper);
            }
        }
    }
}

/// <summary>Adds the <see cref="KeyAliasSource"/>.</summary>
internal static class KeyAliasConfigurationExtensions
{
    /// <summary>Adds the alias source after every source added so far; add it last.</summary>
    public static IConfigurationBuilder AddKeyAliases(this IConfigurationBuilder builder, out KeyAliasSource aliases)
    {
        aliases = new KeyAliasSource();
        return builder.Add(aliases);
    }
}
