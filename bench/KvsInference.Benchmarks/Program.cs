using BenchmarkDotNet.Running;

// `dotnet run -c Release --project bench/KvsInference.Benchmarks -- <command>`:
// a named end-to-end command prints figures against its baseline; anything else goes to BenchmarkDotNet.
return KvsInference.Benchmarks.BenchCommands.TryRun(args, out var code)
    ? code
    : RunBenchmarkDotNet(args);

static int RunBenchmarkDotNet(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    return 0;
}
