using System.ComponentModel.DataAnnotations;
using KvsInference.Kvs;
using KvsInference.Leases;
using KvsInference.Media;
using KvsInference.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KvsInference.Tests.Leases;

public sealed class LeaseSynchronizerTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly InMemoryLeaseStore _store = new();
    private readonly InMemoryStreamCatalog _catalog = new();

    private LeaseSynchronizer NewSynchronizer(StreamDiscoveryOptions options) =>
        new(_store, new StreamSelector(_catalog, options), options, _time, NullLogger<LeaseSynchronizer>.Instance);

    [Fact]
    public async Task SyncOnce_PrefixAndTags_CreatesLeasesForMatchingActiveStreamsOnly()
    {
        _catalog.Add("meet-a", tags: new() { ["app"] = "avatar" });
        _catalog.Add("meet-b", tags: new() { ["app"] = "other" });
        _catalog.Add("meet-c", status: "CREATING", tags: new() { ["app"] = "avatar" });
        _catalog.Add("other-d", tags: new() { ["app"] = "avatar" });
        var options = new StreamDiscoveryOptions { NamePrefix = "meet-" };
        options.TagFilters["app"] = "avatar";
        var result = await NewSynchronizer(options).SyncOnceAsync(default);
        Assert.Equal(new LeaseSyncResult(1, 1, 0), result);
        var lease = Assert.Single(await _store.ListLeasesAsync(default));
        Assert.Equal(("arn:aws:kinesisvideo:us-east-1:1:stream/meet-a/1", "meet-a", null), (lease.LeaseKey, lease.StreamName, lease.LeaseOwner));
    }

    [Fact]
    public async Task Timer_StreamDeleted_LeaseDeletedOnlyAfterGracePeriod()
    {
        _catalog.Add("s1");
        _catalog.Add("s2");
        var options = new StreamDiscoveryOptions { RefreshPeriod = TimeSpan.FromSeconds(30) };
        options.StreamNames.Add("s1");
        options.StreamNames.Add("s2");
        await using var sync = NewSynchronizer(options);
        Assert.Equal(new LeaseSyncResult(2, 2, 0), await sync.StartAsync(default));
        _catalog.Remove("s2");
        for (var i = 0; i < 10; i++) { _time.Advance(TimeSpan.FromSeconds(30)); await sync.WhenIdleAsync(); }
        // First seen missing at the first tick (30 s); at 330 s it has been missing exactly the 5 min grace.
        _time.Advance(TimeSpan.FromSeconds(30));
        await sync.WhenIdleAsync();
        Assert.Equal(2, (await _store.ListLeasesAsync(default)).Count);
        _time.Advance(TimeSpan.FromSeconds(30));
        await sync.WhenIdleAsync();
        var left = Assert.Single(await _store.ListLeasesAsync(default));
        Assert.Equal("s1", left.StreamName);
    }

    [Fact]
    public async Task SyncOnce_StreamReappearsWithinGrace_KeepsLease()
    {
        _catalog.Add("s1");
        var options = new StreamDiscoveryOptions { DeletedStreamGracePeriod = TimeSpan.FromMinutes(1) };
        options.StreamNames.Add("s1");
        var sync = NewSynchronizer(options);
        await sync.SyncOnceAsync(default);
        _catalog.Remove("s1");
        await sync.SyncOnceAsync(default);
        _time.Advance(TimeSpan.FromSeconds(50));
        _catalog.Add("s1");
        await sync.SyncOnceAsync(default);
        _catalog.Remove("s1");
        _time.Advance(TimeSpan.FromSeconds(50));
        Assert.Equal(0, (await sync.SyncOnceAsync(default)).Deleted); // the missing clock restarted
        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(1, (await sync.SyncOnceAsync(default)).Deleted);
    }

    [Fact]
    public async Task Timer_CatalogFails_NothingDeletedAndRecovers()
    {
        _catalog.Add("s1");
        var options = new StreamDiscoveryOptions { RefreshPeriod = TimeSpan.FromSeconds(10), DeletedStreamGracePeriod = TimeSpan.Zero };
        options.StreamNames.Add("s1");
        await using var sync = NewSynchronizer(options);
        await sync.StartAsync(default);
        _catalog.Failing = true;
        for (var i = 0; i < 5; i++) { _time.Advance(TimeSpan.FromSeconds(10)); await sync.WhenIdleAsync(); }
        Assert.Equal(5, sync.FailedSyncs);
        Assert.Single(await _store.ListLeasesAsync(default));
    }

    [Fact]
    public void Validate_NoSelection_ReportsAllErrors()
    {
        var options = new StreamDiscoveryOptions { RefreshPeriod = TimeSpan.Zero };
        var e = Assert.Throws<ValidationException>(options.Validate);
        Assert.Contains("RefreshPeriod", e.Message);
        Assert.Contains("StreamNames, NamePrefix or TagFilters", e.Message);
    }
}

/// <summary>An in-memory <see cref="IStreamCatalog"/> for tests.</summary>
internal sealed class InMemoryStreamCatalog : IStreamCatalog
{
    private readonly Dictionary<string, (KvsStreamInfo Info, Dictionary<string, string> Tags)> _streams = new(StringComparer.Ordinal);

    public bool Failing { get; set; }

    public void Add(string name, string status = "ACTIVE", Dictionary<string, string>? tags = null) =>
        _streams[name] = (new KvsStreamInfo(name, $"arn:aws:kinesisvideo:us-east-1:1:stream/{name}/1", status, DateTimeOffset.UnixEpoch), tags ?? []);

    public void Remove(string name) => _streams.Remove(name);

    public Task<IReadOnlyList<KvsStreamInfo>> ListStreamsAsync(string? namePrefix, CancellationToken cancellationToken) =>
        Failing ? throw new HttpRequestException("injected catalog outage")
            : Task.FromResult<IReadOnlyList<KvsStreamInfo>>(_streams.Values.Select(s => s.Info).Where(s => namePrefix is null || s.StreamName.StartsWith(namePrefix, StringComparison.Ordinal)).ToList());

    public Task<IReadOnlyDictionary<string, string>> ListTagsAsync(string streamArn, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(_streams.Values.Single(s => s.Info.StreamArn == streamArn).Tags);
}
