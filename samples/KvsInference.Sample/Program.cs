// A consumer of the KvsInference.Core NuGet package with its own model: the jaw follows loudness.
// Usage: dotnet run --project samples/KvsInference.Sample -- speech.webm [records.jsonl]
using KvsInference.Inference;
using KvsInference.Kvs;
using KvsInference.Media;
using KvsInference.Pipeline;
using KvsInference.Sinks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var file = args.Length > 0 ? args[0] : "speech.webm";
var builder = Host.CreateApplicationBuilder();
builder.Services.AddSingleton<IMediaSource>(new FileMediaSource());
builder.Services.AddSingleton<IStreamCatalog>(new StaticStreamCatalog(file));
builder.Services.AddSingleton<IInferenceClient, LoudnessModel>();
builder.Services.AddSingleton<IRecordSink>(new JsonLinesFileSink(args.Length > 1 ? args[1] : "records.jsonl"));
builder.Services.AddKvsInference(o =>
{
    o.Discovery.StreamNames.Add(file);
    o.Processing.InitialPosition = KvsStartSelectorType.Earliest;
});
await builder.Build().RunAsync();

/// <summary>The consumer's own model: one frame per 1/60 s, jaw opening = RMS loudness of the window.</summary>
internal sealed class LoudnessModel : IInferenceClient
{
    public string ModelName => "loudness-sample/1";

    public Task<IReadOnlyList<InferencePrediction>> InferAsync(IReadOnlyList<InferenceInstance> instances, CancellationToken cancellationToken)
    {
        var predictions = new List<InferencePrediction>(instances.Count);
        foreach (var instance in instances)
        {
            var pcm = instance.Pcm.Span;
            double energy = 0;
            foreach (var s in pcm) energy += (double)s * s;
            var jaw = (float)Math.Min(1, 4 * Math.Sqrt(energy / Math.Max(1, pcm.Length)) / short.MaxValue);
            var frame = new VisemeFrame(jaw, 0, 0, 0, 0, jaw, jaw < 0.02f ? 1 : 0);
            var count = (int)Math.Round(pcm.Length * 60.0 / instance.SampleRate);
            predictions.Add(new InferencePrediction { Id = instance.Id, FrameRate = 60, Frames = Enumerable.Repeat(frame, count).ToArray() });
        }
        return Task.FromResult<IReadOnlyList<InferencePrediction>>(predictions);
    }
}
