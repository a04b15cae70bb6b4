using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using KvsInference.Hosting;
using KvsInference.Inference;
using KvsInference.Meeting;
using KvsInference.Validation;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvsInference.Meeting.Streaming;

/// <summary>Settings of <see cref="BrowserAvatarRenderer"/>.</summary>
public sealed class BrowserAvatarRendererOptions
{
    /// <summary>Gets or sets the avatar: a .vrm/.glb path or an http(s) URL; empty: the generated default head.</summary>
    /// <value>The default value is null: the default head.</value>
    public string? Avatar { get; set; }

    /// <summary>Gets or sets the folder of the 3D libraries (as <see cref="MeetingOptions.AvatarLibraryDirectory"/>).</summary>
    /// <value>The default value is meeting-vendor next to the application.</value>
    [Required]
    public string LibraryDirectory { get; set; } = AvatarAssets.DefaultLibraryDirectory;

    /// <summary>Gets or sets the Chromium executable (headless, software WebGL through SwiftShader).</summary>
    /// <value>The default value is the CHROMIUM environment variable, else /usr/bin/chromium (Debian's package).</value>
    [Required]
    public string Chromium { get; set; } = Environment.GetEnvironmentVariable("CHROMIUM") is { Length: > 0 } c ? c : "/usr/bin/chromium";

    /// <summary>Gets or sets how long Chromium may take to start and load the avatar.</summary>
    /// <value>The default value is 60 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets or sets how long one frame may take before the renderer is taken as hung.</summary>
    /// <value>The default value is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:05:00")]
    public TimeSpan FrameTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Validates the options and throws one exception listing every problem.</summary>
    /// <exception cref="ValidationException">A value is out of range, the avatar file or Chromium is missing.</exception>
    public void Validate() => OptionsValidator.Validate(this, Rules());

    /// <summary>The errors of the rules beyond the attributes: the avatar setting and the Chromium executable.</summary>
    internal IEnumerable<ValidationResult> Rules()
    {
        if (AvatarAssets.Check(Avatar, nameof(Avatar)) is { } avatar) yield return avatar;
        if (!File.Exists(Chromium)) yield return OptionsValidator.Error(nameof(Chromium), $"'{Chromium}' does not exist (Debian: apt-get install chromium; scripts/setup installs it).");
    }
}

/// <summary>
/// The meeting page's 3D avatar (avatar3d.js, three.js, the same avatars and mapping) rendered server-side: a headless
/// Chromium with software WebGL loads a render page from a loopback-only web server of this object, and each frame is
/// one round trip over a WebSocket: the viseme frame as JSON in, the canvas's RGBA pixels back as one binary message.
/// The frame asked for is the frame drawn, so the caller's pairing of pixels and audio (the lip sync) is kept whatever
/// the rendering takes; it must only keep up with the frame rate (the bench's <c>avatar3d-render</c> measures it).
/// </summary>
public sealed class BrowserAvatarRenderer : IAvatarFrameRenderer
{
    private readonly WebApplication _app;
    private readonly Process _chromium;
    private readonly string _profile;
    private readonly WebSocket _socket;
    private readonly TaskCompletionSource _release;
    private readonly BrowserAvatarRendererOptions _options;
    private readonly int _frameRate;
    private readonly byte[] _json = new byte[512];

    private BrowserAvatarRenderer(WebApplication app, Process chromium, string profile, WebSocket socket, TaskCompletionSource release,
        BrowserAvatarRendererOptions options, int width, int height, int frameRate, string description)
    {
        _app = app;
        _chromium = chromium;
        _profile = profile;
        _socket = socket;
        _release = release;
        _options = options;
        Width = width;
        Height = height;
        _frameRate = frameRate;
        Description = description;
    }

    /// <summary>Gets the frame width in pixels.</summary>
    public int Width { get; }

    /// <summary>Gets the frame height in pixels.</summary>
    public int Height { get; }

    /// <summary>Gets what the page shows, e.g. "3D avatar default.glb (Oculus visemes)".</summary>
    public string Description { get; }

    /// <summary>Gets the Chromium browser process (its children render): for CPU accounting.</summary>
    public int BrowserProcessId => _chromium.Id;

    /// <summary>Starts Chromium and waits until the avatar is loaded.</summary>
    /// <param name="width">Frame width (even).</param>
    /// <param name="height">Frame height (even).</param>
    /// <param name="frameRate">Frames per second (the idle motion and blinks follow frame index / rate).</param>
    /// <param name="options">Where the avatar, the libraries and Chromium are; validated here.</param>
    /// <param name="logger">Chromium's start and stop are logged.</param>
    /// <param name="cancellationToken">Stops the start.</param>
    /// <returns>The renderer, ready for frames.</returns>
    /// <exception cref="ValidationException">The options are invalid.</exception>
    /// <exception cref="InvalidOperationException">Chromium did not start, or the page cannot draw the 3D avatar (the
    /// message says why: libraries missing, no WebGL, an avatar without mouth shapes...).</exception>
    public static async Task<BrowserAvatarRenderer> StartAsync(int width, int height, int frameRate, BrowserAvatarRendererOptions options,
        ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (width is < 16 or > 4096 || height is < 16 or > 4096) throw new ArgumentOutOfRangeException(nameof(width), $"{width}x{height} is not a frame size between 16 and 4096");
        logger ??= NullLogger.Instance;
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var connected = new TaskCompletionSource<WebSocket>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var app = StandaloneServer.CreateBuilder(new StandaloneServerOptions { Urls = "http://127.0.0.1:0" }).Build();
        app.UseWebSockets();
        byte[] page = Asset("render.html"), avatarJs = Asset("avatar3d.js");
        app.MapGet("/render", () => Results.Bytes(page, "text/html; charset=utf-8"));
        app.MapGet("/meeting/avatar3d.js", () => Results.Bytes(avatarJs, "text/javascript; charset=utf-8"));
        AvatarAssets.Map(app, options.Avatar, options.LibraryDirectory);
        app.MapGet("/render/socket", async (HttpContext context) =>
        {
            // Only the Chromium started here knows the token; one connection.
            if (!context.WebSockets.IsWebSocketRequest || context.Request.Query["token"] != token || connected.Task.IsCompleted)
            {
                context.Response.StatusCode = 403;
                return;
            }
            connected.TrySetResult(await context.WebSockets.AcceptWebSocketAsync());
            await release.Task; // the socket lives as long as this request
        });
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var url = app.Urls.First() + $"/render?w={width}&h={height}&token={token}";

        var profile = Directory.CreateTempSubdirectory("kvsi-avatar-render-").FullName;
        var psi = new ProcessStartInfo(options.Chromium) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[]
        {
            "--headless", "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--mute-audio",
            "--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows",
            "--user-data-dir=" + profile, url,
        })
        {
            psi.ArgumentList.Add(a);
        }
        Process chromium;
        try
        {
            chromium = Process.Start(psi) ?? throw new InvalidOperationException($"{options.Chromium} did not start");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"3D avatar renderer: {options.Chromium} did not start: {e.Message}", e);
        }
        var stderr = new StringBuilder();
        chromium.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) { if (stderr.Length < 8000) stderr.AppendLine(e.Data); } };
        chromium.OutputDataReceived += (_, _) => { };
        chromium.BeginErrorReadLine();
        chromium.BeginOutputReadLine();
        logger.LogInformation("3D avatar renderer: Chromium {Pid} rendering {Width}x{Height}", chromium.Id, width, height);

        async Task Fail(string why, Exception? inner = null)
        {
            release.TrySetResult();
            Stop(chromium, profile);
            await app.DisposeAsync().ConfigureAwait(false);
            string tail;
            lock (stderr) tail = stderr.ToString();
            throw new InvalidOperationException($"3D avatar renderer: {why}" + (tail.Length > 0 ? "\nChromium: " + tail[Math.Max(0, tail.Length - 1500)..] : ""), inner);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.StartTimeout);
        WebSocket socket = null!;
        string hello = "";
        try
        {
            var exited = chromium.WaitForExitAsync(timeout.Token);
            if (await Task.WhenAny(connected.Task, exited).ConfigureAwait(false) != connected.Task)
            {
                await exited.ConfigureAwait(false); // throws on the timeout
                await Fail($"Chromium exited with code {chromium.ExitCode} before the render page connected").ConfigureAwait(false);
            }
            socket = await connected.Task.ConfigureAwait(false);
            hello = await ReceiveTextAsync(socket, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            await Fail($"the render page did not load the avatar within {options.StartTimeout.TotalSeconds:F0} s", e).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or InvalidDataException)
        {
            await Fail("the render page's connection failed: " + e.Message, e).ConfigureAwait(false);
        }
        if (!hello.StartsWith("ready ", StringComparison.Ordinal))
        {
            await Fail("the page cannot draw the 3D avatar: " + (hello.StartsWith("fallback ", StringComparison.Ordinal) ? hello["fallback ".Length..] : hello)).ConfigureAwait(false);
        }
        var renderer = new BrowserAvatarRenderer(app, chromium, profile, socket, release, options, width, height, frameRate, hello["ready ".Length..]);
        try
        {
            // The first frame compiles the shaders (seconds in software WebGL on a busy machine): drawn here, so that a
            // live stream's first frame is not already seconds late.
            await renderer.RenderAsync(VisemeTimeline.Rest, 0, new byte[width * height * 4], cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await renderer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return renderer;
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The page failed or did not answer within the frame timeout.</exception>
    public async ValueTask RenderAsync(VisemeFrame face, long frameIndex, Memory<byte> rgba, CancellationToken cancellationToken)
    {
        if (rgba.Length != Width * Height * 4) throw new ArgumentException($"the frame buffer has {rgba.Length} bytes, not {Width}x{Height}x4", nameof(rgba));
        var inv = CultureInfo.InvariantCulture;
        // The record's keys, as the page gets them from the records stream.
        var json = string.Create(inv, $"{{\"seconds\":{frameIndex / (double)_frameRate:R},\"frame\":{{\"aa\":{face.Aa:R},\"ih\":{face.Ih:R},\"ou\":{face.Ou:R},\"ee\":{face.Ee:R},\"oh\":{face.Oh:R},\"jawOpen\":{face.JawOpen:R},\"silence\":{face.Silence:R}}}}}");
        int n = Encoding.UTF8.GetBytes(json, _json);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.FrameTimeout);
        try
        {
            await _socket.SendAsync(_json.AsMemory(0, n), WebSocketMessageType.Text, true, timeout.Token).ConfigureAwait(false);
            int filled = 0;
            while (true)
            {
                var result = await _socket.ReceiveAsync(rgba[Math.Min(filled, rgba.Length)..], timeout.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close) throw new InvalidOperationException("3D avatar renderer: the render page closed its connection");
                if (result.MessageType != WebSocketMessageType.Binary) throw new InvalidOperationException("3D avatar renderer: the render page sent text instead of a frame");
                filled += result.Count;
                if (result.EndOfMessage) break;
                if (filled >= rgba.Length) throw new InvalidOperationException($"3D avatar renderer: a frame is larger than {Width}x{Height}x4 bytes");
            }
            if (filled != rgba.Length) throw new InvalidOperationException($"3D avatar renderer: a frame of {filled} bytes, not {Width}x{Height}x4");
            FlipRows(rgba.Span, Width * 4);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"3D avatar renderer: no frame within {_options.FrameTimeout.TotalSeconds:F1} s (Chromium {(_chromium.HasExited ? "exited" : "hung")})");
        }
        catch (WebSocketException e)
        {
            throw new InvalidOperationException("3D avatar renderer: the render page's connection failed: " + e.Message, e);
        }
    }

    // WebGL's readPixels gives the bottom row first; frames are top row first.
    private static void FlipRows(Span<byte> rgba, int stride)
    {
        var temp = stride <= 16384 ? stackalloc byte[stride] : new byte[stride];
        for (int top = 0, bottom = rgba.Length / stride - 1; top < bottom; top++, bottom--)
        {
            var a = rgba.Slice(top * stride, stride);
            var b = rgba.Slice(bottom * stride, stride);
            a.CopyTo(temp);
            b.CopyTo(a);
            temp.CopyTo(b);
        }
    }

    /// <summary>Stops Chromium and the web server; removes Chromium's profile.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", quick.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        catch (WebSocketException)
        {
        }
        _release.TrySetResult();
        Stop(_chromium, _profile);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static void Stop(Process chromium, string profile)
    {
        try
        {
            if (!chromium.HasExited) chromium.Kill(entireProcessTree: true);
            chromium.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
        chromium.Dispose();
        try
        {
            Directory.Delete(profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still be writing as it dies; a profile left in the temp folder is no failure.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static async Task<string> ReceiveTextAsync(WebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        int filled = 0;
        while (true)
        {
            var r = await socket.ReceiveAsync(buffer.AsMemory(filled), ct).ConfigureAwait(false);
            if (r.MessageType != WebSocketMessageType.Text) throw new InvalidDataException("the render page's first message is not text");
            filled += r.Count;
            if (r.EndOfMessage) return Encoding.UTF8.GetString(buffer, 0, filled);
            if (filled == buffer.Length) throw new InvalidDataException("the render page's first message is too long");
        }
    }

    private static byte[] Asset(string name)
    {
        using var stream = typeof(BrowserAvatarRenderer).Assembly.GetManifestResourceStream("KvsInference.Meeting.wwwroot." + name)
            ?? throw new InvalidOperationException($"{name} is not embedded in {typeof(BrowserAvatarRenderer).Assembly.GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
