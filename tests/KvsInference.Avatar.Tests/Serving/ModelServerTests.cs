using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using KvsInference.Avatar.Serving;
using KvsInference.Inference;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Serving;

public class ModelServerTests : IAsyncLifetime
{
    private ModelServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await ModelServer.StartAsync(new ModelServerOptions { Urls = "http://127.0.0.1:0", MaxBodyBytes = 256 * 1024, ModelDirectory = "/nonexistent" });
        _http = new HttpClient { BaseAddress = new Uri(_server.Addresses[0]), Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private static ByteArrayContent Body(byte[] bytes, string? contentType)
    {
        var content = new ByteArrayContent(bytes);
        if (contentType is not null) content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private async Task<(HttpStatusCode Status, JsonElement Json)> PostAsync(byte[] body, string? contentType)
    {
        using var response = await _http.PostAsync("/invocations", Body(body, contentType));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Ping_ModelLoaded_Answers200WithTheModelName()
    {
        using var response = await _http.GetAsync("/ping");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("kvsi-visemes-", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Invocations_JsonBatchOfTwoStreams_AnswersEachInstance()
    {
        var pcm = Enumerable.Range(0, 8000).Select(i => (short)(3000 * Math.Sin(i * 0.05))).ToArray();
        var body = InferenceJson.SerializeRequest([
            new InferenceInstance { Id = "a", StreamKey = "s1", SampleRate = 16000, Pcm = pcm },
            new InferenceInstance { Id = "b", SampleRate = 16000, Pcm = pcm },
        ]);
        using var response = await _http.PostAsync("/invocations", Body(body, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var predictions = InferenceJson.ReadResponse(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(["a", "b"], predictions.Select(p => p.Id));
        Assert.Equal(60, predictions[1].FrameRate);
        Assert.Equal(30, predictions[1].Frames.Count);          // whole clip: 0.5 s x 60
        // Stream: the frames of the last look-ahead (and one hop) are held back until more audio comes.
        Assert.InRange(predictions[0].Frames.Count, (int)((8000 - KvsInference.Avatar.Model.VisemeModelConstants.LookaheadSamples - 160) * 60 / 16000.0), 29);
        Assert.Equal(1, _server.Client.ActiveStreams);
    }

    [Fact]
    public async Task InvokeEndpointPath_JsonBatch_AnswersLikeInvocations()
    {
        var pcm = Enumerable.Range(0, 3200).Select(i => (short)(3000 * Math.Sin(i * 0.05))).ToArray();
        var body = InferenceJson.SerializeRequest([new InferenceInstance { Id = "w1", SampleRate = 16000, Pcm = pcm }]);

        using var direct = await _http.PostAsync("/invocations", Body(body, "application/json"));
        using var runtime = await _http.PostAsync("/endpoints/my-endpoint/invocations", Body(body, "application/json"));

        Assert.Equal(HttpStatusCode.OK, runtime.StatusCode);
        var expected = JsonDocument.Parse(await direct.Content.ReadAsStringAsync()).RootElement.GetProperty("predictions");
        var actual = JsonDocument.Parse(await runtime.Content.ReadAsStringAsync()).RootElement.GetProperty("predictions");
        Assert.Equal("w1", actual[0].GetProperty("id").GetString());
        Assert.Equal(expected[0].GetProperty("frames").GetArrayLength(), actual[0].GetProperty("frames").GetArrayLength());
    }

    [Fact]
    public async Task Invocations_WavBody_AnswersOnePredictionObject()
    {
        var wav = File.ReadAllBytes(AvatarSpeech.Wav("Hello there, how are you?"));
        using var response = await _http.PostAsync("/invocations?id=clip", Body(wav, "audio/wav"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var prediction = InferenceJson.ReadPrediction(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("clip", prediction.Id);
        int samples22k = (wav.Length - 44) / 2;
        Assert.InRange(prediction.Frames.Count, samples22k * 60 / 22050 - 2, samples22k * 60 / 22050 + 2);
        Assert.Contains(prediction.Frames, f => f.Silence < 0.5f);
    }

    [Fact]
    public async Task Invocations_OctetStreamWav_IsSniffed()
    {
        var wav = File.ReadAllBytes(AvatarSpeech.Wav("Hi"));
        var (status, json) = await PostAsync(wav, "application/octet-stream");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(json.GetProperty("frames").GetArrayLength() > 10);
    }

    [Theory]
    [InlineData("", "application/json", 400, "empty_body", null)]
    [InlineData("{\"instances\":[{\"id\":\"a\",\"sampleRate\":16000,\"pcm16\":\"@@@\"}]}", "application/json", 400, "bad_request", "instances[0].pcm16")]
    [InlineData("{\"instances\":[{\"id\":\"a\",\"sampleRate\":16000}]}", "application/json", 400, "bad_request", "instances[0].pcm16")]
    [InlineData("{\"instances\":[{\"id\":\"a\",\"sampleRate\":12345,\"pcm16\":\"AAAAAA==\"}]}", "application/json", 400, "unsupported_sample_rate", "instances[0].sampleRate")]
    [InlineData("{\"instances\":[", "application/json", 400, "bad_request", "$")]
    [InlineData("hello", "text/plain", 415, "unsupported_media_type", null)]
    [InlineData("hello", null, 415, "unsupported_media_type", null)]
    [InlineData("RIFF....not a wav", "audio/wav", 400, "bad_wav", null)]
    public async Task Invocations_BadInput_Answers4xxJsonNamingTheProblem(string body, string? contentType, int status, string error, string? field)
    {
        var (code, json) = await PostAsync(Encoding.UTF8.GetBytes(body), contentType);
        Assert.Equal(status, (int)code);
        Assert.Equal(error, json.GetProperty("error").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("message").GetString()));
        if (field is not null) Assert.Equal(field, json.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Invocations_WavAtUnsupportedRate_Answers415()
    {
        var path = Path.Combine(TestPaths.Scratch, "odd-rate.wav");
        ProcessRunner.Ffmpeg("-f", "lavfi", "-i", "sine=duration=0.2", "-ar", "11111", "-c:a", "pcm_s16le", path);
        var (status, json) = await PostAsync(File.ReadAllBytes(path), "audio/wav");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Contains("11111", json.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Invocations_BodyOverTheLimit_Answers413()
    {
        var (status, json) = await PostAsync(new byte[300 * 1024], "application/json");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("body_too_large", json.GetProperty("error").GetString());
        // Chunked (no Content-Length) is cut off as well.
        using var chunked = new StreamContent(new MemoryStream(new byte[300 * 1024]));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/invocations") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Invocations_ConcurrentRequests_AllSucceed()
    {
        var wav = File.ReadAllBytes(AvatarSpeech.Wav("Concurrent requests are served in parallel."));
        var statuses = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            using var response = await _http.PostAsync("/invocations", Body(wav, "audio/wav"));
            return response.StatusCode;
        }));
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
    }
}
