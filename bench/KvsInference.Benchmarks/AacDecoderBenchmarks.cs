using BenchmarkDotNet.Attributes;
using KvsInference.Audio.Aac;

namespace KvsInference.Benchmarks;

/// <summary>
/// AAC-LC 48 kHz stereo (60 s of speech) decoded by <see cref="AacDecoder"/> to 16 kHz mono and to 48 kHz stereo.
/// x real time = 60 s / mean time; the memory diagnoser shows the bytes allocated per 60 s (per packet: / packets).
/// </summary>
[MemoryDiagnoser]
public class AacDecoderBenchmarks
{
    private List<byte[]> _packets = null!;
    private AacDecoder _decoder = null!;
    private short[] _output = null!;

    [Params(16000, 48000)]
    public int OutputRate { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (asc, packets) = AacMedia.ReadAdts(AacMedia.MakeFile());
        _packets = packets;
        _decoder = AacDecoder.Create(asc, OutputRate, mono: OutputRate == 16000);
        _output = new short[_decoder.MaxSamplesPerPacket * _decoder.OutputChannels];
    }

    [GlobalCleanup]
    public void Cleanup() => _decoder.Dispose();

    [Benchmark(Description = "decode 60 s AAC-LC 48k stereo")]
    public long Decode()
    {
        long samples = 0;
        foreach (var packet in _packets) samples += _decoder.Decode(packet, _output);
        _decoder.Reset();
        return samples;
    }
}
