using System.CommandLine;

namespace KvsInference.Worker.Commands;

/// <summary>The default action: the worker (issue 7 builds the embedded local system here).</summary>
internal static class RunCommand
{
    public static void ConfigureRoot(RootCommand root)
    {
        root.SetAction(_ =>
        {
            Console.Error.WriteLine("The worker loop is not built yet; see the sub-commands (--help).");
            return 2;
        });
    }
}
