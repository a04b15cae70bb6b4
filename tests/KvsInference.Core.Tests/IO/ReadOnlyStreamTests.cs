using KvsInference.IO;

namespace KvsInference.Tests.IO;

public sealed class ReadOnlyStreamTests
{
    /// <summary>Hands out the bytes in reads of at most three.</summary>
    private sealed class ThreeAtATime(byte[] data) : ReadOnlyStream
    {
        private int _position;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int n = Math.Min(Math.Min(3, buffer.Length), data.Length - _position);
            data.AsMemory(_position, n).CopyTo(buffer);
            _position += n;
            return ValueTask.FromResult(n);
        }
    }

    [Fact]
    public void Read_SyncAndArrayOverloads_GoThroughTheAsyncRead()
    {
        using var stream = new ThreeAtATime([1, 2, 3, 4, 5, 6, 7]);
        var buffer = new byte[8];

        Assert.Equal(3, stream.Read(buffer, 0, 8));
        Assert.Equal(3, stream.ReadAsync(buffer, 3, 5, CancellationToken.None).GetAwaiter().GetResult());
        using var rest = new MemoryStream();
        stream.CopyTo(rest);

        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, buffer[..6]);
        Assert.Equal(new byte[] { 7 }, rest.ToArray());
    }

    [Fact]
    public void Members_SeekLengthPositionWrite_AreNotSupported()
    {
        using var stream = new ThreeAtATime([]);

        Assert.True(stream.CanRead);
        Assert.False(stream.CanSeek);
        Assert.False(stream.CanWrite);
        Assert.Throws<NotSupportedException>(() => stream.Length);
        Assert.Throws<NotSupportedException>(() => stream.Position);
        Assert.Throws<NotSupportedException>(() => stream.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => stream.SetLength(1));
        Assert.Throws<NotSupportedException>(() => stream.Write([1], 0, 1));
    }
}
