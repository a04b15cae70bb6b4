using KvsInference.Media;
using KvsInference.Meeting;
using KvsInference.Meeting.Streaming;
using KvsInference.Worker.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KvsInference.Worker.Hosting;

/// <summary>
/// Pushes the live avatar of one stream over RTMP (Zoom's stream ingestion or any RTMP server) from inside the worker:
/// the records as the worker's sink acknowledges them (<see cref="RecordBroadcaster"/>), the speech from the KVS stream
/// (<see cref="KvsAudioFeed"/>), drawn and mixed by <see cref="LiveAvatarSource"/>. Enabled by KVSI:Avatar:Rtmp or
/// KVSI:Avatar:ZoomSession. A push that cannot be (re)established is logged and ends this service, not the worker.
/// </summary>
internal sealed class AvatarPublisherService(
    AvatarOptions settings, string streamName, RecordBroadcaster records, IMediaSource media, ZoomOptions zoom,
    TimeProvider time, ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger<AvatarPublisherService>();

    public LiveAvatarSource? Source { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            using var http = new HttpClient();
            var rtmp = string.IsNullOrEmpty(settings.Rtmp) ? null : new Uri(settings.Rtmp);
            var (url, ingestion) = await AvatarStreamTarget.ResolveAsync(zoom, settings.ZoomSession, rtmp, http, stoppingToken);
            if (ingestion is not null) _logger.LogInformation("avatar: Zoom stream ingestion {Id} started for session {Session}", ingestion.StreamId, settings.ZoomSession);
            var options = new RtmpPublisherOptions { Url = url, FrameRate = settings.FrameRate };
            var source = Source = new LiveAvatarSource(options, new LiveAvatarOptions
            {
                Delay = TimeSpan.FromMilliseconds(settings.DelayMs),
                Avatar3d = string.IsNullOrWhiteSpace(settings.Avatar3d) ? null
                    : new BrowserAvatarRendererOptions { Avatar = settings.Avatar3d.Trim().Equals("default", StringComparison.OrdinalIgnoreCase) ? null : settings.Avatar3d.Trim() },
            }, time,
                loggers.CreateLogger<LiveAvatarSource>());
            var speech = new KvsAudioFeed(media, streamName, options.AudioSampleRate, time: time, logger: loggers.CreateLogger<KvsAudioFeed>());
            using var subscription = records.Subscribe(streamName);
            _logger.LogInformation("avatar: pushing the live avatar of {Stream}, {Delay} ms behind the speech", streamName, settings.DelayMs);
            var publisher = new RtmpPublisher(options, time, loggers.CreateLogger<RtmpPublisher>());
            await publisher.RunAsync(source.FramesAsync(subscription.Reader.ReadAllAsync(stoppingToken), speech.ReadAsync(stoppingToken), stoppingToken), stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is RtmpPublishException or ZoomApiException or InvalidOperationException or InvalidDataException
            or System.ComponentModel.DataAnnotations.ValidationException)
        {
            _logger.LogError("avatar: the push stopped: {Message}", e.Message);
        }
        finally
        {
            if (Source is { } s) _logger.LogInformation("avatar: {Stats}", s.Stats);
        }
    }
}
