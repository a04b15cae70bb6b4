using BenchmarkDotNet.Attributes;
using KvsInference.Audio;
using KvsInference.Audio.Opus;
using KvsInference.Matroska;
using KvsInference.TestSupport;

namespace KvsInference.Benchmarks.Audio;

/// <summary>
/// Decoding 60 s of 32 kbps speech Opus with <see cref="AudioTrackDecoder"/>: native libopus and Concentus, at 48 and
/// 16 kHz. x real time = 60 s / Mean. Run: <c>dotnet run -c Release --project bench/KvsInference.Benchmarks -- --filter *OpusDecode*</c>.
/// </summary>
[MemoryDiagnoser]
public class OpusDecodeBenchmarks
{
    private MkvTrackInfo _track = null!;
    private WebmTestFrame[] _frames = null!;
    private AudioTrackDecoder _decoder = null!;

    [Params(OpusBackend.Native, OpusBackend.Managed)]
    public OpusBackend Backend { get; set; }

    [Params(48000, 16000)]
    public int Rate { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_track, _frames) = BenchSpeechMedia.Load();
        if (!AudioTrackDecoder.TryCreate(_track, new AudioTrackOptions { OutputSampleRate = Rate }, new BenchSpeechMedia.CountingSink(),
            new AudioDecoderFactory(opusBackend: Backend), out var decoder, out var error))
        {
            throw new InvalidOperationException(error);
        }
        _decoder = decoder!;
    }

    [GlobalCleanup]
    public void Cleanup() => _decoder.Dispose();

    [Benchmark(Description = "decode 60 s speech")]
    public long Decode60s()
    {
        foreach (var f in _frames) _decoder.Decode(f.TimestampNs, f.Data, f.DiscardPaddingNs);
        _decoder.Complete();
        return _decoder.OutputSamples;
    }
}
