using System.Diagnostics;
using System.Globalization;
using KvsInference.Audio;
using KvsInference.Avatar.Model;
using KvsInference.IO;
using KvsInference.Inference;
using KvsInference.Kvs;
using KvsInference.Matroska;
using KvsInference.Media;
using KvsInference.TestSupport;

namespace KvsInference.Benchmarks;

// The load's input: the speech media, the one-core baseline of its heavy stages, and the paced live streams.
internal static partial class LoadCommand
{
    /// <summary>The speech the streams carry: espeak-ng -> ffmpeg libopus 32 kb/s mono WebM, cut to whole 1 s fragments.</summary>
    private sealed class SpeechMedia
    {
        public required WebmTestTrack Track { get; init; }
        public required List<byte[]> Packets { get; init; }
        public required string Path { get; init; }

        public int Fragments => Packets.Count / FramesPerFragment;

        public string Describe() => $"speech {Fragments} s looped ({System.IO.Path.GetFileName(Path)}, {Track.CodecId}, {Packets.Average(p => p.Length) * 8 * 1000 / FrameMs / 1000:F0} kb/s)";

        public static SpeechMedia Make()
        {
            string dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kvsi-load");
            Directory.CreateDirectory(dir);
            string wav = System.IO.Path.Combine(dir, "speech.wav"), webm = System.IO.Path.Combine(dir, "speech-32k.webm");
            if (!File.Exists(webm))
            {
                ProcessRunner.Run("espeak-ng", ["-v", "en-us", "-w", wav,
                    "The meeting master speaks and the avatar answers. Kinesis video streams carry the audio in fragments of one second. " +
                    "Every worker leases its streams, reads each frame as it arrives, decodes the Opus packets, and sends short windows to the model. " +
                    "The records go to Kinesis, and the face moves its lips in time with the voice."]);
                ProcessRunner.Ffmpeg("-i", wav, "-ac", "1", "-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20", webm + ".tmp.webm");
                File.Move(webm + ".tmp.webm", webm, overwrite: true);
            }
            var file = WebmTestFile.Read(webm);
            var track = file.Tracks.Single();
            var packets = file.FramesOf(track.Number).Select(f => f.Data).ToList();
            packets = packets.Take(packets.Count / FramesPerFragment * FramesPerFragment).ToList();
            if (packets.Count < FramesPerFragment) throw new InvalidOperationException($"{webm}: under 1 s of 20 ms Opus packets");
            return new SpeechMedia { Track = track, Packets = packets, Path = webm };
        }

        public MkvTrackInfo TrackInfo() => new()
        {
            Number = Track.Number, Type = MkvTrackType.Audio, CodecId = Track.CodecId, CodecPrivate = Track.CodecPrivate,
            CodecDelayNs = Track.CodecDelayNs, SeekPreRollNs = Track.SeekPreRollNs, SamplingFrequency = Track.SamplingFrequency,
            Channels = Track.Channels,
        };
    }

    /// <summary>One-core rates of the two heavy stages on the same audio: the ceiling the pipeline is compared with.</summary>
    private sealed record Baseline(double DecodeRealTime, double ModelRealTime)
    {
        public double CombinedRealTime => 1 / (1 / DecodeRealTime + 1 / ModelRealTime);

        public static Baseline Measure(SpeechMedia media)
        {
            var pcm = new PcmCollector();
            var factory = new AudioDecoderFactory();
            double audioSeconds = 0, decodeSeconds = 0;
            for (int pass = 0; pass < 2; pass++)  // the first pass warms up (JIT); the second is measured
            {
                pcm.Samples.Clear();
                if (!AudioTrackDecoder.TryCreate(media.TrackInfo(), new AudioTrackOptions { OutputSampleRate = 16000, Mono = true }, pcm, factory, out var decoder, out var error))
                {
                    throw new InvalidOperationException("baseline: " + error);
                }
                using (decoder)
                {
                    var clock = Stopwatch.StartNew();
                    int loops = pass == 0 ? 1 : 20;
                    long t = 0;
                    for (int l = 0; l < loops; l++)
                    {
                        foreach (var packet in media.Packets)
                        {
                            decoder!.Decode(t, packet);
                            t += FrameMs * 1_000_000L;
                        }
                    }
                    decodeSeconds = clock.Elapsed.TotalSeconds;
                    audioSeconds = t / 1e9;
                }
            }
            double decodeRt = audioSeconds / decodeSeconds;

            var model = VisemeModel.LoadDefault(modelDirectory: "/nonexistent");
            var samples = pcm.Samples.ToArray();
            var frames = new VisemeFrame[model.GetMaxFrameCount(3200)];
            double modelSeconds = 0;
            for (int pass = 0; pass < 2; pass++)
            {
                var state = model.CreateState();
                var clock = Stopwatch.StartNew();
                for (int start = 0; start + 3200 <= samples.Length; start += 3200) model.Process(samples.AsSpan(start, 3200), state, frames);
                modelSeconds = clock.Elapsed.TotalSeconds;
            }
            double modelRt = samples.Length / 16000.0 / modelSeconds;
            return new Baseline(decodeRt, modelRt);
        }

        private sealed class PcmCollector : IPcmSink
        {
            public List<short> Samples { get; } = new();
            public void OnPcm(ReadOnlySpan<short> samples, long timestampNs) => Samples.AddRange(samples);
            public void OnDiscontinuity(long endNs, long nextStartNs) { }
            public void OnEndOfStream() { }
        }
    }

    /// <summary>Live streams of KVS GetMedia-shaped fragments, paced in real time, one per stream index.</summary>
    private sealed class LiveFragmentSource(SpeechMedia media, int streams, Measurements measure) : IMediaSource
    {
        private readonly long _origin = Stopwatch.GetTimestamp();
        private readonly byte[] _segmentStart = Ebml.Concat(
            Ebml.Header("matroska"),
            Ebml.Id(0x18538067), Ebml.UnknownSize,
            Ebml.Master(0x1549A966, Ebml.UInt(0x2AD7B1, 1_000_000)),
            Ebml.Master(0x1654AE6B, Ebml.Master(0xAE,
                Ebml.UInt(0xD7, media.Track.Number), Ebml.UInt(0x73C5, 1), Ebml.UInt(0x83, 2), Ebml.String(0x86, media.Track.CodecId),
                Ebml.Binary(0x63A2, media.Track.CodecPrivate ?? []), Ebml.UInt(0x56AA, media.Track.CodecDelayNs), Ebml.UInt(0x56BB, media.Track.SeekPreRollNs),
                Ebml.Master(0xE1, Ebml.Float(0xB5, media.Track.SamplingFrequency), Ebml.UInt(0x9F, (ulong)media.Track.Channels)))));
        private readonly byte[][] _blocks = Enumerable.Range(0, media.Fragments).Select(f => Ebml.Concat(
            Enumerable.Range(0, FramesPerFragment).Select(k => Ebml.SimpleBlock(media.Track.Number, (short)(k * FrameMs), media.Packets[f * FramesPerFragment + k])).ToArray())).ToArray();
        private int _opens;

        public static string StreamName(int index) => "load-" + index.ToString("D5", CultureInfo.InvariantCulture);

        public int Reopens => Math.Max(0, Volatile.Read(ref _opens) - streams);

        public bool IsLive => true;

        public Task<Stream> OpenAsync(string streamName, KvsStartSelector start, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _opens);
            int index = int.Parse(streamName.AsSpan("load-".Length), CultureInfo.InvariantCulture);
            // Starts spread evenly over the first second, so fragments of different streams arrive evenly.
            long startAt = _origin + (long)(Stopwatch.Frequency * (double)index / streams);
            // A reopened stream (after an error) continues at the fragment now being produced, as GetMedia NOW would.
            long first = Math.Max(0, (long)Stopwatch.GetElapsedTime(startAt).TotalSeconds);
            return Task.FromResult<Stream>(new FragmentStream(this, index, startAt, first));
        }

        private void RecordLag(double ms) => measure.RecordLag(ms);

        private int Write(byte[] buffer, int index, long fragment, double lagMs)
        {
            string number = (91_343_852_333_181_000_000m + index * 1_000_000_000m + fragment).ToString(CultureInfo.InvariantCulture);
            long clusterMs = fragment * FragmentMs;
            string producer = ((1_700_000_000_000 + clusterMs) / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);
            string server = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);
            int n = 0;
            Append(_segmentStart);
            Append(Ebml.Tags(("AWS_KINESISVIDEO_FRAGMENT_NUMBER", number), ("AWS_KINESISVIDEO_SERVER_TIMESTAMP", server), ("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP", producer)));
            Append(Ebml.Id(0x1F43B675));
            Append(Ebml.UnknownSize);
            Append(Ebml.UInt(0xE7, (ulong)clusterMs));
            Append(_blocks[fragment % _blocks.Length]);
            Append(Ebml.Tags(("AWS_KINESISVIDEO_MILLIS_BEHIND_NOW", ((long)lagMs).ToString(CultureInfo.InvariantCulture)), ("AWS_KINESISVIDEO_CONTINUATION_TOKEN", number)));
            return n;

            void Append(byte[] part)
            {
                part.CopyTo(buffer, n);
                n += part.Length;
            }
        }

        private sealed class FragmentStream(LiveFragmentSource owner, int index, long startAt, long fragment) : ReadOnlyStream
        {
            private readonly byte[] _buffer = new byte[16 * 1024];  // one fragment: about 5 KB at 32 kb/s
            private int _length;
            private int _position;
            private long _fragment = fragment;

            public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            {
                if (_position == _length)
                {
                    // Fragment k (stream time k..k+1 s) is complete, and handed over whole, at k+1 s after the stream's start.
                    long due = startAt + (long)(Stopwatch.Frequency * (double)(_fragment + 1) * FragmentMs / 1000);
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                    if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                    double lagMs = Math.Max(0, Stopwatch.GetElapsedTime(due).TotalMilliseconds);
                    owner.RecordLag(lagMs);
                    _length = owner.Write(_buffer, index, _fragment, lagMs);
                    _position = 0;
                    _fragment++;
                }
                int n = Math.Min(buffer.Length, _length - _position);
                _buffer.AsSpan(_position, n).CopyTo(buffer.Span);
                _position += n;
                return n;
            }
        }
    }
}
