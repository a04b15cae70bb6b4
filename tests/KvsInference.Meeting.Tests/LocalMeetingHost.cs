using KvsInference.Meeting;
using KvsInference.LocalKvs.Storage;
using KvsInference.LocalKvs.Signaling;
using KvsInference.Sinks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KvsInference.Tests.Meeting;

/// <summary>
/// The meeting app in local mode on real Kestrel at 127.0.0.1 (a free port), as the worker hosts it: a media store in a
/// temporary directory, a record broadcaster writing to a temporary file, the signaling server at <c>/kvs</c>.
/// </summary>
internal sealed class LocalMeetingHost : IAsyncDisposable
{
    private LocalMeetingHost(WebApplication app, KvsInference.LocalKvs.Storage.MediaStore store, RecordBroadcaster records)
    {
        App = app;
        Store = store;
        Records = records;
        Url = app.Urls.First();
    }

    public WebApplication App { get; }

    public KvsInference.LocalKvs.Storage.MediaStore Store { get; }

    public RecordBroadcaster Records { get; }

    /// <summary>The base URL, e.g. <c>http://127.0.0.1:40123</c>.</summary>
    public string Url { get; }

    /// <param name="prefix">The prefix of the temporary directories.</param>
    /// <param name="configure">Sets the meeting options, or null.</param>
    /// <param name="time">The clock of the meetings (idle expiry), or null for the system clock.</param>
    /// <param name="signaling">Sets the signaling server's options, or null.</param>
    public static async Task<LocalMeetingHost> StartAsync(string prefix, Action<MeetingOptions>? configure = null, TimeProvider? time = null,
        Action<SignalingOptions>? signaling = null)
    {
        var store = new KvsInference.LocalKvs.Storage.MediaStore(new MediaStoreOptions { DataDirectory = Directory.CreateTempSubdirectory(prefix + "store-").FullName });
        var records = new RecordBroadcaster(new JsonLinesFileSink(Path.Combine(Directory.CreateTempSubdirectory(prefix + "rec-").FullName, "r.jsonl")));
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        if (time is not null) builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSingleton(store).AddSingleton(records).AddKvsSignaling(signaling).AddKvsMeeting(configure);
        var app = builder.Build();
        app.UseWebSockets();
        app.MapKvsSignaling("/kvs");
        app.MapKvsMeeting();
        await app.StartAsync();
        return new LocalMeetingHost(app, store, records);
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        Store.Dispose();
    }
}
