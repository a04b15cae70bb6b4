using System.Buffers;
using System.Text;
using KvsInference.Aws;
using KvsInference.Aws.KinesisVideo;

namespace KvsInference.Tests.Aws.KinesisVideo;

public sealed class AckSplitterTests
{
    private const string Acks =
        "{\"EventType\":\"BUFFERING\",\"FragmentTimecode\":0}\r\n" +
        "{\"EventType\":\"ERROR\",\"FragmentTimecode\":2000,\"FragmentNumber\":\"9134\",\"ErrorId\":4004,\"Note\":\"a } in \\\"quotes\\\" {\"}\n" +
        "{\"EventType\":\"PERSISTED\",\"FragmentTimecode\":2000,\"FragmentNumber\":\"9134\"}";

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex) { Memory = memory; RunningIndex = runningIndex; }
        public Segment Append(ReadOnlyMemory<byte> memory) { var next = new Segment(memory, RunningIndex + Memory.Length); Next = next; return next; }
    }

    private static ReadOnlySequence<byte> Split(byte[] bytes, int at)
    {
        var first = new Segment(bytes.AsMemory(0, at), 0);
        var last = first.Append(bytes.AsMemory(at));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    [Fact]
    public void TryReadObject_EveryArrivalPointAndSegmentSplit_YieldsExactlyTheCompleteObjects()
    {
        var bytes = Encoding.UTF8.GetBytes(Acks);
        var ends = new[] { Acks.IndexOf("}\r\n", StringComparison.Ordinal) + 1, Acks.IndexOf("}\n", StringComparison.Ordinal) + 1, Acks.Length };
        for (var arrived = 0; arrived <= bytes.Length; arrived++)
        {
            for (var split = 0; split <= arrived; split += Math.Max(1, arrived / 7))
            {
                var buffer = Split(bytes[..arrived], split);
                var objects = new List<string>();
                while (AckSplitter.TryReadObject(ref buffer, out var json)) objects.Add(Encoding.UTF8.GetString(json.ToArray()));

                var expected = ends.Count(e => e <= arrived);
                Assert.True(expected == objects.Count, $"arrived {arrived}, split {split}: {objects.Count} objects, expected {expected}");
                if (objects.Count > 1) Assert.EndsWith("\"a } in \\\"quotes\\\" {\"}", objects[1]);
            }
        }
    }

    [Fact]
    public void TryReadObject_NotJson_ThrowsProtocolException()
    {
        var buffer = new ReadOnlySequence<byte>("\n<html>502</html>"u8.ToArray());
        var e = Assert.Throws<AwsProtocolException>(() => AckSplitter.TryReadObject(ref buffer, out _));
        Assert.Contains("0x3C", e.Message);
    }

    [Fact]
    public void Acknowledgement_UnknownEventType_MapsToUnknown()
    {
        Assert.Equal(KvsAckEventType.Unknown, new KvsAcknowledgement { EventTypeName = "SOMETHING_NEW" }.EventType);
        Assert.Equal(KvsAckEventType.Idle, new KvsAcknowledgement { EventTypeName = "IDLE" }.EventType);
    }
}
