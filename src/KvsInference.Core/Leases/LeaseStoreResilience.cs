using System.Net;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace KvsInference.Leases;

/// <summary>
/// The one place that decides which DynamoDB errors are transient and how they are retried: throttling
/// (ProvisionedThroughputExceeded, Throttling, RequestLimitExceeded) and 5xx / InternalServerError, with exponential
/// jittered backoff. Conditional-check failures are never retried: they are answers.
/// </summary>
public static class LeaseStoreResilience
{
    /// <summary>Whether <paramref name="exception"/> is a transient DynamoDB failure worth retrying.</summary>
    /// <param name="exception">The failure.</param>
    /// <returns>True for throttling and server errors.</returns>
    public static bool IsTransient(Exception exception) => exception switch
    {
        ConditionalCheckFailedException => false,
        ProvisionedThroughputExceededException or ThrottlingException or RequestLimitExceededException or InternalServerErrorException => true,
        AmazonServiceException { StatusCode: >= HttpStatusCode.InternalServerError } => true,
        AmazonServiceException { ErrorCode: "ThrottlingException" or "Throttling" or "ProvisionedThroughputExceededException" or "RequestLimitExceeded" } => true,
        HttpRequestException => true,
        _ => false,
    };

    /// <summary>Builds the retry pipeline of the lease store.</summary>
    /// <param name="maxAttempts">Attempts, the first call included (1 disables retries).</param>
    /// <param name="baseDelay">The base delay of the exponential backoff.</param>
    /// <param name="timeProvider">The clock for the delays.</param>
    /// <param name="logger">Logs each retry.</param>
    /// <returns>The pipeline.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxAttempts"/> is below 1.</exception>
    public static ResiliencePipeline Create(int maxAttempts, TimeSpan baseDelay, TimeProvider timeProvider, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider };
        if (maxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = maxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = baseDelay,
                MaxDelay = TimeSpan.FromSeconds(5),
                OnRetry = args =>
                {
                    var error = args.Outcome.Exception;
                    LeaseMetrics.StoreErrors.Add(1, new("error.type", error?.GetType().Name), new("retried", true));
                    logger.LogWarning(error, "Lease store call failed transiently (attempt {Attempt}); retrying in {Delay}.", args.AttemptNumber + 1, args.RetryDelay);
                    return default;
                },
            });
        }
        return builder.Build();
    }
}
