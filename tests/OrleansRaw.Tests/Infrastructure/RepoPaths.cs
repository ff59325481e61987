namespace OrleansRaw.Tests.Infrastructure;

/// <summary>Finds the repository from the test binaries, so tests can call its scripts.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrleansRaw.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("OrleansRaw.sln not found above " + AppContext.BaseDirectory);
    }
}
