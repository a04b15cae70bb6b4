using KvsInference.Audio;
using KvsInference.Matroska;

namespace KvsInference.Benchmarks;

/// <summary>
/// <c>fuzz-decode --seconds N | --inputs N</c>: the <c>decode</c> command's path (<see cref="MkvAudioTrackReader"/>,
/// the default <see cref="AudioDecoderFactory"/>: Opus, PCM, AAC) on mutated Opus, PCM, AAC and Vorbis files, to
/// 16 kHz mono like the worker. Documented outcomes: <see cref="MkvFormatException"/> (decode exits 2), a skipped
/// track or a concealed frame (warnings). Anything else is a crash (<see cref="FuzzHarness"/>).
/// </summary>
internal static class FuzzDecodeCommand
{
    public static int Run(string[] args)
    {
        var factory = new AudioDecoderFactory();
        var options = new AudioTrackOptions { OutputSampleRate = AudioConstants.ModelSampleRate, Mono = true };
        var sink = new CountingSink();
        return FuzzHarness.Run("fuzz-decode", args, MkvBenchMedia.DecodeFuzzSeeds(), (data, random) =>
        {
            using var reader = new MkvAudioTrackReader(factory, options, (_, _) => sink);
            try
            {
                // Small reads, so frames and elements straddle buffer boundaries as they do on a network stream.
                reader.ReadAsync(new PiecewiseStream(data, random.Next(1, 4096)), CancellationToken.None).GetAwaiter().GetResult();
                return false;
            }
            catch (MkvFormatException)
            {
                return true;
            }
            finally
            {
                reader.Complete();
            }
        });
    }

    private sealed class CountingSink : IPcmSink
    {
        public long Samples;

        public void OnPcm(ReadOnlySpan<short> samples, long timestampNs) => Samples += samples.Length;

        public void OnDiscontinuity(long endNs, long nextStartNs)
        {
        }

        public void OnEndOfStream()
        {
        }
    }
}

/// <summary>A read-only stream over a buffer that returns at most <c>piece</c> bytes per read.</summary>
internal sealed class PiecewiseStream(byte[] data, int piece) : Stream
{
    private int _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => data.Length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = Math.Min(Math.Min(piece, buffer.Length), data.Length - _position);
        data.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
