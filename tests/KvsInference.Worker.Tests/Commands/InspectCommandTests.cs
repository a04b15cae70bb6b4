using System.Diagnostics;
using System.Text.Json;
using KvsInference.TestSupport;
using KvsInference.Worker.Commands;

namespace KvsInference.Tests.Commands;

public class InspectCommandTests
{
    [Fact]
    public void Run_Summary_CountsFramesAndBytesLikeFfprobe()
    {
        string path = MatroskaTestMedia.FfmpegOpus(48, 2, "webm");
        var packets = MatroskaTestMedia.FfprobePackets(path);

        var (exit, text) = Inspect(File.ReadAllBytes(path), summary: true);

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(text);
        JsonElement track = Assert.Single(doc.RootElement.GetProperty("tracks").EnumerateArray());
        Assert.Equal(1, track.GetProperty("number").GetInt32());
        Assert.Equal("audio", track.GetProperty("type").GetString());
        Assert.Equal("A_OPUS", track.GetProperty("codecId").GetString());
        Assert.Equal(packets.Count, track.GetProperty("frames").GetInt32());
        Assert.Equal(packets.Sum(p => p.Size), track.GetProperty("bytes").GetInt64());
        Assert.Empty(doc.RootElement.GetProperty("fragments").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("error").ValueKind);
    }

    [Fact]
    public void Run_KvsFragments_SummaryHasOneEntryPerFragment()
    {
        byte[] data = Ebml.KvsGetMedia(3, 4, out var numbers);

        var (exit, text) = Inspect(data, summary: true);

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(text);
        var fragments = doc.RootElement.GetProperty("fragments").EnumerateArray().ToList();
        Assert.Equal(numbers, fragments.Select(f => f.GetProperty("fragmentNumber").GetString()));
        Assert.Equal(1598299264.432m, fragments[0].GetProperty("serverTimestamp").GetDecimal());
        Assert.Equal(1598299263.955m, fragments[2].GetProperty("producerTimestamp").GetDecimal());
        Assert.Equal(12, doc.RootElement.GetProperty("tracks")[0].GetProperty("frames").GetInt32());
    }

    [Fact]
    public void Run_Events_OneJsonLinePerTrackFrameAndFragment()
    {
        byte[] data = Ebml.KvsGetMedia(2, 3, out _);

        var (exit, text) = Inspect(data, summary: false);

        Assert.Equal(0, exit);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, lines.Count(l => l.GetProperty("event").GetString() == "track"));
        Assert.Equal(4, lines.Count(l => l.GetProperty("event").GetString() == "fragment"));
        var frames = lines.Where(l => l.GetProperty("event").GetString() == "frame").ToList();
        Assert.Equal(6, frames.Count);
        Assert.Equal(1_000_020.0, frames[1].GetProperty("timestampMs").GetDouble());
        Assert.True(frames[0].GetProperty("key").GetBoolean());
        Assert.Equal(41, frames[1].GetProperty("size").GetInt32());
    }

    [Fact]
    public void Run_TruncatedFile_PrintsPartialSummaryAndErrorWithNonZeroExit()
    {
        byte[] data = File.ReadAllBytes(MatroskaTestMedia.FfmpegOpus(48, 2, "webm"));
        byte[] truncated = data[..(data.Length / 2)];

        var (exit, text) = Inspect(truncated, summary: true);

        Assert.Equal(InspectCommand.ExitFormatError, exit);
        using var doc = JsonDocument.Parse(text);
        Assert.Contains($"BytePosition: {truncated.Length}", doc.RootElement.GetProperty("error").GetString());
        Assert.True(doc.RootElement.GetProperty("tracks")[0].GetProperty("frames").GetInt32() > 10);
    }

    [Fact]
    public void Process_StandardInput_ReadsDash()
    {
        string path = MatroskaTestMedia.FfmpegOpus(24, 1, "mka");
        string worker = Path.Combine(AppContext.BaseDirectory, "KvsInference.Worker.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { worker, "inspect", "-", "--summary" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        using (Stream stdin = p.StandardInput.BaseStream) stdin.Write(File.ReadAllBytes(path));
        Assert.True(p.WaitForExit(60_000));

        Assert.Equal(0, p.ExitCode);
        using var doc = JsonDocument.Parse(output.Result);
        Assert.Equal(MatroskaTestMedia.FfprobePackets(path).Count, doc.RootElement.GetProperty("tracks")[0].GetProperty("frames").GetInt32());
    }

    [Fact]
    public void Run_MkvmergeLacedOpus_EachLaceTimedAfterThePacketBefore()
    {
        byte[] data = File.ReadAllBytes(MatroskaTestMedia.MkvmergeOpus("ebml"));

        var (exit, text) = Inspect(data, summary: false);

        Assert.Equal(0, exit);
        var times = text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(e => e.TryGetProperty("timestampMs", out _))
            .Select(e => e.GetProperty("timestampMs").GetDouble()).ToList();
        Assert.True(times.Count > 100, $"{times.Count} frames");
        // 20 ms packets, 8 to a block: no two frames share a time, each follows the one before by about 20 ms (mkvmerge shifts block times by up to 1 ms).
        Assert.All(times.Zip(times.Skip(1)), p => Assert.InRange(p.Second - p.First, 15, 25));
    }

    private static (int Exit, string Text) Inspect(byte[] data, bool summary)
    {
        using var output = new MemoryStream();
        int exit = InspectCommand.Run(new MemoryStream(data), output, summary);
        return (exit, System.Text.Encoding.UTF8.GetString(output.ToArray()));
    }
}
