using System.CommandLine;
using KvsInference.Worker.Commands;

// Each sub-command lives in Commands/ with a static Create(); the root command (no arguments)
// runs the whole system locally.
var root = new RootCommand("KvsInference worker: live KVS audio -> talking-avatar inference -> Kinesis.");
foreach (var command in CommandRegistry.All())
{
    root.Subcommands.Add(command);
}
RunCommand.ConfigureRoot(root);
// System.CommandLine 2.0.0 leaves Ctrl+C and SIGTERM unhandled unless this is set: the commands' cancellation token
// never fired, so `media serve` waited forever and the others died by the signal without stopping cleanly. With it,
// SIGINT/SIGTERM cancel the token and the command's own exit code stands if it stops within the timeout, which
// leaves room for the worker host's 30 s graceful shutdown (drain and checkpoint).
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(40) };
return await root.Parse(args).InvokeAsync(invocation);
