using System.Runtime.CompilerServices;
using System.Threading.Channels;
using KvsInference.Audio;
using KvsInference.Kvs;
using KvsInference.Matroska;
using KvsInference.Media;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvsInference.Meeting.Streaming;

/// <summary>
/// The live speech of one KVS stream as <see cref="TimedPcm"/> on the producer clock: GetMedia from now on, the first
/// audio track decoded (Opus, AAC, PCM) to mono at the wanted rate. When GetMedia ends (the store's idle timeout, a
/// dropped connection) it reconnects after the last fragment read, so nothing in between is lost or repeated.
/// </summary>
/// <remarks>
/// A fragment's first decoded sample is placed at the fragment's producer timestamp, the same mapping the worker uses
/// for the records' <c>startOffsetMs</c> (see <see cref="VisemeTimeline"/>), so audio and visemes meet exactly. A fragment
/// without a producer or server timestamp cannot be placed and is skipped, counted in <see cref="FragmentsUnplaced"/>.
/// </remarks>
public sealed class KvsAudioFeed
{
    // Decoded pieces waiting for the consumer: about 10 s of 20 ms Opus frames. A consumer that falls further behind
    // than that loses the oldest (the avatar is live: stale speech is of no use).
    private const int QueuedPieces = 512;

    private readonly IMediaSource _media;
    private readonly string _streamName;
    private readonly int _sampleRate;
    private readonly AudioDecoderFactory _decoders;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _reconnectDelay;
    private readonly KvsStartSelector _start;

    /// <summary>Creates the feed.</summary>
    /// <param name="media">Where GetMedia goes (the KVS client or the local store's).</param>
    /// <param name="streamName">The stream.</param>
    /// <param name="sampleRate">The rate of the pieces in Hz (the publisher's audio rate).</param>
    /// <param name="decoders">Makes the codec decoders; null for the default.</param>
    /// <param name="time">The clock of the reconnect delay.</param>
    /// <param name="logger">Reconnections and decode problems are logged.</param>
    /// <param name="reconnectDelay">The pause before reopening GetMedia after it ended or failed; default 500 ms.</param>
    /// <param name="start">Where the first GetMedia starts; default NOW (the live avatar has no use for the past).</param>
    public KvsAudioFeed(IMediaSource media, string streamName, int sampleRate, AudioDecoderFactory? decoders = null, TimeProvider? time = null,
        ILogger? logger = null, TimeSpan? reconnectDelay = null, KvsStartSelector? start = null)
    {
        ArgumentNullException.ThrowIfNull(media);
        ArgumentException.ThrowIfNullOrEmpty(streamName);
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, 8000);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sampleRate, 96000);
        _media = media;
        _streamName = streamName;
        _sampleRate = sampleRate;
        _decoders = decoders ?? new AudioDecoderFactory();
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _reconnectDelay = reconnectDelay ?? TimeSpan.FromMilliseconds(500);
        _start = start ?? KvsStartSelector.Now();
    }

    /// <summary>Gets how many GetMedia connections were opened.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Gets how many fragments had no timestamp to place their audio by.</summary>
    public long FragmentsUnplaced => Interlocked.Read(ref _unplaced);

    /// <summary>Gets how many decoded pieces were dropped because the consumer fell behind.</summary>
    public long PiecesDropped => Interlocked.Read(ref _dropped);

    private int _connections;
    private long _unplaced;
    private long _dropped;

    /// <summary>Reads the stream's speech from now until cancellation.</summary>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The pieces in stream order.</returns>
    public async IAsyncEnumerable<TimedPcm> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var queue = Channel.CreateBounded<TimedPcm>(new BoundedChannelOptions(QueuedPieces)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = true,
        }, _ => Interlocked.Increment(ref _dropped));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reader = Task.Run(() => ReadAllAsync(queue.Writer, stop.Token), CancellationToken.None);
        try
        {
            await foreach (var piece in queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false)) yield return piece;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task ReadAllAsync(ChannelWriter<TimedPcm> queue, CancellationToken cancellationToken)
    {
        string? lastFragment = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var start = lastFragment is null ? _start : KvsStartSelector.AfterFragment(lastFragment);
                var handler = new Handler(this, queue);
                try
                {
                    Interlocked.Increment(ref _connections);
                    await using var body = await _media.OpenAsync(_streamName, start, cancellationToken).ConfigureAwait(false);
                    await MkvAudioTrackReader.CreateParser().ParseAsync(body, handler, cancellationToken).ConfigureAwait(false);
                    _logger.LogDebug("avatar audio {Stream}: GetMedia ended after fragment {Fragment}; reconnecting", _streamName, handler.LastFragment ?? lastFragment);
                }
                catch (Exception e) when (e is MkvFormatException or IOException or HttpRequestException or Aws.AwsServiceException or Aws.AwsProtocolException && !cancellationToken.IsCancellationRequested)
                {
                    _logger.LogWarning("avatar audio {Stream}: GetMedia failed ({Message}); reconnecting", _streamName, e.Message);
                }
                finally
                {
                    handler.Dispose();
                }
                lastFragment = handler.LastFragment ?? lastFragment;
                await Task.Delay(_reconnectDelay, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            queue.TryComplete();
        }
    }

    /// <summary>One GetMedia connection: tracks the fragment, decodes the audio (through <see cref="MkvAudioTrackReader"/>)
    /// and places its samples.</summary>
    private sealed class Handler : IMkvHandler, IPcmSink, IDisposable
    {
        private readonly KvsAudioFeed _owner;
        private readonly ChannelWriter<TimedPcm> _queue;
        private readonly MkvAudioTrackReader _audio;
        private double? _fragmentStartMs;
        private long? _fragmentFirstPcmNs;

        public Handler(KvsAudioFeed owner, ChannelWriter<TimedPcm> queue)
        {
            _owner = owner;
            _queue = queue;
            _audio = new MkvAudioTrackReader(owner._decoders, new AudioTrackOptions { OutputSampleRate = owner._sampleRate, Mono = true }, this,
                report: Report);
        }

        public string? LastFragment { get; private set; }

        public void OnFragmentMetadata(MkvFragmentMetadata metadata)
        {
            if (metadata.FragmentNumber is not { } number || number == LastFragment) return;
            LastFragment = number;
            _fragmentStartMs = (metadata.ProducerTimestamp ?? metadata.ServerTimestamp)?.ToUnixTimeMilliseconds();
            _fragmentFirstPcmNs = null;
            if (_fragmentStartMs is null) Interlocked.Increment(ref _owner._unplaced);
        }

        public void OnTrack(MkvTrackInfo track) => _audio.OnTrack(track);

        public void OnFrame(in MkvFrame frame) => _audio.Decode(frame);

        private void Report(AudioTrackProblem problem)
        {
            if (problem.Kind == AudioTrackProblemKind.FrameFailed) _owner._logger.LogDebug("avatar audio {Stream}: {Problem}", _owner._streamName, problem.Message);
            else _owner._logger.LogWarning("avatar audio {Stream}: {Problem}", _owner._streamName, problem.Message);
        }

        public void OnPcm(ReadOnlySpan<short> samples, long timestampNs)
        {
            if (_fragmentStartMs is not { } fragmentStart) return;
            _fragmentFirstPcmNs ??= timestampNs;
            _queue.TryWrite(new TimedPcm(fragmentStart + (timestampNs - _fragmentFirstPcmNs.Value) / 1_000_000.0, samples.ToArray()));
        }

        public void OnDiscontinuity(long endNs, long nextStartNs)
        {
            // Nothing to do: each piece carries its own time, and the timeline reads silence in a gap.
        }

        public void OnEndOfStream()
        {
        }

        public void Dispose()
        {
            // The connection ended: the samples the decoder still holds (its resampler's tail) are delivered too.
            _audio.Complete();
            _audio.Dispose();
        }
    }
}
