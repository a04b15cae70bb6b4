using BenchmarkDotNet.Attributes;
using KvsInference.Avatar.Model;
using KvsInference.Avatar.Rendering;
using KvsInference.Inference;

namespace KvsInference.Benchmarks;

/// <summary>Features + classification of one second of 16 kHz audio (streaming, reused state), and one face frame.</summary>
[MemoryDiagnoser]
public class VisemeModelBenchmarks
{
    private VisemeModel _model = null!;
    private VisemeStreamState _state = null!;
    private short[] _second = null!;
    private VisemeFrame[] _frames = null!;
    private FaceRenderer _renderer = null!;
    private byte[] _rgba = null!;

    [GlobalSetup]
    public void Setup()
    {
        _model = VisemeModel.LoadDefault(modelDirectory: "/nonexistent");
        _state = _model.CreateState();
        var rng = new Random(1);
        _second = Enumerable.Range(0, 16000).Select(i => (short)(4000 * Math.Sin(i * 0.07) + rng.Next(-500, 500))).ToArray();
        _frames = new VisemeFrame[_model.GetMaxFrameCount(_second.Length)];
        _renderer = new FaceRenderer();
        _rgba = new byte[_renderer.FrameBytes];
    }

    [GlobalCleanup]
    public void Cleanup() => _renderer.Dispose();

    /// <summary>One second of audio through the model (100 analysis frames, 60 output frames).</summary>
    [Benchmark]
    public int ProcessOneSecond() => _model.Process(_second, _state, _frames);

    /// <summary>One 640x480 face frame.</summary>
    [Benchmark]
    public void RenderFrame() => _renderer.Render(new VisemeFrame(0.5f, 0.1f, 0.1f, 0.1f, 0.1f, 0.7f, 0.1f), 3, _rgba);
}
