using System.CommandLine;

namespace KvsInference.Worker.Commands;

/// <summary>The list of sub-commands; one line per command so that additions do not collide.</summary>
internal static class CommandRegistry
{
    public static IEnumerable<Command> All()
    {
        yield return InspectCommand.Create();
        yield return DecodeCommand.Create();
        yield return MediaCommand.Create();
        yield return TrainModelCommand.Create();
        yield return EvalModelCommand.Create();
        yield return ServeCommand.Create();
        yield return AnimateCommand.Create();
        yield return PeerCommand.Create();
        yield return LipSyncCommand.Create();
        yield return AvatarStreamCommand.Create();
    }
}
