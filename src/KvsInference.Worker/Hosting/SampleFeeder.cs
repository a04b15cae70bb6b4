using KvsInference.Aws.KinesisVideo;
using KvsInference.Media;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KvsInference.Worker.Hosting;

/// <summary>
/// The producer of the embedded default: plays a speech WebM into each demo stream in real time through the
/// KVS PutMedia API (the same client a real producer would use), one PutMedia session per loop of the file with
/// RELATIVE timecodes from the loop's start, so timestamps keep increasing.
/// </summary>
internal sealed class SampleFeeder(KinesisVideoClient client, IReadOnlyList<string> streams, byte[] media, TimeProvider time, ILogger<SampleFeeder> logger) : BackgroundService
{
    public long FragmentsPersisted => Interlocked.Read(ref _persisted);
    private long _persisted;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(streams.Select(stream => FeedAsync(stream, stoppingToken)));

    private async Task FeedAsync(string stream, CancellationToken cancellationToken)
    {
        // Spread the streams' starts so that their fragments do not all arrive in the same millisecond.
        await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(0, 1000)), time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var payload = RealTimeMkvStream.Create(media, time);
                await using var session = await client.PutMediaAsync(new KvsPutMediaRequest
                {
                    StreamName = stream,
                    FragmentTimecodeType = KvsFragmentTimecodeType.Relative,
                    ProducerStartTimestamp = time.GetUtcNow(),
                    Payload = payload,
                }, cancellationToken).ConfigureAwait(false);
                await foreach (var ack in session.ReadAcknowledgementsAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (ack.EventTypeName == "PERSISTED") Interlocked.Increment(ref _persisted);
                    else if (ack.EventTypeName == "ERROR") logger.LogWarning("PutMedia {Stream}: error {Id} at {Timecode}", stream, ack.ErrorId, ack.FragmentTimecode);
                }
                await session.UploadCompletion.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning("PutMedia {Stream} failed: {Error}; retrying in 1 s", stream, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}
