using KvsInference.Kvs;

namespace KvsInference.Media;

/// <summary>
/// A fixed list of streams, for sources without a control plane (files, tests, a consumer that knows its streams).
/// The ARN of each stream is its name, so leases are keyed by name.
/// </summary>
public sealed class StaticStreamCatalog : IStreamCatalog
{
    private readonly IReadOnlyList<KvsStreamInfo> _streams;

    /// <summary>Creates the catalog.</summary>
    /// <param name="streamNames">The stream names.</param>
    public StaticStreamCatalog(params string[] streamNames)
    {
        var created = DateTimeOffset.UnixEpoch;
        _streams = streamNames.Select(n => new KvsStreamInfo(n, n, "ACTIVE", created)).ToList();
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<KvsStreamInfo>> ListStreamsAsync(string? namePrefix, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<KvsStreamInfo>>(_streams.Where(s => namePrefix is null || s.StreamName.StartsWith(namePrefix, StringComparison.Ordinal)).ToList());

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, string>> ListTagsAsync(string streamArn, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>());
}
