using KvsInference.Tools.AwsModelGen;

// Usage: AwsModelGen [<botocore data folder> [<output folder>]]
// Regenerates src/KvsInference.Core/Aws/Generated from the official AWS service models. The test
// GeneratedModelsTests re-runs it in memory and fails when the checked-in files differ.
var dataDir = args.Length > 0 ? args[0] : ModelGenerator.DefaultDataDirectory;
var outDir = args.Length > 1 ? args[1] : Path.Combine(FindRepoRoot(), "src", "KvsInference.Core", "Aws", "Generated");
try
{
    var files = ModelGenerator.Generate(dataDir);
    Directory.CreateDirectory(outDir);
    foreach (var stale in Directory.GetFiles(outDir, "*.g.cs").Where(f => !files.ContainsKey(Path.GetFileName(f)))) File.Delete(stale);
    foreach (var (name, text) in files) File.WriteAllText(Path.Combine(outDir, name), text);
    Console.WriteLine($"AwsModelGen: wrote {files.Count} files to {outDir} from {dataDir}");
    return 0;
}
catch (Exception e) when (e is ModelException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine("AwsModelGen: " + e.Message);
    return 1;
}

static string FindRepoRoot()
{
    var dir = new DirectoryInfo(Directory.GetCurrentDirectory());
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KvsInference.sln"))) dir = dir.Parent;
    return dir?.FullName ?? throw new ModelException("run from inside the repository or pass the output folder");
}
