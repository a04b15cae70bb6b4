using System.ComponentModel.DataAnnotations;

namespace KvsInference.Aws.KinesisVideo;

/// <summary>Settings of <see cref="KinesisVideoClient"/>.</summary>
public sealed class KinesisVideoClientOptions : AwsClientOptions
{
    /// <summary>Gets or sets how long a GetDataEndpoint answer is reused for the same stream and API.</summary>
    /// <value>The default value is <see cref="KinesisVideoConstants.DefaultDataEndpointCacheDuration"/>.</value>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan DataEndpointCacheDuration { get; set; } = KinesisVideoConstants.DefaultDataEndpointCacheDuration;

    /// <summary>Gets or sets the page size of ListStreams and ListFragments.</summary>
    /// <value>The default value is <see cref="KinesisVideoConstants.DefaultPageSize"/>.</value>
    [Range(1, 10000)]
    public int PageSize { get; set; } = KinesisVideoConstants.DefaultPageSize;
}

/// <summary>Limits and defaults of the Kinesis Video Streams API.</summary>
public static class KinesisVideoConstants
{
    /// <summary>The default time a data endpoint is cached.</summary>
    public static readonly TimeSpan DefaultDataEndpointCacheDuration = TimeSpan.FromMinutes(10);

    /// <summary>The default page size of list calls.</summary>
    public const int DefaultPageSize = 100;

    /// <summary>The most fragments one GetMediaForFragmentList call accepts.</summary>
    public const int MaxFragmentsPerGetMediaForFragmentList = 1000;

    /// <summary>The most results of one ListStreams page.</summary>
    public const int MaxListStreamsResults = 10000;

    /// <summary>The most viewers one signaling channel connects at a time (a documented KVS quota).</summary>
    public const int MaxViewersPerSignalingChannel = 10;
}
