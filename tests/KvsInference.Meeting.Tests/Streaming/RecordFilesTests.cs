using System.Text;
using System.Text.Json;
using KvsInference.Inference;
using KvsInference.Meeting.Streaming;
using KvsInference.Sinks;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Streaming;

public sealed class RecordFilesTests
{
    private static string Line(string stream, double offset) => JsonSerializer.Serialize(new InferenceRecord
    {
        StreamName = stream, FragmentNumber = "1", ProducerTimestamp = 1000, StartOffsetMs = offset, FrameRate = 50,
        Frames = [new VisemeFrame(0, 0, 0, 0, 0, 0.5f, 0)], Model = "m", RecordId = $"{stream}/1/{offset}",
    }, new JsonSerializerOptions(JsonSerializerDefaults.Web)) + "\n";

    [Fact]
    public async Task FollowAsync_LinesAppendedInPieces_YieldsOnlyNewRecordsOfTheStream()
    {
        var path = Path.Combine(TestPaths.Scratch, $"follow-{Guid.NewGuid():N}.jsonl");
        await File.WriteAllTextAsync(path, Line("a", 0)); // written before following: not returned
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var got = new List<InferenceRecord>();
        var followed = RecordFiles.FollowAsync(path, "a", TimeSpan.FromMilliseconds(20), cancellationToken: timeout.Token);
        var follow = Task.Run(async () =>
        {
            await foreach (var r in followed)
            {
                got.Add(r);
                if (got.Count == 2) return;
            }
        });
        await Task.Delay(200);
        await using (var writer = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
        {
            var two = Encoding.UTF8.GetBytes(Line("b", 200) + Line("a", 200));
            await writer.WriteAsync(two.AsMemory(0, two.Length - 10)); // the last line without its end yet
            await writer.FlushAsync();
            await Task.Delay(150);
            await writer.WriteAsync(two.AsMemory(two.Length - 10));
            await writer.WriteAsync(Encoding.UTF8.GetBytes(Line("a", 400)));
        }
        await follow.WaitAsync(timeout.Token);
        Assert.Equal([200.0, 400.0], got.Select(r => r.StartOffsetMs));
    }

    [Fact]
    public async Task FollowAsync_StartedWhileALineIsHalfWritten_SkipsThatLine()
    {
        var path = Path.Combine(TestPaths.Scratch, $"follow-{Guid.NewGuid():N}.jsonl");
        var half = Encoding.UTF8.GetBytes(Line("a", 100));
        await File.WriteAllBytesAsync(path, [.. Encoding.UTF8.GetBytes(Line("a", 0)), .. half.AsSpan(0, half.Length / 2)]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var followed = RecordFiles.FollowAsync(path, "a", TimeSpan.FromMilliseconds(20), cancellationToken: timeout.Token);
        await using (var writer = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
        {
            await writer.WriteAsync(half.AsMemory(half.Length / 2));
            await writer.WriteAsync(Encoding.UTF8.GetBytes(Line("a", 200)));
        }
        await using var records = followed.GetAsyncEnumerator(timeout.Token);
        Assert.True(await records.MoveNextAsync());
        Assert.Equal(200.0, records.Current.StartOffsetMs);
    }

    [Fact]
    public async Task FollowAsync_LineIsNotJson_ThrowsInvalidData()
    {
        var path = Path.Combine(TestPaths.Scratch, $"follow-{Guid.NewGuid():N}.jsonl");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var follow = Task.Run(async () =>
        {
            await foreach (var _ in RecordFiles.FollowAsync(path, "a", TimeSpan.FromMilliseconds(20), cancellationToken: timeout.Token)) { }
        });
        await Task.Delay(100);
        await File.WriteAllTextAsync(path, "this is not json\n");
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => follow.WaitAsync(timeout.Token));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }
}
