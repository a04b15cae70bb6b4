using System.CommandLine;

namespace KvsInference.Worker.Commands;

/// <summary>The list of sub-commands; one line per command so that additions do not collide.</summary>
internal static class CommandRegistry
{
    public static IEnumerable<Command> All()
    {
        yield return PeerCommand.Create();
    }
}
