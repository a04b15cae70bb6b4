using System.Buffers;
using System.Threading.Channels;
using KvsInference.Audio;
using KvsInference.Inference;
using KvsInference.Matroska;
using Microsoft.Extensions.Logging;

namespace KvsInference.Pipeline;

// The reading stage: parse callbacks -> track reader (decoder) -> windower -> inference submissions, in order with the
// fragments' ends, for the writing stage.
public sealed partial class StreamProcessor
{
    // Runs inside MkvStreamParser.Feed.
    private sealed class Handler : IMkvHandler, IPcmSink, IDisposable
    {
        private readonly StreamProcessor _owner;
        private readonly CancellationToken _cancellationToken;
        private readonly List<PipelineItem> _ready = new();
        private readonly PcmWindower _windower;
        private readonly MkvAudioTrackReader _audio;
        private readonly FragmentTracker _fragments;
        private long _samplesWindowed;
        private long _framesInWindow;
        private long _windowSequence;

        public Handler(StreamProcessor owner, string? skipFragment, CancellationToken cancellationToken)
        {
            _owner = owner;
            _fragments = new FragmentTracker(skipFragment);
            _cancellationToken = cancellationToken;
            _windower = new PcmWindower(owner._options.ModelSampleRate, 1,
                new PcmWindowerOptions { WindowDuration = owner._options.WindowDuration, DeliverPartialWindows = true }, OnWindow);
            _audio = new MkvAudioTrackReader(owner._decoders, new AudioTrackOptions { OutputSampleRate = owner._options.ModelSampleRate, Mono = true },
                this, owner._options.TrackNumber, Report);
        }

        public long ArrivalTimestamp { get; set; }
        public bool SkipToNow { get; private set; }
        public long FramesSeen { get; private set; }

        public void OnFragmentMetadata(MkvFragmentMetadata metadata)
        {
            if (metadata.MillisBehindNow is { } behind)
            {
                _owner._metrics.MillisBehindNow(behind);
                if (_owner._options.SkipToNowWhenBehind is { } limit && behind > limit.TotalMilliseconds && !SkipToNow)
                {
                    _owner._logger.LogWarning("Stream {Stream} is {Behind} ms behind live (limit {Limit}): skipping ahead to now", _owner.StreamName, behind, limit.TotalMilliseconds);
                    SkipToNow = true;
                }
            }
            if (metadata.HasError)
            {
                _owner._metrics.Error(PipelineErrorKind.Media);
                _owner._logger.LogWarning("Stream {Stream}: KVS reported error {Code} ({Id}) in fragment {Fragment}", _owner.StreamName, metadata.ErrorCode, metadata.ErrorId, metadata.FragmentNumber);
            }
            if (metadata.FragmentNumber is not { } number) return;
            if (number == _fragments.Current.Number)
            {
                // KVS's tags after the Cluster: every frame of the fragment is in, so its last window is cut and the
                // fragment checkpointed now, not when the next fragment begins (a producer that stopped sends none).
                if (metadata.IsEndOfFragment) EndFragment();
                return;
            }
            // Windows never span fragments: each fragment's windows start at its first sample, so a processor resuming
            // after a checkpoint cuts the very windows (and record ids) its predecessor cut, and consumers can de-duplicate.
            EndFragment();
            _fragments.Begin(number, metadata.ProducerTimestamp, metadata.ServerTimestamp);
        }

        public void OnTrack(MkvTrackInfo track) => _audio.OnTrack(track);

        public void OnFrame(in MkvFrame frame)
        {
            if (!_audio.IsDecoding(frame.TrackNumber)) return;
            FramesSeen++;
            _owner._metrics.FrameReceived();
            if (!_fragments.OnFrame()) return;
            if (_audio.Decode(frame)) _framesInWindow++;
        }

        private void Report(AudioTrackProblem problem)
        {
            _owner._metrics.Error(PipelineErrorKind.Decode);
            if (problem.Kind == AudioTrackProblemKind.FrameFailed)
            {
                _owner._metrics.FrameDropped();
                _owner._logger.LogDebug("Stream {Stream}: {Problem}", _owner.StreamName, problem.Message);
            }
            else
            {
                _owner._logger.LogWarning("Stream {Stream}: {Problem}", _owner.StreamName, problem.Message);
            }
        }

        void IPcmSink.OnPcm(ReadOnlySpan<short> samples, long timestampNs)
        {
            _fragments.OnPcm(samples.Length, timestampNs);
            _windower.OnPcm(samples, timestampNs);
        }

        void IPcmSink.OnDiscontinuity(long endNs, long nextStartNs) => _windower.OnDiscontinuity(endNs, nextStartNs);

        void IPcmSink.OnEndOfStream() => _windower.OnEndOfStream();

        private void OnWindow(PcmWindow window)
        {
            var pcm = ArrayPool<short>.Shared.Rent(window.Samples.Length);
            window.Samples.CopyTo(pcm);
            _samplesWindowed += window.Samples.Length;
            var instance = new InferenceInstance
            {
                Id = string.Concat(_owner.StreamName, "#", (_windowSequence++).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                StreamKey = _owner.StreamName,
                SampleRate = window.SampleRate,
                Pcm = pcm.AsMemory(0, window.Samples.Length),
                Urgent = _owner.LowLatency,
            };
            var prediction = _owner._batcher.InferAsync(instance, _cancellationToken);
            // The windower is flushed at every fragment boundary, so a window always belongs to the current fragment.
            _ready.Add(new WindowItem(_fragments.Current, window.TimestampNs, _samplesWindowed, window.Samples.Length, window.SampleRate, ArrivalTimestamp, (int)_framesInWindow, pcm, prediction));
            _framesInWindow = 0;
        }

        // Cuts the fragment's last (partial) window, then queues its end behind it.
        private void EndFragment()
        {
            _windower.Flush();
            if (_fragments.End() is { } end) _ready.Add(end);
        }

        /// <summary>Cuts a (partial) window of every sample decoded so far.</summary>
        public void FlushWindow() => _windower.Flush();

        public void Complete()
        {
            _audio.Complete();
            if (_fragments.End() is { } end) _ready.Add(end);
        }

        public async ValueTask DrainAsync(ChannelWriter<PipelineItem> writer, CancellationToken cancellationToken)
        {
            foreach (var item in _ready)
            {
                await writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
            }
            _ready.Clear();
        }

        public void Dispose() => _audio.Dispose();
    }
}
