using System.CommandLine;
using KvsInference.Audio;
using KvsInference.Aws.Kinesis;
using KvsInference.Aws.KinesisVideo;
using KvsInference.Matroska;
using KvsInference.Media;
using KvsInference.Meeting;
using KvsInference.Meeting.Streaming;

namespace KvsInference.Worker.Commands;

/// <summary>
/// `avatar-stream --stream s --records r.jsonl [--audio a.wav|a.webm] --rtmp url [--zoom-session id]`: renders the avatar
/// of one stream's records with its speech and pushes it over RTMP, in real time (to Zoom's stream ingestion when
/// ZOOM_VIDEOSDK_API_KEY/ZOOM_VIDEOSDK_API_SECRET or ZOOM_ACCESS_TOKEN are set and a session is given).
/// With `--follow` it streams live instead: the records a running worker appends to the file from now on, the speech
/// read from the KVS stream (GetMedia; `--kvs-url` for the local media store), a fixed `--delay-ms` behind live. With
/// `--kinesis-stream` the live records come from the workers' Kinesis Data Stream instead of a file.
/// </summary>
internal static class AvatarStreamCommand
{
    public static Command Create()
    {
        var records = new Option<FileInfo?>("--records") { Description = "JSON-lines file of inference records (as the jsonl sink writes)." };
        var kinesisStream = new Option<string?>("--kinesis-stream") { Description = "Live: read the records from this Kinesis Data Stream (the workers' sink) instead of a file." };
        var stream = new Option<string>("--stream") { Description = "The stream whose records are rendered.", Required = true };
        var audio = new Option<FileInfo?>("--audio") { Description = "The speech (WAV, or WebM/MKV); silence when absent. Not with --follow." };
        var follow = new Option<bool>("--follow") { Description = "Live: follow the records file as a worker writes it; the speech comes from the KVS stream." };
        var kvsUrl = new Option<string?>("--kvs-url") { Description = "With --follow: the KVS endpoint (the local media store's URL); AWS's from the environment when absent." };
        var delay = new Option<int>("--delay-ms") { Description = "With --follow: how far behind the live speech the avatar plays.", DefaultValueFactory = _ => 1500 };
        var seconds = new Option<double?>("--seconds") { Description = "With --follow: stop after this many seconds (default: until Ctrl+C)." };
        var rtmp = new Option<string?>("--rtmp") { Description = "rtmp:// or rtmps:// URL with stream key (used without Zoom credentials)." };
        var zoomSession = new Option<string?>("--zoom-session") { Description = "Zoom Video SDK session id to join as incoming live stream." };
        var frameRate = new Option<int>("--frame-rate") { Description = "Video frames per second.", DefaultValueFactory = _ => 25 };
        var avatar3d = new Option<string?>("--avatar3d")
        {
            Description = "Live: draw the meeting page's 3D avatar (headless Chromium) instead of the 2D face: 'default' for the generated head, or a .vrm/.glb path or http(s) URL.",
        };
        var command = new Command("avatar-stream", "Render the avatar from inference records and push it over RTMP (Zoom or any ingest).")
        {
            records, kinesisStream, stream, audio, follow, kvsUrl, delay, seconds, rtmp, zoomSession, frameRate, avatar3d,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var zoom = ZoomOptions.FromEnvironment();
                var recordsFile = parse.GetValue(records);
                var kinesisName = parse.GetValue(kinesisStream);
                var streamName = parse.GetValue(stream)!;
                if ((recordsFile is null) == (kinesisName is null)) throw new ArgumentException("Give the records with either --records FILE or --kinesis-stream NAME.");
                bool live = parse.GetValue(follow) || kinesisName is not null;
                if (live && parse.GetValue(audio) is not null) throw new ArgumentException("--audio cannot be used live (--follow, --kinesis-stream): live speech comes from the KVS stream.");
                var avatar3dValue = parse.GetValue(avatar3d);
                if (!live && avatar3dValue is not null) throw new ArgumentException("--avatar3d is for the live push (--follow, --kinesis-stream).");
                if (!live && !recordsFile!.Exists) throw new FileNotFoundException($"records file {recordsFile.FullName} does not exist", recordsFile.FullName);

                using var http = new HttpClient();
                var (url, ingestion) = await AvatarStreamTarget.ResolveAsync(zoom, parse.GetValue(zoomSession), ParseUrl(parse.GetValue(rtmp)), http, cancellationToken);
                if (ingestion is not null) Console.WriteLine($"avatar-stream: Zoom stream ingestion {ingestion.StreamId} started");
                var options = new RtmpPublisherOptions { Url = url, FrameRate = parse.GetValue(frameRate) };
                var publisher = new RtmpPublisher(options);
                if (live)
                {
                    var liveOptions = new LiveAvatarOptions
                    {
                        Delay = TimeSpan.FromMilliseconds(parse.GetValue(delay)),
                        Duration = parse.GetValue(seconds) is { } s ? TimeSpan.FromSeconds(s) : null,
                        Avatar3d = avatar3dValue is null ? null
                            : new BrowserAvatarRendererOptions { Avatar = avatar3dValue.Equals("default", StringComparison.OrdinalIgnoreCase) ? null : avatar3dValue },
                    };
                    using var kvs = new KinesisVideoClient(KvsOptions(parse.GetValue(kvsUrl)));
                    var source = new LiveAvatarSource(options, liveOptions);
                    var speech = new KvsAudioFeed(new KvsMediaSource(kvs), streamName, options.AudioSampleRate);
                    if (kinesisName is not null)
                    {
                        // The peer service's reader: from LATEST on every shard into a broadcaster this command watches.
                        using var kinesis = new AmazonKinesisClient(new KinesisClientOptions());
                        var broadcaster = new RecordBroadcaster();
                        using var subscription = broadcaster.Subscribe(streamName);
                        using var reader = new KinesisRecordReader(kinesis, new KinesisRecordReaderOptions { StreamName = kinesisName }, broadcaster);
                        await reader.StartAsync(cancellationToken);
                        Console.WriteLine($"avatar-stream: reading the records of {streamName} from Kinesis stream {kinesisName} and its speech, {liveOptions.Delay.TotalMilliseconds:F0} ms behind live");
                        try
                        {
                            await publisher.RunAsync(source.FramesAsync(subscription.Reader.ReadAllAsync(cancellationToken), speech.ReadAsync(cancellationToken), cancellationToken),
                                cancellationToken);
                        }
                        finally
                        {
                            await reader.StopAsync(CancellationToken.None);
                        }
                    }
                    else
                    {
                        Console.WriteLine($"avatar-stream: following {recordsFile!.FullName} and the speech of {streamName}, {liveOptions.Delay.TotalMilliseconds:F0} ms behind live");
                        await publisher.RunAsync(source.FramesAsync(RecordFiles.FollowAsync(recordsFile.FullName, streamName, cancellationToken: cancellationToken),
                            speech.ReadAsync(cancellationToken), cancellationToken), cancellationToken);
                    }
                    Console.WriteLine($"avatar-stream: {source.Stats}");
                }
                else
                {
                    var (pcm, rate) = await ReadAudioAsync(parse.GetValue(audio), cancellationToken);
                    var source = new AvatarVideoSource(options, realTime: true);
                    await publisher.RunAsync(source.FramesAsync(RecordFiles.ReadAsync(recordsFile!.FullName, streamName, cancellationToken), pcm, rate, cancellationToken),
                        cancellationToken);
                }
                Console.WriteLine($"avatar-stream: pushed {publisher.FramesWritten} frames ({publisher.FramesWritten / (double)options.FrameRate:F2} s) " +
                    $"in {publisher.SessionsStarted} session(s)");
                return 0;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C or SIGTERM: a clean stop (the publisher ended its RTMP session).
                Console.WriteLine("avatar-stream: stopped");
                return 0;
            }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException or InvalidOperationException or RtmpPublishException
                or ZoomApiException or System.ComponentModel.DataAnnotations.ValidationException or ArgumentException)
            {
                Console.Error.WriteLine($"avatar-stream: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static KinesisVideoClientOptions KvsOptions(string? url)
    {
        if (url is null) return new KinesisVideoClientOptions();
        if (!Uri.TryCreate(url, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"--kvs-url: '{url}' is not an http(s) URL (the local media store's, e.g. http://127.0.0.1:PORT).");
        }
        return Hosting.LocalSystem.ClientOptions(endpoint);
    }

    private static Uri? ParseUrl(string? text) =>
        text is null ? null
        : Uri.TryCreate(text, UriKind.Absolute, out var url) ? url
        : throw new ArgumentException($"--rtmp: '{text}' is not an absolute URL (rtmp://host[:port]/app/key).");

    private static async Task<(short[] Pcm, int Rate)> ReadAudioAsync(FileInfo? file, CancellationToken cancellationToken)
    {
        if (file is null) return ([], 48000);
        if (!file.Exists) throw new FileNotFoundException($"audio file {file.FullName} does not exist", file.FullName);
        if (file.Extension.Equals(".wav", StringComparison.OrdinalIgnoreCase))
        {
            WavAudio wav;
            try
            {
                wav = WavReader.ReadFile(file.FullName);
            }
            catch (WavFormatException e)
            {
                throw new InvalidDataException($"{file.FullName}: {e.Message}", e);
            }
            return (wav.ToMono(), wav.SampleRate);
        }
        try
        {
            return await MkvAudioTrackReader.ReadAllAsync(file.FullName,
                new AudioTrackOptions { OutputSampleRate = 48000, Mono = true }, cancellationToken: cancellationToken);
        }
        catch (MkvFormatException e)
        {
            throw new InvalidDataException($"{file.FullName}: not a readable MKV/WebM file: {e.Message}", e);
        }
    }
}
