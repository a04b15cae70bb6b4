using KvsInference.Audio;
using KvsInference.Avatar.Model;
using KvsInference.Avatar.Serving;
using KvsInference.Avatar.Training;
using KvsInference.Inference;
using Microsoft.Extensions.Time.Testing;

namespace KvsInference.Tests.Serving;

public class LocalVisemeInferenceClientTests
{
    private static readonly Lazy<short[]> Speech = new(() =>
        LabelledSpeech.Synthesize("The cat had a bad habit of grabbing hats.", new SpeechVoice("en-us", 175, 50), 2000, 2000).Pcm);

    private static VisemeModel Model() => VisemeModel.LoadDefault(modelDirectory: "/nonexistent");

    [Fact]
    public async Task InferAsync_StreamWindowsAcrossBatches_ContinueTheStream()
    {
        var model = Model();
        var client = new LocalVisemeInferenceClient(model);
        var pcm = Speech.Value;
        var all = new List<VisemeFrame>();
        long expectedFirst = 0;
        for (int start = 0, i = 0; start < pcm.Length; start += 3200, i++)
        {
            var window = pcm.AsMemory(start, Math.Min(3200, pcm.Length - start));
            var result = await client.InferAsync([new InferenceInstance { Id = $"w{i}", StreamKey = "s1", SampleRate = 16000, Pcm = window }], default);
            Assert.Equal($"w{i}", result[0].Id);
            Assert.Equal(expectedFirst, result[0].FirstFrame);
            expectedFirst += result[0].Frames.Count;
            all.AddRange(result[0].Frames);
        }
        var whole = model.ProcessClip(pcm);
        Assert.Equal(whole.Take(all.Count), all);
        // Only the frames within the look-ahead (75 ms) plus one hop of the end are still held back.
        int heldBack = (int)Math.Ceiling((VisemeModelConstants.LookaheadSamples + 160) * model.FrameRate / 16000);
        Assert.True(all.Count >= whole.Length - heldBack, $"{all.Count} of {whole.Length} frames");
    }

    [Fact]
    public async Task InferAsync_NoStreamKey_IsAWholeClip()
    {
        var model = Model();
        var client = new LocalVisemeInferenceClient(model);
        var result = await client.InferAsync([new InferenceInstance { Id = "a", SampleRate = 16000, Pcm = Speech.Value }], default);
        Assert.Equal(model.ProcessClip(Speech.Value), result[0].Frames);
        Assert.Equal(0, client.ActiveStreams);
    }

    [Fact]
    public async Task InferAsync_ConcurrentBatchesOfManyStreams_EachStreamMatchesItsWholeClip()
    {
        var model = Model();
        var client = new LocalVisemeInferenceClient(model);
        var pcm = Speech.Value;
        var perStream = new List<VisemeFrame>[6];
        await Task.WhenAll(Enumerable.Range(0, perStream.Length).Select(s => Task.Run(async () =>
        {
            perStream[s] = [];
            for (int start = 0; start < pcm.Length; start += 1600)
            {
                var window = pcm.AsMemory(start, Math.Min(1600, pcm.Length - start));
                var r = await client.InferAsync([new InferenceInstance { Id = "x", StreamKey = $"stream-{s}", SampleRate = 16000, Pcm = window }], default);
                perStream[s].AddRange(r[0].Frames);
            }
        })));
        var whole = model.ProcessClip(pcm);
        Assert.All(perStream, frames => Assert.Equal(whole.Take(frames.Count), frames));
        Assert.Equal(6, client.ActiveStreams);
    }

    [Fact]
    public async Task InferAsync_StreamIdleLongerThanTimeout_IsForgotten()
    {
        var time = new FakeTimeProvider();
        var client = new LocalVisemeInferenceClient(Model(), time, TimeSpan.FromSeconds(60));
        await client.InferAsync([new InferenceInstance { Id = "1", StreamKey = "old", SampleRate = 16000, Pcm = new short[1600] }], default);
        time.Advance(TimeSpan.FromSeconds(30));
        await client.InferAsync([new InferenceInstance { Id = "2", StreamKey = "new", SampleRate = 16000, Pcm = new short[1600] }], default);
        Assert.Equal(2, client.ActiveStreams);
        time.Advance(TimeSpan.FromSeconds(45));
        var r = await client.InferAsync([new InferenceInstance { Id = "3", StreamKey = "new", SampleRate = 16000, Pcm = new short[1600] }], default);
        Assert.Equal(1, client.ActiveStreams); // "old" idle 75 s, dropped; "new" kept
        Assert.True(r[0].FirstFrame > 0);
    }

    [Fact]
    public async Task InferAsync_MoreStreamsThanTheCap_LeastRecentlyUsedDropped()
    {
        var client = new LocalVisemeInferenceClient(Model(), maxStreams: 3);
        Task Window(params string[] keys) => client.InferAsync(
            keys.Select(k => new InferenceInstance { Id = k, StreamKey = k, SampleRate = 16000, Pcm = new short[1600] }).ToList(), default);

        await Window("a", "b", "c");
        await Window("a");      // a is now the most recently used
        await Window("d");      // the cap drops b, the least recently used
        Assert.Equal(3, client.ActiveStreams);
        Assert.False(client.HasStream("b"));
        Assert.True(client.HasStream("a") && client.HasStream("c") && client.HasStream("d"));

        await Window(Enumerable.Range(0, 1000).Select(i => "flood-" + i).ToArray());
        Assert.Equal(3, client.ActiveStreams);
        Assert.Equal(1 + 1000, client.EvictedStreams);
    }

    [Fact]
    public async Task InferAsync_48kHzWindow_IsResampled()
    {
        var pcm48 = Resampler.ResampleAll(Speech.Value, 16000, 48000);
        var client = new LocalVisemeInferenceClient(Model());
        var r = await client.InferAsync([new InferenceInstance { Id = "a", SampleRate = 48000, Pcm = pcm48 }], default);
        Assert.Equal((int)Math.Ceiling(Speech.Value.Length * 60 / 16000.0), r[0].Frames.Count);
    }

    [Theory]
    [InlineData(8000)]
    [InlineData(11025)]
    [InlineData(16000)]
    [InlineData(22050)]
    [InlineData(44100)]
    [InlineData(48000)]
    public void IsSupportedSampleRate_CommonRate_IsTrue(int rate)
    {
        Assert.True(LocalVisemeInferenceClient.IsSupportedSampleRate(rate));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7999)]
    [InlineData(48001)]
    [InlineData(96000)]
    [InlineData(44099)] // 16000 phases
    [InlineData(12345)] // 3200 phases
    public void IsSupportedSampleRate_OddOrOutOfRangeRate_IsFalse(int rate)
    {
        Assert.False(LocalVisemeInferenceClient.IsSupportedSampleRate(rate));
    }

    [Fact]
    public async Task InferAsync_UnsupportedRate_ThrowsNamingTheInstance()
    {
        var client = new LocalVisemeInferenceClient(Model());
        var e = await Assert.ThrowsAsync<ArgumentException>(() => client.InferAsync([new InferenceInstance { Id = "odd", SampleRate = 12345, Pcm = new short[100] }], default));
        Assert.Contains("odd", e.Message);
        Assert.Contains("12345", e.Message);
    }
}
