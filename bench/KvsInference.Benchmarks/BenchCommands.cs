namespace KvsInference.Benchmarks;

/// <summary>End-to-end figure commands (each one file in this folder, one line here).</summary>
internal static class BenchCommands
{
    private static readonly Dictionary<string, Func<string[], int>> Commands = new(StringComparer.OrdinalIgnoreCase)
    {
        ["aac-vs-ffmpeg"] = AacVsFfmpegCommand.Run,
        ["avatar3d-render"] = Avatar3dRenderCommand.Run,
        ["mkv-vs-ffmpeg"] = MkvVsFfmpegCommand.Run,
        ["fuzz-mkv"] = FuzzMkvCommand.Run,
        ["fuzz-decode"] = FuzzDecodeCommand.Run,
        ["fuzz-putmedia"] = FuzzPutMediaCommand.Run,
        ["opus-vs-libopus"] = Audio.OpusVsLibopusCommand.Run,
        ["model-speed"] = ModelSpeedCommand.Run,
        ["load"] = LoadCommand.Run,
        ["serve-ping"] = ServePingCommand.Run,
        ["takeover"] = TakeoverCommand.Run,
        ["meeting-delay"] = MeetingDelayCommand.Run,
    };

    public static bool TryRun(string[] args, out int exitCode)
    {
        exitCode = 0;
        if (args.Length == 0 || !Commands.TryGetValue(args[0], out var run)) return false;
        exitCode = run(args[1..]);
        return true;
    }
}
