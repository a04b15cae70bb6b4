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
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, signals.Token);
