using Amazon.Runtime;
using KvsInference.Audio;
using KvsInference.Aws.KinesisVideo;
using KvsInference.Kvs;
using KvsInference.Media;
using KvsInference.Meeting.Streaming;
using KvsInference.Tests.Storage;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Streaming;

/// <summary>The speech feed against the local media store over loopback: ffmpeg Opus WebM put with a known producer start.</summary>
public sealed class KvsAudioFeedTests
{
    [Theory]
    [InlineData("ffmpeg")]
    [InlineData("mkvmerge-xiph")]
    [InlineData("mkvmerge-ebml")]
    public async Task ReadAsync_StoredOpusStream_AllSpeechPlacedFromTheProducerStart(string muxer)
    {
        await using var kit = await MediaStoreTestKit.StartAsync(o => o.GetMediaIdleTimeout = TimeSpan.FromMilliseconds(300));
        await kit.CreateStreamAsync("speech");
        var webm = MatroskaTestMedia.FfmpegOpus(32, 1, "webm");
        // The same packets as ffmpeg wrote them, or laced 8 to a block by mkvmerge (its default for audio).
        var put = muxer == "ffmpeg" ? webm : MatroskaTestMedia.MkvmergeOpus(muxer["mkvmerge-".Length..]);
        var producerStart = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
        await kit.PutMediaAsync("speech", await File.ReadAllBytesAsync(put), chunkBytes: 4000, producerStart: producerStart);
        var (reference, _) = await MkvAudioTrackReader.ReadAllAsync(webm, new AudioTrackOptions { OutputSampleRate = 48000, Mono = true });

        using var client = new KinesisVideoClient(new KinesisVideoClientOptions
        {
            ServiceUrl = new Uri(kit.Server.Url), Region = "us-east-1", Credentials = new BasicAWSCredentials("AKIDKVSINFERENCETEST", "kvs-inference-test-secret"),
            EnvironmentVariables = _ => null,
        });
        var feed = new KvsAudioFeed(new KvsMediaSource(client), "speech", 48000, reconnectDelay: TimeSpan.FromMilliseconds(50), start: KvsStartSelector.Earliest());
        var timeline = new PcmTimeline(48000);
        long samples = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var piece in feed.ReadAsync(timeout.Token))
        {
            timeline.Add(piece);
            samples += piece.Samples.Length;
            if (samples >= reference.Length - 48 * 20) break; // the stored file's speech, up to the decoder's last frame
        }

        // Each fragment's first sample sits at its producer timestamp (the mapping the worker's records use). The first
        // fragment's first sample comes after the Opus pre-skip (312 samples, 6.5 ms), so the span holds that much more.
        double spanMs = timeline.EndMs!.Value - producerStart.ToUnixTimeMilliseconds();
        Assert.InRange(spanMs - samples * 1000.0 / 48000, 0, 10);
        // The first fragment read back through GetMedia is the file's own decode, sample for sample, on the producer clock.
        var back = new short[48000 * 8 / 10];
        timeline.Read(producerStart.ToUnixTimeMilliseconds(), back);
        int differing = 0;
        for (int i = 0; i < back.Length; i++) if (Math.Abs(back[i] - reference[i]) > 2) differing++;
        Assert.True(differing < back.Length / 100, $"{differing} of {back.Length} samples differ from the file's own decode");
        Assert.Equal(0, feed.FragmentsUnplaced);
    }

    [Fact]
    public async Task ReadAsync_RateChangesMidStream_NewDecoderResamplesTheLaterFragment()
    {
        // Fragments 0 and 1 are 16 kHz PCM, fragment 2 the same codec ID at 8 kHz: a new header, so a new decoder whose
        // samples are resampled to 16 kHz. Each fragment's even-length blocks hold 127 samples (odd ones are corrupt); the
        // last block's resampled samples come out when the connection ends.
        byte[] media = Ebml.KvsGetMedia(3, 10, out _, tracksOfFragment: f => Ebml.PcmTracks(f < 2 ? 16000 : 8000, 1));
        var feed = new KvsAudioFeed(new OnceSource(media), "speech", 16000, reconnectDelay: TimeSpan.FromMilliseconds(50), start: KvsStartSelector.Earliest());
        const int expected = 127 + 127 + 2 * 127;
        long samples = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await foreach (var piece in feed.ReadAsync(timeout.Token))
            {
                samples += piece.Samples.Length;
                if (samples >= expected) break;
            }
        }
        catch (OperationCanceledException)
        {
            // Fewer samples than expected: the assertion below says how many.
        }

        Assert.Equal(expected, samples);
        Assert.Equal(0, feed.FragmentsUnplaced);
    }

    /// <summary>Serves the media on the first GetMedia, then nothing (a stream whose producer stopped).</summary>
    private sealed class OnceSource(byte[] media) : IMediaSource
    {
        private int _opens;

        public bool IsLive => true;

        public Task<Stream> OpenAsync(string streamName, KvsStartSelector start, CancellationToken cancellationToken) =>
            Task.FromResult<Stream>(new MemoryStream(Interlocked.Increment(ref _opens) == 1 ? media : []));
    }
}
