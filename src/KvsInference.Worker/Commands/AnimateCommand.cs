using System.CommandLine;
using KvsInference.Avatar.Rendering;

namespace KvsInference.Worker.Commands;

/// <summary>`animate in.wav|.webm|.mkv -o talking.mp4`: audio -> viseme model -> face renderer -> H.264 + AAC MP4.</summary>
internal static class AnimateCommand
{
    public static Command Create()
    {
        var input = new Argument<FileInfo>("audio") { Description = "A WAV file, or a WebM/MKV file (Opus, AAC or PCM audio, decoded in process)." };
        var output = new Option<FileInfo>("--output", "-o") { Description = "The MP4 to write.", Required = true };
        var frameRate = new Option<double>("--frame-rate") { Description = "Video frames per second.", DefaultValueFactory = _ => 60 };
        var command = new Command("animate", "Render a talking-face video from speech.") { input, output, frameRate };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var file = parse.GetValue(input)!;
            var mp4 = parse.GetValue(output)!;
            try
            {
                var result = await TalkingFaceVideo.WriteMp4Async(file.FullName, mp4.FullName,
                    rendererOptions: new FaceRendererOptions { FrameRate = parse.GetValue(frameRate) }, cancellationToken: cancellationToken);
                Console.WriteLine($"wrote {mp4.FullName}: {result.Frames} frames for {result.AudioSeconds:F2} s of audio in {result.Elapsed.TotalSeconds:F1} s");
                return 0;
            }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException or InvalidOperationException)
            {
                Console.Error.WriteLine($"animate: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
