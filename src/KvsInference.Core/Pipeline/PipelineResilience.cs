using KvsInference.Leases;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace KvsInference.Pipeline;

/// <summary>The pipeline's resilience strategies, configured in one place.</summary>
internal static class PipelineResilience
{
    /// <summary>
    /// Reconnects a stream after any failure except cancellation and a lost lease: jittered exponential backoff from
    /// <see cref="StreamProcessorOptions.ReconnectDelay"/> to <see cref="StreamProcessorOptions.MaxReconnectDelay"/>,
    /// without limit, since a live stream is worth waiting for and other streams are not affected.
    /// </summary>
    public static ResiliencePipeline CreateReconnectPipeline(StreamProcessorOptions options, TimeProvider timeProvider, ILogger logger, string streamName) =>
        new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.ReconnectDelay,
                MaxDelay = options.MaxReconnectDelay,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException and not LeaseLostException),
                OnRetry = args =>
                {
                    logger.LogWarning("Stream {Stream}: {Error}; reconnecting from the last checkpoint in {Delay} (attempt {Attempt})",
                        streamName, args.Outcome.Exception?.Message, args.RetryDelay, args.AttemptNumber + 1);
                    return default;
                },
            })
            .Build();
}
