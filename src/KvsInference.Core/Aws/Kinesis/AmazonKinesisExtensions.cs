using KvsInference.Aws.Generated.Kinesis;

namespace KvsInference.Aws.Kinesis;

/// <summary>Paging and waiting over <see cref="IAmazonKinesis"/> (what aws-sdk-net's paginators and waiters do).</summary>
public static class AmazonKinesisExtensions
{
    /// <summary>Lists every shard of a stream, following NextToken.</summary>
    /// <param name="kinesis">The client.</param>
    /// <param name="streamName">The stream.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>The shards.</returns>
    /// <exception cref="AwsResourceNotFoundException">The stream does not exist.</exception>
    public static async Task<IReadOnlyList<Shard>> ListAllShardsAsync(this IAmazonKinesis kinesis, string streamName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kinesis);
        ArgumentException.ThrowIfNullOrWhiteSpace(streamName);
        var shards = new List<Shard>();
        string? token = null;
        do
        {
            // With a NextToken the stream name must be absent (API rule).
            var request = token is null ? new ListShardsRequest { StreamName = streamName } : new ListShardsRequest { NextToken = token };
            var page = await kinesis.ListShardsAsync(request, cancellationToken).ConfigureAwait(false);
            shards.AddRange(page.Shards ?? []);
            token = string.IsNullOrEmpty(page.NextToken) ? null : page.NextToken;
        }
        while (token is not null);
        return shards;
    }

    /// <summary>Waits until a stream is ACTIVE, polling DescribeStreamSummary every 50 ms.</summary>
    /// <param name="kinesis">The client.</param>
    /// <param name="streamName">The stream.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <param name="timeProvider">The clock of the wait, or null for the system clock.</param>
    /// <exception cref="TimeoutException">The stream did not become active in time.</exception>
    public static async Task WaitForStreamActiveAsync(this IAmazonKinesis kinesis, string streamName, TimeSpan timeout, CancellationToken cancellationToken,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(kinesis);
        var time = timeProvider ?? TimeProvider.System;
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            var summary = await kinesis.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = streamName }, cancellationToken).ConfigureAwait(false);
            var status = summary.StreamDescriptionSummary?.StreamStatus;
            if (status == "ACTIVE") return;
            if (time.GetUtcNow() > deadline) throw new TimeoutException($"Kinesis stream '{streamName}' is still {status} after {timeout}.");
            await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken).ConfigureAwait(false);
        }
    }
}
