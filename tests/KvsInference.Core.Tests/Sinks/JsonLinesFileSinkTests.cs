using System.Text.Json;
using KvsInference.Sinks;
using KvsInference.TestSupport;

namespace KvsInference.Tests.Sinks;

public sealed class JsonLinesFileSinkTests
{
    [Fact]
    public async Task WriteAsync_TwoBatches_OneLinePerRecordReadableBeforeDispose()
    {
        var path = Path.Combine(TestPaths.Scratch, "sink-" + Guid.NewGuid().ToString("N"), "records.jsonl");
        await using var sink = new JsonLinesFileSink(path);

        await sink.WriteAsync([KinesisRecordSinkTests.Record("cam-a", 1), KinesisRecordSinkTests.Record("cam-b", 1)], CancellationToken.None);
        await sink.WriteAsync([KinesisRecordSinkTests.Record("cam-a", 2)], CancellationToken.None);

        // Flushed after each write: another reader sees every line while the sink is still open.
        string[] lines;
        using (var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite)))
        {
            lines = (await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        Assert.Equal(3, lines.Length);
        Assert.Equal(["cam-a", "cam-b", "cam-a"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("streamName").GetString()));
        Assert.EndsWith("/2/0", JsonDocument.Parse(lines[2]).RootElement.GetProperty("recordId").GetString());
    }

    [Fact]
    public async Task WriteAsync_ExistingFile_Appends()
    {
        var path = Path.Combine(TestPaths.Scratch, "sink-" + Guid.NewGuid().ToString("N") + ".jsonl");
        await File.WriteAllTextAsync(path, "{\"earlier\":true}\n");
        await using (var sink = new JsonLinesFileSink(path, flushToDisk: false))
        {
            await sink.WriteAsync([KinesisRecordSinkTests.Record("cam-a", 1)], CancellationToken.None);
        }
        var lines = await File.ReadAllLinesAsync(path);
        Assert.Equal(2, lines.Length);
        Assert.Equal("{\"earlier\":true}", lines[0]);
    }
}
