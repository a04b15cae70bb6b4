using KvsInference.Kvs;
using KvsInference.Leases;
using KvsInference.Media;

namespace KvsInference.Pipeline;

/// <summary>
/// Selects the ACTIVE streams that <see cref="StreamDiscoveryOptions"/> describe from an <see cref="IStreamCatalog"/>;
/// as an <see cref="ILeaseKeySource"/> it gives each selected stream a lease keyed by its ARN.
/// </summary>
public sealed class StreamSelector : ILeaseKeySource
{
    private readonly IStreamCatalog _catalog;
    private readonly StreamDiscoveryOptions _options;
    private readonly HashSet<string> _names;

    /// <summary>Creates the selector.</summary>
    /// <param name="catalog">The stream catalog (the KVS control plane or the local media store).</param>
    /// <param name="options">The selection; validated here.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public StreamSelector(IStreamCatalog catalog, StreamDiscoveryOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _catalog = catalog;
        _options = options;
        _names = new HashSet<string>(options.StreamNames, StringComparer.Ordinal);
    }

    /// <summary>
    /// Lists streams with the name prefix, keeps the explicit names (when given), then those carrying every tag filter,
    /// and of those only ACTIVE streams.
    /// </summary>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The selected streams.</returns>
    /// <exception cref="Exception">Whatever the catalog throws: the caller must not treat a failed listing as "no streams".</exception>
    public async Task<IReadOnlyList<KvsStreamInfo>> SelectAsync(CancellationToken cancellationToken)
    {
        var streams = await _catalog.ListStreamsAsync(string.IsNullOrEmpty(_options.NamePrefix) ? null : _options.NamePrefix, cancellationToken).ConfigureAwait(false);
        var selected = new List<KvsStreamInfo>();
        foreach (var stream in streams)
        {
            if (!string.Equals(stream.Status, "ACTIVE", StringComparison.Ordinal)) continue;
            if (_names.Count > 0 && !_names.Contains(stream.StreamName)) continue;
            if (_options.TagFilters.Count > 0)
            {
                var tags = await _catalog.ListTagsAsync(stream.StreamArn, cancellationToken).ConfigureAwait(false);
                if (!_options.TagFilters.All(f => tags.TryGetValue(f.Key, out var v) && string.Equals(v, f.Value, StringComparison.Ordinal))) continue;
            }
            selected.Add(stream);
        }
        return selected;
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<LeaseTarget>> ListTargetsAsync(CancellationToken cancellationToken)
    {
        var streams = await SelectAsync(cancellationToken).ConfigureAwait(false);
        return streams.Select(s => new LeaseTarget(s.StreamArn, s.StreamName)).ToList();
    }
}
