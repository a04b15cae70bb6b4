using KvsInference.Validation;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace KvsInference.Aws;

/// <summary>The one place the retry and timeout policy of every AWS call is defined.</summary>
/// <remarks>
/// Strategies, outermost first: a total timeout (<see cref="AwsResilienceOptions.TotalTimeout"/>); a retry with exponential
/// back-off and jitter (<see cref="AwsResilienceOptions.MaxRetryAttempts"/>, <see cref="AwsResilienceOptions.BaseDelay"/>,
/// <see cref="AwsResilienceOptions.MaxDelay"/>); a per-attempt timeout (<see cref="AwsResilienceOptions.AttemptTimeout"/>)
/// that covers the call until its response headers arrive. Retried: every <see cref="AwsServiceException.IsRetryable"/> error
/// (throttling codes, HTTP 429 and 5xx), transport failures (<see cref="HttpRequestException"/>) and attempt timeouts.
/// Never retried: other 4xx errors and the caller's own cancellation. Each attempt builds and signs a fresh request,
/// because the retry sits above the signing handler.
/// </remarks>
public static class AwsResilience
{
    /// <summary>Builds the pipeline.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="timeProvider">The clock that drives delays and timeouts.</param>
    /// <param name="onRetry">Called before each retry (logging, metrics), or null.</param>
    /// <returns>The pipeline.</returns>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public static ResiliencePipeline Build(AwsResilienceOptions options, TimeProvider timeProvider, Action<OnRetryArguments<object>>? onRetry = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        OptionsValidator.Validate(options);
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddTimeout(options.TotalTimeout);
        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetryAttempts,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome.Exception)),
                OnRetry = args =>
                {
                    onRetry?.Invoke(args);
                    return ValueTask.CompletedTask;
                },
            });
        }
        return builder.AddTimeout(options.AttemptTimeout).Build();
    }

    /// <summary>Whether an exception is worth retrying under this policy.</summary>
    /// <param name="exception">The failure, or null.</param>
    /// <returns>True for retryable AWS errors, transport failures and attempt timeouts.</returns>
    public static bool IsTransient(Exception? exception) => exception switch
    {
        AwsServiceException aws => aws.IsRetryable,
        HttpRequestException => true,
        TimeoutRejectedException => true,
        IOException => true,
        _ => false,
    };
}
