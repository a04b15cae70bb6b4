using KvsInference.IO;
using KvsInference.Matroska;

namespace KvsInference.Media;

/// <summary>
/// Plays an MKV/WebM file as a live producer would upload it: the header at once, then each block when its
/// timestamp comes due, with the Segment rewritten to unknown size (as live producers write it). For PutMedia with
/// RELATIVE timecodes: the demo stream of the embedded default, load runs and tests.
/// </summary>
/// <remarks>Cues and anything after the last cluster are left out, since a live stream has none.</remarks>
public sealed class RealTimeMkvStream : ReadOnlyStream
{
    private readonly ReadOnlyMemory<byte> _file;
    private readonly byte[] _header;
    private readonly List<(long TimeNs, long Start, long End)> _chunks;
    private readonly TimeProvider _time;
    private readonly double _speed;
    private long _started = -1;
    private int _chunk = -1;
    private long _position;

    private RealTimeMkvStream(ReadOnlyMemory<byte> file, byte[] header, List<(long, long, long)> chunks, TimeProvider time, double speed)
    {
        _file = file;
        _header = header;
        _chunks = chunks;
        _time = time;
        _speed = speed;
    }

    /// <summary>Gets the media duration: the timestamp of the last block, in nanoseconds.</summary>
    public long DurationNs => _chunks.Count == 0 ? 0 : _chunks[^1].TimeNs;

    /// <summary>Prepares a file for real-time playback.</summary>
    /// <param name="file">The whole MKV/WebM file (one EBML header and one Segment).</param>
    /// <param name="timeProvider">The clock that paces the blocks.</param>
    /// <param name="speed">Playback speed: 1 is real time, 2 twice as fast.</param>
    /// <exception cref="MkvFormatException">The file is not valid Matroska.</exception>
    /// <exception cref="ArgumentException">The file has no Segment or no cluster.</exception>
    public static RealTimeMkvStream Create(ReadOnlyMemory<byte> file, TimeProvider? timeProvider = null, double speed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(speed);
        var reader = new MkvReader(file.Span, isFinalBlock: true, new MkvReaderState(null));
        long headerEnd = -1, segmentIdOffset = -1, segmentData = -1, firstBlock = -1, lastClusterEnd = -1;
        ulong scale = 1_000_000;
        long clusterTime = 0;
        var blocks = new List<(long TimeNs, long Start)>();
        int pendingGroup = -1;
        while (reader.Read())
        {
            switch (reader.TokenType, reader.ElementId)
            {
                case (MkvTokenType.StartElement or MkvTokenType.Value, MkvElementIds.Ebml) when headerEnd < 0:
                    headerEnd = reader.DataOffset + reader.ElementSize;
                    break;
                case (MkvTokenType.StartElement, MkvElementIds.Segment) when segmentData < 0:
                    segmentIdOffset = reader.ElementOffset;
                    segmentData = reader.DataOffset;
                    break;
                case (MkvTokenType.Value, MkvElementIds.TimestampScale):
                    scale = reader.GetUInt64();
                    break;
                case (MkvTokenType.StartElement, MkvElementIds.Cluster):
                    clusterTime = 0;
                    break;
                case (MkvTokenType.EndElement, MkvElementIds.Cluster):
                    lastClusterEnd = reader.AbsolutePosition;
                    break;
                case (MkvTokenType.Value, MkvElementIds.Timestamp):
                    clusterTime = (long)reader.GetUInt64();
                    break;
                case (MkvTokenType.Value, MkvElementIds.SimpleBlock):
                    if (firstBlock < 0) firstBlock = reader.ElementOffset;
                    blocks.Add(((clusterTime + RelativeTime(reader.ValueSpan)) * (long)scale, reader.ElementOffset));
                    break;
                case (MkvTokenType.StartElement, MkvElementIds.BlockGroup):
                    if (firstBlock < 0) firstBlock = reader.ElementOffset;
                    pendingGroup = blocks.Count;
                    blocks.Add((clusterTime * (long)scale, reader.ElementOffset));
                    break;
                case (MkvTokenType.Value, MkvElementIds.Block) when pendingGroup >= 0:
                    blocks[pendingGroup] = ((clusterTime + RelativeTime(reader.ValueSpan)) * (long)scale, blocks[pendingGroup].Start);
                    pendingGroup = -1;
                    break;
            }
        }
        if (headerEnd < 0 || segmentData < 0) throw new ArgumentException("The file has no EBML header and Segment.", nameof(file));
        if (blocks.Count == 0 || lastClusterEnd < 0) throw new ArgumentException("The file has no cluster with blocks.", nameof(file));

        // Header: EBML header, Segment ID, unknown size, then Info/Tracks/... up to the first block (its cluster's header included).
        var span = file.Span;
        var header = new byte[headerEnd + (segmentData - segmentIdOffset) + (firstBlock - segmentData)];
        int length = 0;
        span[..(int)headerEnd].CopyTo(header);
        length += (int)headerEnd;
        int idLength = IdLength(span[(int)segmentIdOffset]);
        span.Slice((int)segmentIdOffset, idLength).CopyTo(header.AsSpan(length));
        length += idLength;
        EbmlWriter.UnknownSize.CopyTo(header.AsSpan(length));
        length += EbmlWriter.UnknownSize.Length;
        span[(int)segmentData..(int)firstBlock].CopyTo(header.AsSpan(length));
        length += (int)(firstBlock - segmentData);

        var chunks = new List<(long, long, long)>(blocks.Count);
        for (int i = 0; i < blocks.Count; i++)
        {
            long end = i + 1 < blocks.Count ? blocks[i + 1].Start : lastClusterEnd;
            chunks.Add((blocks[i].TimeNs - blocks[0].TimeNs, blocks[i].Start, end));
        }
        return new RealTimeMkvStream(file, header[..length], chunks, timeProvider ?? TimeProvider.System, speed);
    }

    private static int IdLength(byte first) => first >= 0x80 ? 1 : first >= 0x40 ? 2 : first >= 0x20 ? 3 : 4;

    private static long RelativeTime(ReadOnlySpan<byte> block)
    {
        int trackLength = 1;
        while (trackLength < 8 && (block[0] & (0x80 >> (trackLength - 1))) == 0) trackLength++;
        return (short)((block[trackLength] << 8) | block[trackLength + 1]);
    }

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_started < 0) _started = _time.GetTimestamp();
        while (true)
        {
            ReadOnlySpan<byte> current = _chunk < 0 ? _header : _chunk < _chunks.Count ? _file.Span[(int)_chunks[_chunk].Start..(int)_chunks[_chunk].End] : default;
            if (_chunk >= _chunks.Count) return 0;
            if (_position < current.Length)
            {
                int n = Math.Min(buffer.Length, current.Length - (int)_position);
                current.Slice((int)_position, n).CopyTo(buffer.Span);
                _position += n;
                return n;
            }
            _chunk++;
            _position = 0;
            if (_chunk >= _chunks.Count) return 0;
            var due = TimeSpan.FromTicks((long)(_chunks[_chunk].TimeNs / 100 / _speed)) - _time.GetElapsedTime(_started);
            if (due > TimeSpan.Zero) await Task.Delay(due, _time, cancellationToken).ConfigureAwait(false);
        }
    }
}
