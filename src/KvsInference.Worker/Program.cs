using System.CommandLine;
using KvsInference.Worker.Commands;
using KvsInference.Worker.Hosting;

// Each sub-command lives in Commands/ with a static Create(); the root command (no arguments)
// runs the whole system locally.
var root = new RootCommand("KvsInference worker: live KVS audio -> talking-avatar inference -> Kinesis.");
foreach (var command in CommandRegistry.All())
{
    root.Subcommands.Add(command);
}
RunCommand.ConfigureRoot(root);
// Ctrl+C and SIGTERM cancel every command's token, from before the command starts. The grace period leaves room
// for the worker host's 30 s graceful shutdown (drain and checkpoint).
using var signals = new ShutdownSignals(TimeSpan.FromSeconds(40)).Register();
ParseResult parsed = root.Parse(args);
int exitCode = await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, signals.Token);
// decode documents 2 for a usage error; System.CommandLine answers 1, which decode keeps for internal errors.
return parsed.Errors.Count > 0 && parsed.CommandResult.Command.Name == "decode" ? DecodeCommand.ExitBadInput : exitCode;
