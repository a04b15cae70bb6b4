namespace KvsInference.LocalKvs.Storage;

/// <summary>Defaults of the local media store; the KVS quotas they imitate are named in each comment.</summary>
internal static class MediaStoreConstants
{
    /// <summary>The default port of <c>media serve</c>.</summary>
    public const int DefaultPort = 4567;

    /// <summary>KVS: a fragment may hold at most 50 MB.</summary>
    public const long DefaultMaxFragmentSizeBytes = 50L * 1000 * 1000;

    /// <summary>KVS: a fragment may last at most 20 s.</summary>
    public static readonly TimeSpan DefaultMaxFragmentDuration = TimeSpan.FromSeconds(20);

    /// <summary>KVS: 3 concurrent GetMedia connections per stream.</summary>
    public const int DefaultGetMediaConnectionsPerStream = 3;

    /// <summary>KVS: 5 GetMedia calls per second per stream.</summary>
    public const int DefaultGetMediaCallsPerSecondPerStream = 5;

    /// <summary>KVS: one PutMedia connection per stream (a second one is throttled).</summary>
    public const int DefaultPutMediaConnectionsPerStream = 1;

    /// <summary>KVS: 5 PutMedia calls per second per stream.</summary>
    public const int DefaultPutMediaCallsPerSecondPerStream = 5;

    /// <summary>KVS: 5 calls per second per stream for ListFragments and GetMediaForFragmentList (per-stream share of the account limit, here per stream).</summary>
    public const int DefaultArchivedMediaCallsPerSecondPerStream = 10;

    /// <summary>How long a GetMedia response waits for a new fragment before it ends (KVS keeps a live GetMedia open while fragments arrive).</summary>
    public static readonly TimeSpan DefaultGetMediaIdleTimeout = TimeSpan.FromSeconds(20);

    /// <summary>How long fragments of a stream with DataRetentionInHours 0 are kept for live readers.</summary>
    public static readonly TimeSpan DefaultZeroRetentionWindow = TimeSpan.FromMinutes(2);

    /// <summary>How often the retention sweep runs.</summary>
    public static readonly TimeSpan DefaultRetentionSweepInterval = TimeSpan.FromMinutes(1);

    /// <summary>How long a PutMedia connection may send no bytes before it is closed with 4000 STREAM_READ_ERROR.</summary>
    public static readonly TimeSpan DefaultPutMediaReadTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The most fragments GetMediaForFragmentList accepts (KVS: 1000).</summary>
    public const int MaxFragmentsPerList = 1000;

    /// <summary>The most results ListFragments returns in one page (KVS: 1000).</summary>
    public const int MaxListFragmentsResults = 1000;

    /// <summary>The most streams ListStreams returns in one page (KVS: 10000).</summary>
    public const int MaxListStreamsResults = 10000;

    /// <summary>
    /// The largest EBML header, Info or Tracks element (and any other element outside a Cluster) PutMedia holds in
    /// memory: 2 MiB, room for three tracks whose CodecPrivate reaches the producer SDK's 1 MiB limit.
    /// </summary>
    public const long DefaultMaxHeaderElementSizeBytes = 2L * 1024 * 1024;

    /// <summary>KVS: DataRetentionInHours is at most 87600 (10 years).</summary>
    public const int MaxRetentionHours = 87600;

    /// <summary>KVS: at most 50 tags per stream.</summary>
    public const int MaxTags = 50;

    /// <summary>KVS: a tag key has 1 to 128 characters.</summary>
    public const int MaxTagKeyLength = 128;

    /// <summary>KVS: a tag value has 0 to 256 characters.</summary>
    public const int MaxTagValueLength = 256;

    /// <summary>KVS allows at most 3 tracks in a fragment.</summary>
    public const int MaxTracks = 3;

    /// <summary>The Content-Type of GetMedia output for a stream created without a MediaType (KVS answers with the stream's MediaType).</summary>
    public const string DefaultMediaType = "video/webm";

    /// <summary>The region in ARNs the store makes.</summary>
    public const string DefaultRegion = "us-east-1";

    /// <summary>The account in ARNs the store makes.</summary>
    public const string DefaultAccountId = "000000000000";
}
