using System.IO.Pipelines;
using Microsoft.Extensions.Logging;

namespace KvsInference.LocalKvs.Storage;

/// <summary>PutMedia into the store: one upload at a time per stream, within the connection and call limits.</summary>
public sealed partial class MediaStore
{
    /// <summary>
    /// Ingests an MKV/WebM upload into a stream, as PutMedia does: one fragment per Cluster, each persisted before its
    /// PERSISTED acknowledgement. Counts against the PutMedia connection and call limits like an HTTP upload.
    /// </summary>
    /// <param name="streamName">The stream name, or null when <paramref name="streamArn"/> is given.</param>
    /// <param name="streamArn">The stream ARN, or null.</param>
    /// <param name="media">The upload; read forward until it ends.</param>
    /// <param name="timecodeType">How Cluster timecodes are to be read.</param>
    /// <param name="producerStartTimestamp">Required for <see cref="FragmentTimecodeType.Relative"/>.</param>
    /// <param name="onAck">Receives each acknowledgement as it happens, or null.</param>
    /// <param name="cancellationToken">Stops the upload (the fragment in progress is dropped).</param>
    /// <returns>Every acknowledgement, in order; the last is ERROR when the upload failed.</returns>
    /// <exception cref="KvsServiceException">ResourceNotFoundException, InvalidArgumentException, ConnectionLimitExceededException, ClientLimitExceededException.</exception>
    public async Task<IReadOnlyList<PutMediaAck>> PutMediaAsync(string? streamName, string? streamArn, Stream media,
        FragmentTimecodeType timecodeType = FragmentTimecodeType.Absolute, DateTimeOffset? producerStartTimestamp = null,
        Func<PutMediaAck, ValueTask>? onAck = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(media);
        var acks = new List<PutMediaAck>();
        PipeReader reader = PipeReader.Create(media, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        try
        {
            await PutMediaAsync(streamName, streamArn, reader, timecodeType, producerStartTimestamp, async ack =>
            {
                acks.Add(ack);
                if (onAck is not null) await onAck(ack).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
        return acks;
    }

    internal async Task PutMediaAsync(string? streamName, string? streamArn, PipeReader media, FragmentTimecodeType timecodeType,
        DateTimeOffset? producerStartTimestamp, Func<PutMediaAck, ValueTask> onAck, CancellationToken cancellationToken)
    {
        MediaStream stream = AcquirePutMedia(streamName, streamArn, timecodeType, producerStartTimestamp);
        try
        {
            await RunPutMediaAsync(stream, media, timecodeType, producerStartTimestamp, onAck, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ReleasePutMedia(stream);
        }
    }

    /// <summary>Checks the stream and the PutMedia limits and takes a connection slot; release it with <see cref="ReleasePutMedia"/>.</summary>
    internal MediaStream AcquirePutMedia(string? streamName, string? streamArn, FragmentTimecodeType timecodeType, DateTimeOffset? producerStartTimestamp)
    {
        if (timecodeType == FragmentTimecodeType.Relative && producerStartTimestamp is null)
        {
            throw KvsServiceException.InvalidArgument("x-amzn-producer-start-timestamp is required when x-amzn-fragment-timecode-type is RELATIVE.");
        }
        MediaStream stream = ResolveOrCreate(streamName, streamArn);
        lock (stream.Gate)
        {
            if (!stream.PutMediaCalls.TryEnter(Ticks(Time), Options.PutMediaCallsPerSecondPerStream))
            {
                throw KvsServiceException.ClientLimit($"More than {Options.PutMediaCallsPerSecondPerStream} PutMedia calls in one second on stream {stream.Description.StreamName}.");
            }
            if (stream.PutMediaConnections >= Options.PutMediaConnectionsPerStream)
            {
                throw KvsServiceException.ConnectionLimit($"The stream {stream.Description.StreamName} already has {stream.PutMediaConnections} PutMedia connection(s); the limit is {Options.PutMediaConnectionsPerStream}.");
            }
            stream.PutMediaConnections++;
        }
        return stream;
    }

    internal void ReleasePutMedia(MediaStream stream)
    {
        lock (stream.Gate) stream.PutMediaConnections--;
    }

    internal async Task RunPutMediaAsync(MediaStream stream, PipeReader media, FragmentTimecodeType timecodeType,
        DateTimeOffset? producerStartTimestamp, Func<PutMediaAck, ValueTask> onAck, CancellationToken cancellationToken)
    {
        var ingest = new PutMediaIngest(this, stream, timecodeType, producerStartTimestamp);
        PutMediaAck? error = await ingest.RunAsync(media, onAck, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            // A producer that went away (it stopped, or the whole local system is shutting down) is not a fault of the
            // store's: every Ctrl+C of the local run would warn otherwise.
            var level = cancellationToken.IsCancellationRequested ? LogLevel.Information : LogLevel.Warning;
            _logger.Log(level, "PutMedia on {Stream} ended with {ErrorId} {ErrorCode}: {Message}", stream.Description.StreamName, error.ErrorId, error.ErrorCode, error.Message);
        }
    }
}
