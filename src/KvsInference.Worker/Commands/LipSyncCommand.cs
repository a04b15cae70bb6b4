using System.CommandLine;
using KvsInference.Avatar.Rendering;

namespace KvsInference.Worker.Commands;

/// <summary>`lipsync talking.mp4`: the audio-to-mouth offset of a video made by `animate`, against ITU-R BT.1359.</summary>
internal static class LipSyncCommand
{
    public static Command Create()
    {
        var input = new Argument<FileInfo>("video") { Description = "An MP4 (or any ffmpeg-readable video) with audio, the face drawn by `animate`." };
        var maxLag = new Option<int>("--max-lag-ms") { Description = "Largest lag searched either way.", DefaultValueFactory = _ => 500 };
        var command = new Command("lipsync", "Measure the audio-to-mouth offset of a talking-face video.") { input, maxLag };
        command.SetAction(async (parse, cancellationToken) =>
            await RunAsync(parse.GetValue(input)!.FullName, new LipSyncMeterOptions { MaxLagMs = parse.GetValue(maxLag) }, Console.Out, Console.Error, cancellationToken));
        return command;
    }

    /// <summary>Measures and prints; 0 when measured, 1 with a message on stderr otherwise.</summary>
    internal static async Task<int> RunAsync(string path, LipSyncMeterOptions options, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        try
        {
            var result = await LipSyncMeter.MeasureAsync(path, options, cancellationToken);
            await output.WriteLineAsync(result.Describe());
            return 0;
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or InvalidOperationException or System.ComponentModel.DataAnnotations.ValidationException)
        {
            await error.WriteLineAsync($"lipsync: {e.Message}");
            return 1;
        }
    }
}
