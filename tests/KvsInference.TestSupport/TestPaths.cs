namespace KvsInference.TestSupport;

/// <summary>Locations tests share: the repository root and a per-run scratch folder for generated media.</summary>
public static class TestPaths
{
    /// <summary>The repository root (the folder holding KvsInference.sln).</summary>
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>A scratch folder for media generated during this test run (under the system temp folder).</summary>
    public static string Scratch { get; } = Directory.CreateTempSubdirectory("kvsi-tests-").FullName;

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KvsInference.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("KvsInference.sln not found above " + AppContext.BaseDirectory);
    }
}
