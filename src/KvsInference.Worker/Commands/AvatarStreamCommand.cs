using System.CommandLine;
using KvsInference.Audio;
using KvsInference.Matroska;
using KvsInference.Peer.Streaming;

namespace KvsInference.Worker.Commands;

/// <summary>
/// `avatar-stream --records r.jsonl --stream s [--audio a.wav|a.webm] --rtmp url [--zoom-session id]`: renders the avatar
/// of one stream's records with its speech and pushes it over RTMP, in real time (to Zoom's stream ingestion when
/// ZOOM_VIDEOSDK_API_KEY/ZOOM_VIDEOSDK_API_SECRET or ZOOM_ACCESS_TOKEN are set and a session is given).
/// </summary>
internal static class AvatarStreamCommand
{
    public static Command Create()
    {
        var records = new Option<FileInfo>("--records") { Description = "JSON-lines file of inference records (as the jsonl sink writes).", Required = true };
        var stream = new Option<string>("--stream") { Description = "The stream whose records are rendered.", Required = true };
        var audio = new Option<FileInfo?>("--audio") { Description = "The speech (WAV, or WebM/MKV); silence when absent." };
        var rtmp = new Option<string?>("--rtmp") { Description = "rtmp:// or rtmps:// URL with stream key (used without Zoom credentials)." };
        var zoomSession = new Option<string?>("--zoom-session") { Description = "Zoom Video SDK session id to join as incoming live stream." };
        var frameRate = new Option<int>("--frame-rate") { Description = "Video frames per second.", DefaultValueFactory = _ => 25 };
        var command = new Command("avatar-stream", "Render the avatar from inference records and push it over RTMP (Zoom or any ingest).")
        {
            records, stream, audio, rtmp, zoomSession, frameRate,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var zoom = new ZoomOptions
                {
                    ApiKey = Environment.GetEnvironmentVariable("ZOOM_VIDEOSDK_API_KEY"),
                    ApiSecret = Environment.GetEnvironmentVariable("ZOOM_VIDEOSDK_API_SECRET"),
                    AccessToken = Environment.GetEnvironmentVariable("ZOOM_ACCESS_TOKEN"),
                };
                var recordsFile = parse.GetValue(records)!;
                if (!recordsFile.Exists) throw new FileNotFoundException($"records file {recordsFile.FullName} does not exist", recordsFile.FullName);
                var (pcm, rate) = await ReadAudioAsync(parse.GetValue(audio), cancellationToken);

                using var http = new HttpClient();
                var (url, ingestion) = await AvatarStreamTarget.ResolveAsync(zoom, parse.GetValue(zoomSession), ParseUrl(parse.GetValue(rtmp)), http, cancellationToken);
                if (ingestion is not null) Console.WriteLine($"avatar-stream: Zoom stream ingestion {ingestion.StreamId} started");
                var options = new RtmpPublisherOptions { Url = url, FrameRate = parse.GetValue(frameRate) };
                var publisher = new RtmpPublisher(options);
                var source = new AvatarVideoSource(options, realTime: true);
                var frames = source.FramesAsync(AvatarVideoSource.ReadRecordsAsync(recordsFile.FullName, parse.GetValue(stream)!, cancellationToken),
                    pcm, rate, cancellationToken);
                await publisher.RunAsync(frames, cancellationToken);
                Console.WriteLine($"avatar-stream: pushed {publisher.FramesWritten} frames ({publisher.FramesWritten / (double)options.FrameRate:F2} s) " +
                    $"in {publisher.SessionsStarted} session(s)");
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
            if (wav.Channels == 1) return (wav.Samples, wav.SampleRate);
            // Downmix: the avatar's speech is mono.
            var mono = new short[wav.Frames];
            for (int i = 0; i < mono.Length; i++)
            {
                int sum = 0;
                for (int c = 0; c < wav.Channels; c++) sum += wav.Samples[i * wav.Channels + c];
                mono[i] = (short)(sum / wav.Channels);
            }
            return (mono, wav.SampleRate);
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
