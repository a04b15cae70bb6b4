using KvsInference.Audio;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Audio;

public class WavWriterTests
{
    [Fact]
    public void Write_SeekableFile_FfmpegReadsTheSameSamplesAndDuration()
    {
        var path = Path.Combine(TestPaths.Scratch, "writer-seekable.wav");
        var samples = Enumerable.Range(0, 2 * 12345).Select(i => (short)(i * 37 % 65536 - 32768)).ToArray();
        using (var writer = WavWriter.Create(path, 16000, 2))
        {
            writer.Write(samples.AsSpan(0, 1000));
            writer.Write(samples.AsSpan(1000));
        }
        var raw = Path.Combine(TestPaths.Scratch, "writer-seekable.s16");
        ProcessRunner.Ffmpeg("-i", path, "-f", "s16le", raw);
        Assert.Equal(samples, AudioTestMedia.ReadS16(raw));
        var probe = ProcessRunner.Run("ffprobe", ["-v", "error", "-show_entries", "stream=sample_rate,channels,duration_ts", "-of", "csv=p=0", path]);
        Assert.Equal("16000,2,12345", probe.Trim());
        Assert.Equal(44 + samples.Length * 2, new FileInfo(path).Length);
    }

    [Fact]
    public void Write_NonSeekableStream_MarksSizesUnknownAndReadersStillRead()
    {
        var samples = Enumerable.Range(0, 4000).Select(i => (short)(i - 2000)).ToArray();
        var target = new MemoryStream();
        using (var writer = new WavWriter(new NonSeekable(target), 48000, 1))
        {
            writer.Write(samples);
        }
        var bytes = target.ToArray();
        Assert.Equal(0xFFFFFFFF, BitConverter.ToUInt32(bytes, 4));
        Assert.Equal(0xFFFFFFFF, BitConverter.ToUInt32(bytes, 40));
        var audio = WavReader.Read(bytes);
        Assert.Equal(samples, audio.Samples);

        var path = Path.Combine(TestPaths.Scratch, "writer-pipe.wav");
        File.WriteAllBytes(path, bytes);
        var raw = Path.Combine(TestPaths.Scratch, "writer-pipe.s16");
        ProcessRunner.Ffmpeg("-i", path, "-f", "s16le", raw);
        Assert.Equal(samples, AudioTestMedia.ReadS16(raw));
    }

    private sealed class NonSeekable(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    }
}
