using KvsInference.Audio;
using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json;
using KvsInference.Hosting;
using KvsInference.Avatar.Model;
using KvsInference.Inference;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KvsInference.Avatar.Serving;

/// <summary>
/// The SageMaker inference container: <c>GET /ping</c> and <c>POST /invocations</c> over ASP.NET Core
/// minimal APIs, serving the viseme model through a <see cref="LocalVisemeInferenceClient"/>.
/// </summary>
/// <remarks>
/// <para><c>POST /invocations</c> takes <c>application/json</c> (the batch of <see cref="InferenceJson"/>; an
/// instance's optional <c>stream</c> keys per-stream state, dropped after 60 s idle) or a single
/// <c>audio/wav</c> body (a whole clip; the answer is one prediction object). <c>application/octet-stream</c>
/// or no content type is sniffed (RIFF or JSON).</para>
/// <para>Errors are JSON <c>{"error":code,"message":..,"field":..}</c>: 400 empty body, malformed JSON, bad
/// field or base64, not WAV, JSON sample rate that cannot be resampled; 413 body over
/// <see cref="ModelServerOptions.MaxBodyBytes"/>; 415 other content types and WAV sample rates that cannot be
/// resampled (16 kHz, or 8..48 kHz resampled); 503 (Retry-After: 1) when <see cref="ModelServerOptions.MaxConcurrentInvocations"/>
/// are running and <see cref="ModelServerOptions.MaxQueuedInvocations"/> waiting, or no slot frees within
/// <see cref="ModelServerOptions.QueueTimeout"/>. <c>GET /ping</c> takes no slot. At most
/// <see cref="ModelServerOptions.MaxStreams"/> stream states are held (least recently used dropped first). Stream state lives in this process: behind several
/// endpoint instances a stream needs sticky routing for continuity; without its state a window still gets
/// right frames after the model context (110 ms shipped) has filled.</para>
/// </remarks>
public sealed class ModelServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ModelServerOptions _options;
    // Parsing and running the model are CPU-bound: at most MaxConcurrentInvocations at once, so that the thread pool and
    // the cores keep room for /ping (which takes no slot) and for reading the next bodies.
    private readonly SemaphoreSlim _slots;
    private int _admitted;

    private ModelServer(WebApplication app, ModelServerOptions options, LocalVisemeInferenceClient client)
    {
        _app = app;
        _options = options;
        Client = client;
        _slots = new SemaphoreSlim(options.MaxConcurrentInvocations, options.MaxConcurrentInvocations);
    }

    /// <summary>Test hook: awaited by each invocation once it holds a slot, before it parses and runs the model (tests
    /// block here to hold every slot busy deterministically).</summary>
    internal Func<CancellationToken, Task>? InvocationHook { get; set; }

    /// <summary>Gets the in-process client the server runs the model through.</summary>
    public LocalVisemeInferenceClient Client { get; }

    /// <summary>Gets the addresses the server listens on (with the real port when 0 was asked for).</summary>
    public IReadOnlyList<string> Addresses =>
        _app.BoundAddresses();

    /// <summary>Loads the model (from <see cref="ModelServerOptions.ModelDirectory"/> or the embedded weights) and starts listening.</summary>
    /// <param name="options">Settings; null for the defaults (0.0.0.0:8080).</param>
    /// <param name="model">A model to serve instead of loading one.</param>
    /// <param name="timeProvider">The clock for stream idle eviction; null for the system clock.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server.</returns>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    /// <exception cref="InvalidDataException">The weights file is malformed.</exception>
    public static async Task<ModelServer> StartAsync(ModelServerOptions? options = null, VisemeModel? model = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        options ??= new ModelServerOptions();
        options.Validate();
        model ??= VisemeModel.LoadDefault(new VisemeModelOptions { FrameRate = options.FrameRate }, options.ModelDirectory);
        var client = new LocalVisemeInferenceClient(model, timeProvider, options.StreamIdleTimeout, options.MaxStreams);
        // Every slot holds up to two pool threads with CPU-bound work (the JSON parse, then the model). Without spare
        // threads ready, /ping and the body reads queue behind them until the pool injects more (about two a second).
        ThreadPool.GetMinThreads(out var workers, out var io);
        var needed = Math.Min(256, 2 * options.MaxConcurrentInvocations + Environment.ProcessorCount + 4);
        if (workers < needed) ThreadPool.SetMinThreads(needed, io);

        // The container's own process: it stops on SIGTERM (SageMaker's rule) and logs its warnings to the console.
        // The body limit is enforced by the handler so that the 413 carries a JSON error.
        var builder = StandaloneServer.CreateBuilder(new StandaloneServerOptions { Urls = options.Urls, HandlesShutdownSignals = true, UnlimitedRequestBodies = true });
        builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var server = new ModelServer(app, options, client);
        app.MapGet("/ping", server.PingAsync);
        app.MapPost("/invocations", server.InvokeAsync);
        // SageMaker Runtime's InvokeEndpoint path: with AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME pointing here, the container
        // stands in for the endpoint (local runs, end-to-end tests) and any endpoint name reaches the one model.
        app.MapPost("/endpoints/{endpointName}/invocations", server.InvokeAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return server;
    }

    /// <summary>Waits until the host stops (Ctrl+C or SIGTERM, or <paramref name="cancellationToken"/>).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when the host has stopped.</returns>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops listening and releases the host.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _slots.Dispose();
    }

    private async Task PingAsync(HttpContext context)
    {
        // The model is loaded before the server listens, so answering at all means ready.
        await WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteString("status", "ok");
            w.WriteString("model", Client.ModelName);
        }).ConfigureAwait(false);
    }

    private async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var cancel = context.RequestAborted;
        try
        {
            if (request.ContentLength > _options.MaxBodyBytes)
            {
                await ErrorAsync(context, 413, "body_too_large", $"the body has {request.ContentLength} bytes; the limit is {_options.MaxBodyBytes}").ConfigureAwait(false);
                return;
            }
            var kind = Classify(request.ContentType);
            if (kind == BodyKind.Unsupported)
            {
                await ErrorAsync(context, 415, "unsupported_media_type", $"content type '{request.ContentType}' is not supported; send application/json or audio/wav").ConfigureAwait(false);
                return;
            }
            await InvokeAdmittedAsync(context, kind, cancel).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (BadHttpRequestException e)
        {
            await ErrorAsync(context, e.StatusCode, "bad_request", e.Message).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Admission: at most MaxConcurrentInvocations + MaxQueuedInvocations requests are read and held at once (one more
    /// gets 503 before its body is read); a read request waits at most QueueTimeout for a slot (503 then). SageMaker
    /// treats 503 from a container as "busy, retry".
    /// </summary>
    private async Task InvokeAdmittedAsync(HttpContext context, BodyKind kind, CancellationToken cancel)
    {
        var request = context.Request;
        try
        {
            if (Interlocked.Increment(ref _admitted) > _options.MaxConcurrentInvocations + _options.MaxQueuedInvocations)
            {
                await BusyAsync(context, $"{_options.MaxConcurrentInvocations} invocations are running and {_options.MaxQueuedInvocations} waiting; retry later").ConfigureAwait(false);
                return;
            }
            var (body, length) = await ReadBodyAsync(request, _options.MaxBodyBytes, cancel).ConfigureAwait(false);
            try
            {
                if (length < 0)
                {
                    await ErrorAsync(context, 413, "body_too_large", $"the body exceeds the limit of {_options.MaxBodyBytes} bytes").ConfigureAwait(false);
                    return;
                }
                if (length == 0)
                {
                    await ErrorAsync(context, 400, "empty_body", "the request body is empty").ConfigureAwait(false);
                    return;
                }
                var bytes = body.AsMemory(0, length);
                if (kind == BodyKind.Sniff) kind = Sniff(bytes.Span);
                if (kind == BodyKind.Unsupported)
                {
                    await ErrorAsync(context, 415, "unsupported_media_type", "the body is neither JSON nor WAV; set Content-Type to application/json or audio/wav").ConfigureAwait(false);
                    return;
                }
                if (!await _slots.WaitAsync(_options.QueueTimeout, cancel).ConfigureAwait(false))
                {
                    await BusyAsync(context, $"no inference slot became free within {_options.QueueTimeout.TotalSeconds:0.###} s ({_options.MaxConcurrentInvocations} running); retry later").ConfigureAwait(false);
                    return;
                }
                try
                {
                    if (InvocationHook is { } hook) await hook(cancel).ConfigureAwait(false);
                    if (kind == BodyKind.Json) await InvokeJsonAsync(context, bytes, cancel).ConfigureAwait(false);
                    else await InvokeWavAsync(context, bytes, cancel).ConfigureAwait(false);
                }
                finally
                {
                    _slots.Release();
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(body);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _admitted);
        }
    }

    private static Task BusyAsync(HttpContext context, string message)
    {
        context.Response.Headers.RetryAfter = "1";
        return ErrorAsync(context, 503, "busy", message);
    }

    private async Task InvokeJsonAsync(HttpContext context, ReadOnlyMemory<byte> body, CancellationToken cancel)
    {
        IReadOnlyList<InferenceInstance> instances;
        try
        {
            instances = InferenceJson.ReadRequest(body.Span);
        }
        catch (InferenceFormatException e)
        {
            await ErrorAsync(context, 400, "bad_request", e.Problem, e.Field).ConfigureAwait(false);
            return;
        }
        for (int i = 0; i < instances.Count; i++)
        {
            if (!LocalVisemeInferenceClient.IsSupportedSampleRate(instances[i].SampleRate))
            {
                await ErrorAsync(context, 400, "unsupported_sample_rate",
                    $"{instances[i].SampleRate} Hz cannot be resampled to 16000 Hz; send 16000 Hz, or 8000..48000 Hz at a common rate", $"instances[{i}].sampleRate").ConfigureAwait(false);
                return;
            }
        }
        var predictions = await Client.InferAsync(instances, cancel).ConfigureAwait(false);
        await WriteBodyAsync(context, 200, w => InferenceJson.WriteResponse(w, predictions)).ConfigureAwait(false);
    }

    private async Task InvokeWavAsync(HttpContext context, ReadOnlyMemory<byte> body, CancellationToken cancel)
    {
        short[] samples;
        int rate;
        try
        {
            var wav = WavReader.Read(body.Span);
            (samples, rate) = (wav.ToMono(), wav.SampleRate);
        }
        catch (WavFormatException e)
        {
            await ErrorAsync(context, 400, "bad_wav", e.Message).ConfigureAwait(false);
            return;
        }
        if (!LocalVisemeInferenceClient.IsSupportedSampleRate(rate))
        {
            await ErrorAsync(context, 415, "unsupported_sample_rate", $"the WAV is at {rate} Hz, which cannot be resampled to 16000 Hz; send 16000 Hz, or 8000..48000 Hz at a common rate").ConfigureAwait(false);
            return;
        }
        var instance = new InferenceInstance { Id = context.Request.Query["id"].FirstOrDefault() ?? "wav", SampleRate = rate, Pcm = samples };
        var predictions = await Client.InferAsync([instance], cancel).ConfigureAwait(false);
        await WriteBodyAsync(context, 200, w => InferenceJson.WritePrediction(w, predictions[0])).ConfigureAwait(false);
    }

    private enum BodyKind { Json, Wav, Sniff, Unsupported }

    private static BodyKind Classify(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType)) return BodyKind.Sniff;
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.MediaType is null) return BodyKind.Unsupported;
        return parsed.MediaType.ToLowerInvariant() switch
        {
            "application/json" => BodyKind.Json,
            "audio/wav" or "audio/x-wav" or "audio/wave" or "audio/vnd.wave" => BodyKind.Wav,
            "application/octet-stream" => BodyKind.Sniff,
            _ => BodyKind.Unsupported,
        };
    }

    private static BodyKind Sniff(ReadOnlySpan<byte> body)
    {
        if (body.StartsWith("RIFF"u8)) return BodyKind.Wav;
        var trimmed = body.TrimStart(" \t\r\n"u8);
        return !trimmed.IsEmpty && trimmed[0] == (byte)'{' ? BodyKind.Json : BodyKind.Unsupported;
    }

    /// <summary>Reads the body into a pooled buffer; length -1 when it exceeds <paramref name="limit"/>.</summary>
    private static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpRequest request, long limit, CancellationToken cancel)
    {
        int initial = (int)Math.Min(limit + 1, request.ContentLength ?? 64 * 1024);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initial, 1024));
        int length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length > limit) return (buffer, -1);
                var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1, (long)buffer.Length * 2));
                buffer.AsSpan(0, length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = bigger;
            }
            int n = await request.Body.ReadAsync(buffer.AsMemory(length), cancel).ConfigureAwait(false);
            if (n == 0) break;
            length += n;
            if (length > limit) return (buffer, -1);
        }
        return (buffer, length);
    }

    private static Task ErrorAsync(HttpContext context, int status, string code, string message, string? field = null) =>
        WriteJsonAsync(context, status, w =>
        {
            w.WriteString("error", code);
            w.WriteString("message", message);
            if (field is not null) w.WriteString("field", field);
        });

    private static Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> writeProperties) =>
        WriteBodyAsync(context, status, w =>
        {
            w.WriteStartObject();
            writeProperties(w);
            w.WriteEndObject();
        });

    private static async Task WriteBodyAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        if (context.Response.HasStarted) return;
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) write(writer);
        context.Response.StatusCode = status;
        context.Response.ContentType = InferenceJson.ContentType;
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }
}
