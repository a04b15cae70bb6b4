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
return await root.Parse(args).InvokeAsync();
